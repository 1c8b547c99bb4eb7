"""The rules file as an editable store: add, update and delete rules from Python (the app).

Every change is checked against the whole file and the semantic model before anything is
written, and the file is replaced atomically (temporary file + ``os.replace``), so a bad edit
raises :class:`~chatbi.alerts.errors.RuleError` and loses nothing.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from semantic_layer import SemanticModel
from semantic_layer.errors import suggest

from .errors import RuleError, RuleProblem
from .rules import Rule, RuleSet, RuleSpec, ThresholdCondition, load_rules, rules_from_dict
from .yamlio import load_yaml

__all__ = ["RuleStore"]


class RuleStore:
    """The rules file as an editable store (for the app): add, update and delete rules.

    Every change is checked against the whole file and the model before it is written, and the
    file is replaced atomically, so a bad edit raises :class:`RuleError` and loses nothing.
    Comments in the file are not preserved by edits.
    """

    def __init__(self, path: str | os.PathLike[str], model: SemanticModel | None = None,
                 members: Mapping[str, frozenset[str]] | None = None) -> None:
        self.path = Path(path)
        self.model = model
        self.members = members

    def load(self) -> RuleSet:
        if not self.path.exists():
            return RuleSet({}, str(self.path))
        return load_rules(self.path, self.model, self.members)

    def get(self, rule_id: str) -> Rule:
        return self.load()[rule_id]

    def add(self, rule_id: str, rule: RuleSpec | Mapping[str, Any]) -> Rule:
        data = self._read()
        if rule_id in data.setdefault("rules", {}):
            raise RuleError([RuleProblem(f"rules.{rule_id}", "a rule with this id exists; use update()")],
                            source=str(self.path))
        data["rules"][rule_id] = _plain(rule)
        return self._write(data)[rule_id]

    def update(self, rule_id: str, changes: Mapping[str, Any]) -> Rule:
        """Merge ``changes`` into the rule (top-level fields replaced; ``None`` removes a field)."""
        data = self._read()
        current = data.get("rules", {}).get(rule_id)
        if current is None:
            raise RuleError([RuleProblem("", f"no rule {rule_id!r}", suggest(rule_id, data.get("rules", {})))],
                            source=str(self.path))
        for key, value in _plain(changes).items():
            if value is None:
                current.pop(key, None)
            else:
                current[key] = value
        return self._write(data)[rule_id]

    def delete(self, rule_id: str) -> None:
        data = self._read()
        if rule_id not in data.get("rules", {}):
            raise RuleError([RuleProblem("", f"no rule {rule_id!r}", suggest(rule_id, data.get("rules", {})))],
                            source=str(self.path))
        del data["rules"][rule_id]
        self._write(data)

    def set_recipient_list(self, name: str, addresses: Iterable[str]) -> None:
        data = self._read()
        data.setdefault("recipient_lists", {})[name] = list(addresses)
        self._write(data)

    def _read(self) -> dict[str, Any]:
        if not self.path.exists():
            return {"version": 1, "rules": {}}
        self.load()  # refuse to edit a file that is already broken: the error says where
        return load_yaml(self.path.read_text(encoding="utf-8"))[0] or {}

    def _write(self, data: dict[str, Any]) -> RuleSet:
        checked = rules_from_dict(data, self.model, self.members, source=str(self.path))
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=False)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return checked


def _plain(value: Any) -> Any:
    if isinstance(value, RuleSpec):
        data = value.model_dump(mode="json", exclude_defaults=True)
        if isinstance(value.condition, ThresholdCondition) and value.condition.written:
            data["condition"]["value"] = value.condition.written  # "2%" stays a percentage
        return data
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_defaults=True)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
