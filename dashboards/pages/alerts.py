"""The Alerts page: alert rules, the digests they produced (the outbox), and a test digest.

A test digest goes only to the signed-in user's own address (``email`` in ``security.yaml``) or
to the rule's recipients when the user owns the rule, at most ``TestSendLimit.per_hour`` an hour
per user; the recipients of other users' rules are not shown.

Rules come from the YAML file given to ``create_app(alert_rules=...)``; runs are read from the
outbox that ``chatbi.alerts`` keeps in the same app database as the dashboards. Until the alerts
module is installed, or when no rules file is configured, the page says so instead of failing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, html
from dash.exceptions import PreventUpdate

from ..context import AppContext
from ..i18n import t
from ..querytools import period_label
from ..ratelimit import TestSendLimit
from . import Page

__all__ = ["PAGE", "layout", "register", "load_rules", "rule_rows", "run_rows", "send_test", "allowed_test_addresses"]

log = logging.getLogger(__name__)
MAX_RUNS = 12


def load_rules(ctx: AppContext) -> tuple[Any, str | None]:
    """The configured rule set, or ``(None, message)`` when there is none or it does not load."""
    if ctx.alert_rules is None or not ctx.alert_rules.exists():
        return None, "alerts.none"
    from chatbi.alerts import AlertError
    from chatbi.alerts import load_rules as load

    # checked against every member, not the signed-in user's: the rules are the service's configuration
    bi = getattr(ctx.chatbi, "base", None) or ctx.chatbi
    try:  # a rule with problems is listed with them; the others are shown as usual
        return load(ctx.alert_rules, bi.model, bi.members.as_sets(), strict=False), None
    except (AlertError, OSError, ValueError) as exc:
        return None, str(exc)


def _condition(spec: Any, lang: str) -> str:
    cond = spec.condition
    kind = getattr(cond, "type", "")
    if kind == "threshold":
        return f"{t('alerts.value', lang)} {cond.op} {cond.value:,.6g}"
    if kind == "change":
        value = cond.value
        shown = f"{value:+.1%}" if isinstance(value, float) and abs(value) < 10 else str(value)
        return f"{t('chip.compare.' + cond.compare, lang)} {cond.op} {shown}"
    if kind == "anomaly":
        return f"{t('explore.anomaly', lang)} ({t('grain.' + cond.grain, lang)})"
    return kind


def rule_rows(ctx: AppContext, rules: Any, lang: str) -> list[dict[str, str]]:
    """One row per rule: what it watches, when it runs, who gets it, when it last fired."""
    outbox = _outbox(ctx)
    namespace = getattr(rules, "namespace", "")
    fires = outbox.last_fires(namespace)
    errors = outbox.last_errors(namespace)
    missed: dict[str, int] = {}
    for item in outbox.missed(namespace):
        missed[item.rule_id] = missed.get(item.rule_id, 0) + item.count
    model = ctx.chatbi.model
    as_of = _as_of(ctx)
    now = _now(ctx)
    rows = []
    for rule in rules:
        spec = rule.spec
        schedule = getattr(spec.schedule, "cron", "") or ""
        zone = getattr(spec.schedule, "timezone", "") or ""
        last = fires.get(rule.id)
        # never quiet: a rule that cannot be evaluated, or whose runs were missed, says so here
        status = [t("alerts.failing", lang, error=errors[rule.id])] if rule.id in errors else []
        if missed.get(rule.id):
            status.append(t("alerts.missed", lang, n=missed[rule.id]))
        freshness = _freshness(rule, as_of, lang, now)
        if freshness:
            status.append(freshness)
        shown = ", ".join(rule.recipients) if _sees_recipients(ctx, spec.owner) else t("alerts.hidden", lang)
        rows.append({"id": rule.id, "name": rule.title(lang) or rule.id, "metric": model.label(spec.metric, lang),
                     "condition": _condition(spec, lang), "schedule": f"{schedule} {zone}".strip(),
                     "recipients": shown, "enabled": "✓" if spec.enabled else "–",
                     "last": last.strftime("%Y-%m-%d %H:%M") if last else "–", "status": "; ".join(status)})
    for rule_id, problems in getattr(rules, "invalid", {}).items():
        rows.append({"id": rule_id, "name": rule_id, "metric": "", "condition": "", "schedule": "", "recipients": "",
                     "enabled": "✗", "last": "–", "status": "; ".join(p.render() for p in problems)})
    return rows


def _principal(ctx: AppContext) -> Any:
    """The signed-in user (None when the app runs without sign-in)."""
    return getattr(ctx.chatbi, "principal", None) if getattr(ctx, "auth", None) is not None else None


def _sees_recipients(ctx: AppContext, owner: str | None) -> bool:
    """Addresses are personal data: a signed-in user sees the recipients of their own rules only."""
    principal = _principal(ctx)
    return principal is None or owner == principal.user


def allowed_test_addresses(ctx: AppContext, rule: Any) -> frozenset[str]:
    """Where a test digest of ``rule`` may go: the user's own address, and the rule's recipients when
    the digest shows what they get anyway (the user owns the rule, or it is an unowned rule and
    the user sees all data). Without sign-in: the rule's recipients."""
    principal = _principal(ctx)
    if principal is None:
        return frozenset(a.lower() for a in rule.recipients)
    own = str(principal.attributes.get("email") or "").strip().lower()
    owner = rule.spec.owner
    recipients = rule.recipients if owner == principal.user or (owner is None and principal.policy.unrestricted) \
        else ()
    return frozenset({a.lower() for a in recipients} | ({own} if own else set()))


def _as_of(ctx: AppContext) -> Any:
    """The data's newest date (the same for every user: it reads no rows of theirs)."""
    from chatbi.errors import ChatBIError

    bi = getattr(ctx.chatbi, "base", None) or ctx.chatbi
    try:
        return bi.as_of
    except ChatBIError:  # the warehouse is down: the rules' own errors will say so
        return None


def _now(ctx: AppContext) -> Any:
    """The ChatBI's clock (tests set one), as an aware instant."""
    import datetime as dt

    bi = getattr(ctx.chatbi, "base", None) or ctx.chatbi
    clock = getattr(bi, "clock", None)
    now = clock() if callable(clock) else dt.datetime.now(dt.UTC)
    return now if now.tzinfo is not None else now.astimezone()


def _freshness(rule: Any, as_of: Any, lang: str, now: Any) -> str | None:
    """"No data" or "stale" when the data ends before the period this rule's schedule points at now
    (``chatbi.alerts.freshness``): no data is never shown as a quiet rule. A rule that reads the
    data's last complete period (``relative_to: data`` or ``auto``) has numbers, but stale ones."""
    from chatbi.alerts.evaluate import schedule_period

    if as_of is None:
        return None
    start, end = schedule_period(rule, now)
    if as_of < start and rule.spec.period.relative_to == "schedule":
        return t("alerts.no_data", lang, period=period_label((start.isoformat(), end.isoformat()), lang) or "",
                 date=as_of.isoformat())
    if as_of < end:
        return t("alerts.stale", lang, date=as_of.isoformat(), expected=end.isoformat())
    return None


def _outbox(ctx: AppContext) -> Any:
    from chatbi.alerts import Outbox

    return Outbox(ctx.store.path)


def run_rows(ctx: AppContext, lang: str, limit: int = MAX_RUNS, rules: Any = None) -> list[dict[str, str]]:
    """The latest digests in the outbox, newest first (for a user with restricted access: only the
    digests of rules they own, since subjects quote numbers evaluated with the owner's access)."""
    entries = sorted(_outbox(ctx).entries(include_mime=False), key=lambda e: e.created.timestamp() if e.created else 0,
                     reverse=True)
    principal = getattr(ctx.chatbi, "principal", None)
    owners = {r.id: r.spec.owner for r in rules or ()}
    if principal is not None and not principal.policy.unrestricted:
        entries = [e for e in entries if e.rules and all(owners.get(i) == principal.user for i in e.rules)]

    def recipients(e: Any) -> str:
        mine = e.rules and all(_sees_recipients(ctx, owners.get(i)) for i in e.rules)
        return ", ".join(e.recipients) if mine else t("alerts.hidden", lang)

    return [{"time": e.created.strftime("%Y-%m-%d %H:%M") if e.created else "", "subject": e.subject,
             "status": t(f"alerts.status.{e.status}", lang), "recipients": recipients(e),
             "attempts": str(e.attempts), "error": e.last_error or ""} for e in entries[:limit]]


def send_test(ctx: AppContext, rule_id: str | None, to: str | None, lang: str) -> tuple[bool, str]:
    """Evaluate one rule now and mail its digest to ``to`` (SMTP settings from ``CHATBI_SMTP_*``)."""
    from chatbi.alerts.addresses import address_problem

    address = (to or "").strip()
    if not address or address_problem(address):
        return False, t("alerts.bad_address", lang)
    rules, problem = load_rules(ctx)
    if rules is None:
        return False, t(problem, lang) if problem and problem.startswith("alerts.") else str(problem)
    rule = next((r for r in rules if r.id == rule_id), None) if rule_id else None
    if rule is None:
        return False, t("alerts.pick_rule", lang)
    if address.lower() not in allowed_test_addresses(ctx, rule):
        return False, t("alerts.not_your_address", lang)
    principal = _principal(ctx)
    limiter = TestSendLimit(ctx.store.path)
    wait = limiter.wait_s(principal.user if principal is not None else "")
    if wait > 0:
        return False, t("alerts.too_many", lang, n=limiter.per_hour, m=int(wait // 60) + 1)
    from chatbi.alerts import AlertError, AlertRunner, SMTPMailer, SMTPSettings
    from chatbi.errors import ChatBIError

    limiter.note(principal.user if principal is not None else "")
    try:
        settings = SMTPSettings.from_env()
        runner = AlertRunner(ctx.chatbi, rules, _outbox(ctx), SMTPMailer(settings), sender=settings.sender)
        report = runner.send_test(rule.id, [address])
    except (AlertError, ChatBIError, OSError) as exc:
        return False, str(exc)
    if report.delivery.sent:
        return True, t("alerts.sent", lang, to=address)
    return False, "; ".join(report.errors) or t("alerts.not_sent", lang)


def _table(rows: list[dict[str, str]], columns: list[tuple[str, str]], lang: str, cls: str) -> Any:
    return dbc.Table([html.Thead(html.Tr([html.Th(t(label, lang)) for _, label in columns])),
                      html.Tbody([html.Tr([html.Td(r.get(key, ""), className=f"col-{key}") for key, _ in columns])
                                  for r in rows])],
                     size="sm", hover=True, responsive=True, className=f"mb-0 {cls}")


def layout(ctx: AppContext, lang: str, session_id: str, params: Mapping[str, str]) -> Any:
    title = html.H4(t("alerts.title", lang), className="mb-3")
    rules, problem = load_rules(ctx)
    if rules is None:
        message = t(problem, lang) if problem and problem.startswith("alerts.") else problem
        return html.Div([title, dbc.Alert(message, color="light", className="alerts-placeholder")],
                        className="alerts-page")
    rows = rule_rows(ctx, rules, lang)
    runs = run_rows(ctx, lang, rules=rules)
    # the status next to the name: a rule without current data must not hide at the end of a scrolled row
    rule_columns = [("name", "alerts.rule"), ("status", "alerts.rule_status"), ("metric", "explore.metric"),
                    ("condition", "alerts.condition"), ("schedule", "alerts.schedule"), ("recipients", "alerts.to"),
                    ("last", "alerts.last"), ("enabled", "alerts.enabled")]
    run_columns = [("time", "alerts.time"), ("subject", "alerts.subject"), ("status", "alerts.status"),
                   ("recipients", "alerts.to"), ("attempts", "alerts.attempts"), ("error", "alerts.error")]
    return html.Div([
        title,
        dbc.Card([dbc.CardHeader(t("alerts.rules", lang)),
                  dbc.CardBody(_table(rows, rule_columns, lang, "alert-rules"))], className="dash-card mb-3"),
        dbc.Card([dbc.CardHeader(t("alerts.runs", lang)),
                  dbc.CardBody(_table(runs, run_columns, lang, "alert-runs") if runs
                               else html.P(t("alerts.no_runs", lang), className="text-muted mb-0"))],
                 className="dash-card mb-3"),
        dbc.Card([dbc.CardHeader(t("alerts.test", lang)), dbc.CardBody([
            dbc.Row([
                dbc.Col(dbc.Select(id="alert-test-rule", value=rows[0]["id"] if rows else None,
                                   options=[{"label": r["name"], "value": r["id"]} for r in rows]), md=5),
                dbc.Col(dbc.Input(id="alert-test-to", type="email", placeholder=t("alerts.to", lang)), md=5),
                dbc.Col(dbc.Button(t("alerts.send", lang), id="alert-test-send", color="primary", n_clicks=0,
                                   className="w-100"), md=2),
            ], className="g-2"),
            html.Div(id="alert-test-result", className="mt-2"),
        ])], className="dash-card"),
    ], className="alerts-page")


def register(app: dash.Dash, ctx: AppContext) -> None:
    @app.callback(Output("alert-test-result", "children"), Input("alert-test-send", "n_clicks"),
                  State("alert-test-rule", "value"), State("alert-test-to", "value"), State("lang", "data"),
                  prevent_initial_call=True, running=[(Output("alert-test-send", "disabled"), True, False)])
    def _on_send(clicks: int | None, rule_id: str | None, to: str | None, lang: str | None) -> Any:
        if not clicks:
            raise PreventUpdate
        ok, message = send_test(ctx, rule_id, to, lang or ctx.default_language)
        return dbc.Alert(message, color="success" if ok else "warning", className="mb-0 small")


PAGE = Page(path="/alerts", title_key="nav.alerts", layout=layout, register=register)
