"""Alert rules: pydantic specs, the YAML loader and the editable rules store.

A rules file (see ``sample_data/telecom/alerts.yaml``)::

    defaults: {timezone: Asia/Shanghai, language: zh}
    recipient_lists:
      south: [ops-south@example.com, cfo@example.com]
    rules:
      gd_revenue_mom:
        metric: revenue
        filters: {province: 广东}            # or full filter dicts as in SemanticQuery
        breakdown: city                      # optional: evaluate per member
        period: {unit: month, offset: 1}     # last complete month before the run
        condition: {type: change, compare: previous_period, op: "<", value: -10%}
        schedule: {cron: "0 9 1 * *", timezone: Asia/Shanghai}
        recipients: [south]                  # list names or addresses
        language: zh

Problems are reported all at once, each with the file, the YAML path, the line and a
"did you mean": ``alerts.yaml: line 7: rules.gd_revenue_mom.metric: unknown metric 'revnue'
Did you mean 'revenue'?``. The loader checks the rules against the semantic model (metrics,
dimensions, filters, member values when a member index is given), cron and time zones.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from semantic_layer import SemanticModel, SemanticQuery, validate_query
from semantic_layer.errors import suggest
from semantic_layer.query import Filter

from .addresses import address_problem
from .errors import RuleError, RuleProblem
from .schedule import DEFAULT_TIMEZONE, Schedule, check_cron, check_timezone
from .yamlio import LineIndex, load_yaml

__all__ = ["ThresholdCondition", "ChangeCondition", "AnomalyCondition", "Condition", "PeriodSpec",
           "ScheduleSpec", "RuleSpec", "RulesFileSpec", "Rule", "RuleSet", "load_rules",
           "rules_from_dict"]

Op = Literal[">", ">=", "<", "<="]
#: how many fires of one rule a run evaluates one by one after downtime (older ones: reported as missed)
DEFAULT_CATCH_UP = 5
_NUMBER_HINT = "expected a number such as 0.02, or a percentage such as 2% or 1.5‰"


class _R(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _fraction(value: object) -> object:
    """``-10%`` -> -0.1, ``1.5‰`` -> 0.0015, ``"0.2"`` -> 0.2; numbers pass through (already fractions).

    >>> _fraction("-10%"), _fraction("1.5‰"), _fraction(0.3)
    (-0.1, 0.0015, 0.3)
    """
    if isinstance(value, bool) or not isinstance(value, str):
        return value
    text = value.strip().replace(" ", "")
    scale = 100 if text.endswith("%") else 1000 if text.endswith("‰") else 1
    try:
        number = float(text[:-1] if scale != 1 else text)
    except ValueError:
        raise ValueError(f"{value!r}: {_NUMBER_HINT}") from None
    return round(number / scale, 12)


def _percent_written(value: object) -> bool:
    return isinstance(value, str) and value.strip()[-1:] in ("%", "‰")


class ThresholdCondition(_R):
    """The period's value crosses a fixed bound: a number in the metric's unit, or a percentage
    (``2%``, ``1.5‰``) for percentage metrics."""

    type: Literal["threshold"]
    op: Op
    value: float
    #: the value as written when it was a percentage ("2%"): checked against the metric's format
    _written: str | None = PrivateAttr(default=None)

    @field_validator("value", mode="before")
    @classmethod
    def _as_number(cls, value: object) -> object:
        return _fraction(value)

    @model_validator(mode="wrap")
    @classmethod
    def _percentages(cls, data: Any, handler: Any) -> Any:
        raw = data.get("value") if isinstance(data, Mapping) else None
        condition = handler(data)
        if _percent_written(raw):
            condition._written = str(raw).strip()
        return condition

    @property
    def written(self) -> str | None:
        return self._written


class ChangeCondition(_R):
    """The change vs the previous period (or the same period last year) crosses a bound.

    ``value`` is a fraction (-0.1) or a percentage (-10%); ``abs>=`` fires on moves either way.
    """

    type: Literal["change"]
    compare: Literal["previous_period", "year_over_year"] = "previous_period"
    op: Literal[">", ">=", "<", "<=", "abs>", "abs>="]
    value: float

    @field_validator("value", mode="before")
    @classmethod
    def _as_fraction(cls, value: object) -> object:
        return _fraction(value)

    @field_validator("compare", mode="before")
    @classmethod
    def _alias(cls, value: object) -> object:
        return {"pop": "previous_period", "mom": "previous_period", "yoy": "year_over_year"}.get(value, value) \
            if isinstance(value, str) else value


class AnomalyCondition(_R):
    """``ChatBI.detect_anomalies`` flags a point inside the period (history of ``lookback`` grains)."""

    type: Literal["anomaly"]
    grain: Literal["day", "week", "month"] = "day"
    lookback: int = Field(default=120, ge=14, le=2000)
    sensitivity: float = Field(default=3.0, gt=0)
    direction: Literal["up", "down"] | None = None


Condition = Annotated[ThresholdCondition | ChangeCondition | AnomalyCondition, Field(discriminator="type")]


class PeriodSpec(_R):
    """The evaluated period: ``offset`` whole ``unit``s before the one containing the reference
    date (``offset: 1`` = the last complete one). The reference date is the run's local date
    (``relative_to: schedule``), the model's data anchor (``relative_to: data``), or the run's date
    while the data reaches that period and the data's anchor once it ends before it
    (``relative_to: auto``). Either way, data older than the schedule implies is reported
    (:mod:`chatbi.alerts.freshness`)."""

    unit: Literal["day", "week", "month", "quarter", "year"] = "day"
    offset: int = Field(default=1, ge=0, le=1000)
    relative_to: Literal["schedule", "data", "auto"] = "schedule"


class ScheduleSpec(_R):
    cron: str
    timezone: str = DEFAULT_TIMEZONE


class LocalText(_R):
    zh: str | None = None
    en: str | None = None


class RuleSpec(_R):
    """One alert rule as written in YAML (or passed to :class:`RuleStore`)."""

    name: str | LocalText | None = None
    metric: str
    filters: tuple[Filter, ...] = ()
    breakdown: str | None = None
    condition: Condition
    period: PeriodSpec = PeriodSpec()
    schedule: ScheduleSpec
    recipients: tuple[str, ...] = Field(min_length=1)
    language: Literal["zh", "en"] = "zh"
    enabled: bool = True
    top_contributors: int = Field(default=3, ge=0, le=10)
    #: the user whose access the rule is evaluated with (``chatbi.security``); None: the service's
    owner: str | None = None
    #: fires evaluated one by one after downtime (default: the file's ``defaults.catch_up``)
    catch_up: int | None = Field(default=None, ge=1, le=100)
    #: send the digest when the rule's data is missing or older than the schedule implies, even if
    #: nothing triggered (False: such a rule is only reported in digests sent anyway and on the page)
    notify_stale: bool = True

    @field_validator("filters", mode="before")
    @classmethod
    def _shorthand_filters(cls, value: object) -> object:
        # {province: 广东, channel: [线上]} is the friendly way to write member filters
        if isinstance(value, Mapping) and "op" not in value:
            return [{"op": "in", "dimension": k, "values": v if isinstance(v, (list, tuple)) else [v]}
                    for k, v in value.items()]
        return value

    @field_validator("schedule", mode="before")
    @classmethod
    def _cron_string(cls, value: object) -> object:
        return {"cron": value} if isinstance(value, str) else value

    @field_validator("recipients", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value


class Defaults(_R):
    timezone: str = DEFAULT_TIMEZONE
    language: Literal["zh", "en"] = "zh"
    schedule: str | None = None
    recipients: tuple[str, ...] = ()
    #: send a digest even when no rule in it triggered (a regular status report)
    send_when_quiet: bool = False
    #: after downtime, evaluate at most this many missed fires of a rule one by one; older ones
    #: are recorded as missed and reported in the next digest
    catch_up: int = Field(default=DEFAULT_CATCH_UP, ge=1, le=100)


class RulesFileSpec(_R):
    version: Literal[1] = 1
    #: what keeps this file's fire state apart from other rules files sharing the app database
    #: (default: the file's absolute path)
    namespace: str | None = None
    defaults: Defaults = Defaults()
    recipient_lists: dict[str, tuple[str, ...]] = {}
    rules: dict[str, dict[str, Any]] = {}


@dataclass(frozen=True)
class Rule:
    """A checked rule: recipients resolved to addresses, schedule parsed."""

    id: str
    spec: RuleSpec
    recipients: tuple[str, ...]
    schedule: Schedule
    #: fires evaluated one by one after downtime (older ones are reported as missed)
    catch_up: int = DEFAULT_CATCH_UP

    @property
    def metric(self) -> str:
        return self.spec.metric

    @property
    def language(self) -> str:
        return self.spec.language

    def title(self, language: str) -> str | None:
        """The user-given name in ``language`` (None: the digest derives one)."""
        name = self.spec.name
        if isinstance(name, LocalText):
            return getattr(name, language) or name.zh or name.en
        return name


@dataclass(frozen=True)
class RuleSet:
    rules: dict[str, Rule]
    source: str | None = None
    spec: RulesFileSpec = field(default_factory=RulesFileSpec)
    #: rules left out because they have problems (``load_rules(strict=False)``): id -> problems
    invalid: dict[str, tuple[RuleProblem, ...]] = field(default_factory=dict)

    @property
    def namespace(self) -> str:
        """Keys this file's fire state in the app database: ``namespace:`` in the file, else the
        file's absolute path (two files with a rule ``revenue_daily`` each never share state)."""
        if self.spec.namespace:
            return self.spec.namespace
        return str(Path(self.source).resolve()) if self.source else ""

    def problems_text(self) -> list[str]:
        """One line per problem of the rules left out."""
        prefix = f"{self.source}: " if self.source else ""
        return [prefix + p.render() for problems in self.invalid.values() for p in problems]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.rules.values())

    def __len__(self) -> int:
        return len(self.rules)

    def __getitem__(self, rule_id: str) -> Rule:
        try:
            return self.rules[rule_id]
        except KeyError:
            raise RuleError([RuleProblem("", f"no rule {rule_id!r}", suggest(rule_id, self.rules))],
                            source=self.source) from None

    @property
    def enabled(self) -> list[Rule]:
        return [r for r in self.rules.values() if r.spec.enabled]


def load_rules(path: str | os.PathLike[str], model: SemanticModel | None = None,
               members: Mapping[str, frozenset[str]] | None = None, *, strict: bool = True) -> RuleSet:
    """Read a rules file; raise :class:`RuleError` listing every problem (file, path, line).

    With ``strict=False`` (what ``alerts run`` and the daemon use) a rule with problems is left
    out and listed in :attr:`RuleSet.invalid`, so one bad rule never stops the others; problems
    outside the rules (YAML syntax, defaults, recipient lists) still refuse the whole file.
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleError([RuleProblem("", f"cannot read the rules file ({exc.strerror})")], source=source) from None
    except UnicodeDecodeError as exc:
        raise RuleError([RuleProblem("", f"the rules file is not UTF-8 text ({exc.reason} at byte {exc.start})")],
                        source=source) from None
    try:
        data, duplicates = load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = f"not valid YAML: {getattr(exc, 'problem', None) or exc}"
        if mark is not None:
            problem += f" (column {mark.column + 1})"
        raise RuleError([RuleProblem("", problem, line=mark.line + 1 if mark else None)], source=source) from None
    dup_problems = [RuleProblem(d.path, d.message(), line=d.line) for d in duplicates]
    return rules_from_dict(data if data is not None else {}, model, members, source=source, text=text,
                           strict=strict, extra_problems=dup_problems)


def _rule_of(path: str) -> str | None:
    """The rule id a problem path belongs to (``rules.gd.metric`` -> ``gd``), None for file-level paths."""
    match = re.match(r"rules\.([^.\[\]]+)", path)
    return match.group(1) if match else None


def rules_from_dict(data: Any, model: SemanticModel | None = None,
                    members: Mapping[str, frozenset[str]] | None = None, *, source: str | None = None,
                    text: str | None = None, strict: bool = True,
                    extra_problems: Iterable[RuleProblem] = ()) -> RuleSet:
    """Check a parsed rules document (see the module docstring for the format).

    ``extra_problems`` come from reading the file (duplicate keys); ``strict`` as in :func:`load_rules`.
    """
    lines = LineIndex(text)
    problems: list[RuleProblem] = list(extra_problems)

    def add(path: str, message: str, candidates: Iterable[str] = ()) -> None:
        problems.append(RuleProblem(path, message, tuple(candidates), lines.line(path)))

    if not isinstance(data, Mapping):
        raise RuleError([RuleProblem("", "a rules file is a mapping with a 'rules' section")], source=source)
    try:
        file_spec = RulesFileSpec.model_validate(data)
    except ValidationError as exc:
        for path, message, candidates in _explain(exc, "", RulesFileSpec):
            add(path, message, candidates)
        raise RuleError(problems, source=source) from None

    lists: dict[str, tuple[str, ...]] = {}
    for name, addresses in file_spec.recipient_lists.items():
        for i, addr in enumerate(addresses):
            reason = address_problem(addr)
            if reason:
                add(f"recipient_lists.{name}[{i}]", reason)
        lists[name] = addresses
    defaults = file_spec.defaults
    if check_timezone(defaults.timezone):
        reason, cands = check_timezone(defaults.timezone)  # type: ignore[misc]
        add("defaults.timezone", reason, cands)

    rules: dict[str, Rule] = {}
    for rule_id, raw in file_spec.rules.items():
        where = f"rules.{rule_id}"
        if not re.fullmatch(r"[A-Za-z0-9_.\-]+", str(rule_id)):
            add(where, "a rule id may use letters, digits, '_', '-' and '.' only")
        if not isinstance(raw, Mapping):
            add(where, "a rule is a mapping with metric, condition, schedule and recipients")
            continue
        merged = _with_defaults(dict(raw), defaults)
        try:
            spec = RuleSpec.model_validate(merged)
        except ValidationError as exc:
            for path, message, candidates in _explain(exc, where, RuleSpec):
                add(path, message, candidates)
            _check_raw(where, merged, lists, model, add)  # report the other fields' problems too
            continue
        rule = _check_rule(rule_id, spec, lists, model, members, add, defaults)
        if rule is not None:
            rules[rule_id] = rule
    if not problems:
        return RuleSet(rules, source, file_spec)
    by_rule: dict[str, list[RuleProblem]] = {}
    for problem in problems:
        owner = _rule_of(problem.path)
        if owner is not None and owner in file_spec.rules:
            by_rule.setdefault(owner, []).append(problem)
    file_level = [p for p in problems if _rule_of(p.path) not in by_rule]
    if strict or file_level:
        raise RuleError(problems, source=source)
    kept = {rule_id: rule for rule_id, rule in rules.items() if rule_id not in by_rule}
    return RuleSet(kept, source, file_spec, {k: tuple(v) for k, v in by_rule.items()})


def _with_defaults(raw: dict[str, Any], defaults: Defaults) -> dict[str, Any]:
    raw.setdefault("language", defaults.language)
    if "schedule" not in raw and defaults.schedule:
        raw["schedule"] = defaults.schedule
    if isinstance(raw.get("schedule"), str):
        raw["schedule"] = {"cron": raw["schedule"]}
    if isinstance(raw.get("schedule"), Mapping):
        raw["schedule"] = {"timezone": defaults.timezone, **raw["schedule"]}
    if "recipients" not in raw and defaults.recipients:
        raw["recipients"] = list(defaults.recipients)
    return raw


def _check_rule(rule_id: str, spec: RuleSpec, lists: Mapping[str, tuple[str, ...]], model: SemanticModel | None,
                members: Mapping[str, frozenset[str]] | None, add: Any, defaults: Defaults) -> Rule | None:
    where = f"rules.{rule_id}"
    ok = True
    cron_problem = check_cron(spec.schedule.cron)
    if cron_problem:
        add(f"{where}.schedule.cron", cron_problem)
        ok = False
    zone_problem = check_timezone(spec.schedule.timezone)
    if zone_problem:
        add(f"{where}.schedule.timezone", *zone_problem)
        ok = False
    recipients: list[str] = []
    for i, item in enumerate(spec.recipients):
        if item in lists:
            recipients.extend(lists[item])
        elif "@" in item and address_problem(item) is None:
            recipients.append(item)
        else:
            add(f"{where}.recipients[{i}]", _recipient_problem(item), suggest(item, lists, cutoff=0.5))
            ok = False
    if model is not None and _check_against_model(where, spec, model, members, add):
        spec, read = _threshold_in_metric_units(where, spec, model, add)
        ok = ok and read
    elif model is not None:
        ok = False
    if not ok:
        return None
    unique = tuple(dict.fromkeys(a.strip() for a in recipients))
    return Rule(rule_id, spec, unique, Schedule(" ".join(spec.schedule.cron.split()), spec.schedule.timezone),
                spec.catch_up or defaults.catch_up)


def _recipient_problem(item: str) -> str:
    if "@" in item:
        return address_problem(item) or f"{item!r} is not an email address"
    return f"{item!r} is neither an email address nor a recipient list"


def _threshold_in_metric_units(where: str, spec: RuleSpec, model: SemanticModel, add: Any) -> tuple[RuleSpec, bool]:
    """A threshold written as a percentage, read in the metric's unit: ``2%`` is 0.02 for a
    percentage metric stored as a fraction (churn rate), 2 for one stored in percent
    (availability_pct, unit ``%``); for any other metric a percentage is a mistake."""
    cond = spec.condition
    if not isinstance(cond, ThresholdCondition) or cond.written is None:
        return spec, True
    metric = model.metrics.get(spec.metric)
    fmt, unit = (getattr(metric, "format", "number"), getattr(metric, "unit", "")) if metric else ("number", "")
    if fmt == "percent":
        return spec, True
    if unit == "%":
        value = round(cond.value * 100, 10)
        return spec.model_copy(update={"condition": cond.model_copy(update={"value": value})}), True
    add(f"{where}.condition.value", f"{cond.written} is a percentage, but {spec.metric!r} is not a percentage "
        f"metric (format {fmt}{', unit ' + unit if unit else ''}); write the threshold as a plain number")
    return spec, False


def _check_raw(where: str, raw: Mapping[str, Any], lists: Mapping[str, tuple[str, ...]],
               model: SemanticModel | None, add: Any) -> None:
    """Semantic checks of a rule that failed shape validation, on whatever fields are readable."""
    metric = raw.get("metric")
    if model is not None and isinstance(metric, str) and metric not in model.metrics:
        add(f"{where}.metric", f"unknown metric {metric!r}", suggest(metric, model.visible_metrics))
    schedule = raw.get("schedule")
    if isinstance(schedule, Mapping):
        if isinstance(schedule.get("cron"), str) and check_cron(schedule["cron"]):
            add(f"{where}.schedule.cron", check_cron(schedule["cron"]))
        if isinstance(schedule.get("timezone"), str) and check_timezone(schedule["timezone"]):
            add(f"{where}.schedule.timezone", *check_timezone(schedule["timezone"]))  # type: ignore[misc]
    recipients = raw.get("recipients")
    for i, item in enumerate([recipients] if isinstance(recipients, str) else recipients or []):
        if isinstance(item, str) and item not in lists and ("@" not in item or address_problem(item)):
            add(f"{where}.recipients[{i}]", _recipient_problem(item), suggest(item, lists, cutoff=0.5))


def _check_against_model(where: str, spec: RuleSpec, model: SemanticModel,
                         members: Mapping[str, frozenset[str]] | None, add: Any) -> bool:
    ok = True
    if spec.metric not in model.metrics:
        add(f"{where}.metric", f"unknown metric {spec.metric!r}", suggest(spec.metric, model.visible_metrics))
        return False
    if spec.breakdown is not None:
        dim = model.dimensions.get(spec.breakdown)
        if dim is not None and dim.type == "time":
            add(f"{where}.breakdown", "the breakdown must be a categorical dimension, not time")
            return False
    query = SemanticQuery(metrics=(spec.metric,), dimensions=(spec.breakdown,) if spec.breakdown else (),
                          filters=spec.filters)
    for issue in validate_query(model, query, members):
        path = issue.field.replace("dimensions[0]", "breakdown") if issue.field else ""
        add(f"{where}.{path}" if path else where, issue.message, issue.candidates)
        ok = False
    return ok


def _explain(exc: ValidationError, prefix: str, root: type[BaseModel]) -> list[tuple[str, str, tuple[str, ...]]]:
    out = []
    for err in exc.errors():
        loc = [p for p in err["loc"] if not (isinstance(p, str) and (p.endswith(("Condition", "Filter"))
                                                                     or p in {"threshold", "change", "anomaly"}))]
        path = ".".join([prefix] * bool(prefix) + [f"[{p}]" if isinstance(p, int) else str(p) for p in loc])
        path = path.replace(".[", "[")
        kind = err["type"]
        candidates: tuple[str, ...] = ()
        if kind == "extra_forbidden":
            message = "unknown field"
            candidates = suggest(str(loc[-1]), _fields_at(root, loc[:-1]), n=1, cutoff=0.5)
        elif kind == "missing":
            message = "required field is missing"
        elif kind in {"literal_error", "union_tag_invalid", "union_tag_not_found"}:
            ctx = err.get("ctx", {})
            given = err.get("input")
            if kind != "literal_error":  # the discriminator: point at the 'type' field itself
                path += ".type"
                given = ctx.get("tag")
            expected = str(ctx.get("expected", "") or ctx.get("expected_tags", ""))
            options = tuple(o.strip(" '") for o in expected.replace(" or ", ",").split(",") if o.strip(" '"))
            message = f"{given!r} is not one of {', '.join(options)}" if given is not None else \
                f"required field is missing (one of {', '.join(options)})"
            candidates = suggest(str(given), options, n=1, cutoff=0.3) if given is not None else ()
        else:
            message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        out.append((path, message, candidates))
    # a misspelt required field shows up twice: "recipients missing" and "recipient unknown"
    suggested = {p.rsplit(".", 1)[0] + "." + c[0] for p, m, c in out if m == "unknown field" and c}
    return [o for o in out if not (o[1] == "required field is missing" and o[0] in suggested)]


def _fields_at(model: type[BaseModel], loc: list[Any]) -> tuple[str, ...]:
    current: Any = model
    for part in loc:
        if isinstance(part, int) or not (isinstance(current, type) and issubclass(current, BaseModel)):
            continue
        info = current.model_fields.get(str(part))
        if info is None:
            return ()
        current = _first_model(info.annotation) or current
    if isinstance(current, type) and issubclass(current, BaseModel):
        return tuple(current.model_fields)
    return ()


def _first_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _first_model(arg)
        if found is not None:
            return found
    return None

