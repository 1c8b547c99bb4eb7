"""The LLM translator: any OpenAI-compatible endpoint turns a question into a ``SemanticQuery``.

The model answers by calling a function tool whose parameters are ``SemanticQuery``'s JSON
schema (or, for servers without tool calling, with the same JSON as plain content). Whatever
comes back is parsed by pydantic and checked by ``validate_query``; problems go back to the
model for a bounded number of repair rounds, after which the user is asked instead of being
given a guess. Nothing the model writes runs unchecked: a query is compiled by the semantic
layer, free SQL (opt-in) goes through the SQL guard. No data rows are sent unless
``share_data`` is on, and then only to word the narrative.

``openai`` is imported lazily, here only.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pydantic import ValidationError

from semantic_layer import Issue, SemanticModel, SemanticQuery, validate_query

from ..errors import ChatBIError, MissingDependencyError
from .base import TranslationContext
from .deadline import DeadlineExceeded, DeadlineTransport, call_before
from .llm_result import (
    LLMResult,
    LLMTranslation,
    LLMUsage,
    conversation_turns,
    describe_issues,
    detect_language,
    say,
    to_translation,
)
from .prompt import (
    CLARIFY_TOOL,
    QUERY_TOOL,
    SQL_TOOL,
    Turn,
    build_messages,
    clarify_tool,
    select_context,
    semantic_query_tool,
    sql_tool,
    system_prompt,
)
from .settings import LLMSettings

__all__ = ["LLMTranslator", "LLMTranslation", "LLMResult", "LLMUsage", "LLMUnavailableError", "detect_language"]


class LLMUnavailableError(ChatBIError, RuntimeError):
    """The endpoint is down, too slow, refused the request or answered with garbage."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


@dataclass(frozen=True)
class _Reply:
    """The first usable part of a completion: a tool call or plain content."""

    tool: str | None
    arguments: str
    content: str
    #: messages that echo the reply back in the next round (assistant turn with all its tool calls)
    echo: dict[str, Any]
    call_ids: tuple[str, ...] = ()


class LLMTranslator:
    """Translate questions with a model behind an OpenAI-compatible chat-completions endpoint.

    ``client`` may be any object with the ``openai.OpenAI`` interface (tests pass a real
    client pointed at a loopback server); by default one is built from the settings.
    """

    name = "llm"

    def __init__(self, settings: LLMSettings | Mapping[str, Any] | None = None, *, client: Any = None,
                 **overrides: Any) -> None:
        self.settings = LLMSettings.coerce(settings, **overrides)
        self._client = client
        self._lock = threading.Lock()

    # -- the client ------------------------------------------------------------------------
    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = _make_client(self.settings)
            return self._client

    # -- the Translator protocol -------------------------------------------------------------
    def translate(self, question: str, context: TranslationContext) -> LLMTranslation:
        """Translate within a conversation; endpoint trouble becomes a clarification with the reason."""
        language = context.language
        if not language and not re.search(r"[A-Za-z\u3400-\u4dbf\u4e00-\u9fff]", question):
            language = context.fallback_language  # "5G?" says nothing about the language
        try:
            result = self.translate_query(question, model=context.model, anchor=context.anchor,
                                          members=context.members, conversation=conversation_turns(context),
                                          language=language)
        except Exception as exc:
            logging.getLogger(__name__).warning("LLM translation failed", exc_info=True)
            lang = language or detect_language(question)
            result = LLMResult("unavailable", language=lang, reason="garbage",
                               message=say(lang, "garbage", detail=f"{type(exc).__name__}: {_short(str(exc))}"))
        return to_translation(result, question, context.model)

    # -- translation -----------------------------------------------------------------------
    def translate_query(self, question: str, *, model: SemanticModel, anchor: dt.date,
                        members: Any = None, conversation: Sequence[Turn] = (),
                        language: str | None = None) -> LLMResult:
        """Ask the model for a query; validate and repair; never raises for endpoint trouble."""
        s = self.settings
        start = time.perf_counter()
        lang = language or detect_language(question)
        member_items: Mapping[str, Iterable[Any]] = getattr(members, "members", members) or {}
        member_sets = members.as_sets() if hasattr(members, "as_sets") else (
            {d: frozenset(str(getattr(m, "value", m)) for m in v) for d, v in member_items.items()})
        selection = select_context(model, question, members=member_items, conversation=conversation,
                                   full_items=s.full_model_items, top_k=s.top_k)
        system = system_prompt(model, selection, anchor=anchor, members=member_items, language=lang,
                               free_sql=s.free_sql)
        messages = build_messages(system, question, conversation)
        strict = s.use_strict
        tools = [semantic_query_tool(strict), clarify_tool(strict)] + ([sql_tool(strict)] if s.free_sql else [])
        deadline = start + s.total_timeout
        usage = LLMUsage()
        issues: tuple[Issue, ...] = ()
        draft: SemanticQuery | None = None

        def done(result: LLMResult) -> LLMResult:
            return replace(result, language=lang,
                           usage=replace(usage, ms=(time.perf_counter() - start) * 1000))

        for _ in range(s.max_repair_rounds + 1):
            try:
                completion, call_usage = self._complete(messages, tools, deadline)
            except LLMUnavailableError as exc:
                return done(LLMResult("unavailable", message=say(lang, exc.reason, detail=str(exc)),
                                      reason=exc.reason))
            usage = usage + call_usage
            reply = _read_reply(completion)
            if reply is None:
                messages.append({"role": "user", "content": f"Answer by calling the `{QUERY_TOOL}` tool."})
                continue

            if reply.tool in (CLARIFY_TOOL, None):
                args = _loads(reply.arguments if reply.tool else (_json_block(reply.content) or ""))
                # servers without tool calling may send the clarify arguments as content
                if isinstance(args, dict) and isinstance(args.get("message"), str) and "reason" in args \
                        and not args.keys() & {"metrics", "dimensions"}:
                    return done(_clarify_result(args, lang))
            elif reply.tool == SQL_TOOL and s.free_sql:
                args = _loads(reply.arguments)
                if isinstance(args, dict) and isinstance(args.get("sql"), str) and args["sql"].strip():
                    return done(LLMResult("sql", sql=args["sql"].strip()))

            query, feedback, issues_now = self._check(reply, model, member_sets,
                                                      frozenset(getattr(member_items, "withheld", ())))
            if query is not None:
                return done(LLMResult("query", query=query))
            if issues_now:
                issues = issues_now
            draft = _draft(reply) or draft
            messages += _feedback_messages(reply, feedback)

        candidates = tuple(dict.fromkeys(c for i in issues for c in i.candidates))[:5]
        return done(LLMResult("clarify", message=say(lang, "invalid", problems=describe_issues(issues, model, lang)),
                              reason="invalid", issues=issues, draft=draft, options=candidates))

    def _check(self, reply: _Reply, model: SemanticModel, member_sets: Mapping[str, frozenset[str]],
               withheld: frozenset[str] = frozenset()) -> tuple[SemanticQuery | None, str, tuple[Issue, ...]]:
        """A validated query, or feedback for the model (and the semantic issues found)."""
        if reply.tool not in (None, QUERY_TOOL):
            if reply.tool == SQL_TOOL:
                return None, f"Free SQL is not enabled; call `{QUERY_TOOL}`.", ()
            if reply.tool == CLARIFY_TOOL:
                return None, f"`{CLARIFY_TOOL}` needs a JSON object with reason, message and options.", ()
            return None, f"Unknown tool {reply.tool!r}; call `{QUERY_TOOL}` or `{CLARIFY_TOOL}`.", ()
        text = reply.arguments if reply.tool else _json_block(reply.content)
        if text is None:
            return None, f"Answer by calling the `{QUERY_TOOL}` tool with JSON arguments.", ()
        data = _loads(text)
        if not isinstance(data, dict):
            return None, ("Your arguments are not a valid JSON object. Call the tool again with a JSON object "
                          "that follows its schema."), ()
        try:
            query = SemanticQuery.model_validate(_drop_nulls(data))
        except ValidationError as exc:
            return None, "The query does not follow the schema:\n" + _pydantic_lines(exc), ()
        found = validate_query(model, query, member_sets or None)
        if not found:
            return query, "", ()
        if withheld:  # "did you mean" never names what the user may not see, to the model or to them
            found = [replace(i, candidates=tuple(c for c in i.candidates if c.split(".")[0] not in withheld))
                     for i in found]
        lines = [f"- {issue} (at {issue.field})" if issue.field else f"- {issue}" for issue in found]
        return None, ("The query uses names or combinations the model does not have:\n" + "\n".join(lines)
                      + "\nUse only the listed names and call the tool again."), tuple(found)

    def _complete(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]],
                  deadline: float, *, use_tools: bool = True) -> tuple[Any, LLMUsage]:
        import openai

        s = self.settings
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            raise LLMUnavailableError("timeout", f"no answer within {s.total_timeout:g} s")
        kwargs: dict[str, Any] = {"model": s.model, "messages": messages, "timeout": min(s.timeout, remaining)}
        if use_tools:
            kwargs["tools"] = tools
        # reasoning models reject both; None leaves them out
        if s.temperature is not None:
            kwargs["temperature"] = s.temperature
        if s.max_tokens:
            kwargs["max_tokens"] = s.max_tokens
        client = self.client

        def call() -> tuple[Any, Any]:
            raw = client.chat.completions.with_raw_response.create(**kwargs)
            return raw, raw.parse()

        try:
            # a wall-clock limit: read timeouts restart with every byte a slow server drips
            raw, completion = call_before(remaining, call)
        except DeadlineExceeded:
            raise LLMUnavailableError("timeout", f"no answer within {s.total_timeout:g} s") from None
        except openai.APITimeoutError:
            raise LLMUnavailableError("timeout", f"no answer within {s.timeout:g} s") from None
        except openai.APIConnectionError as exc:
            raise LLMUnavailableError("unreachable", f"{s.base_url or 'api.openai.com'}: {exc}") from None
        except openai.APIStatusError as exc:
            raise LLMUnavailableError("http_error", f"HTTP {exc.status_code}: {_short(exc.message)}") from None
        except Exception as exc:  # noqa: BLE001 -- a body that is not a completion: never surface a traceback
            raise LLMUnavailableError("garbage", f"{type(exc).__name__}: {_short(str(exc))}") from None
        if not getattr(completion, "choices", None):
            raise LLMUnavailableError("garbage", "the response has no choices")
        used = getattr(completion, "usage", None)
        return completion, LLMUsage(rounds=1, retries=int(getattr(raw, "retries_taken", 0) or 0),
                                    prompt_tokens=int(getattr(used, "prompt_tokens", 0) or 0),
                                    completion_tokens=int(getattr(used, "completion_tokens", 0) or 0))

    # -- narrative (opt-in data sharing) ---------------------------------------------------------
    def narrate(self, question: str, rows: Any, *, query: SemanticQuery | None = None,
                language: str = "en", max_rows: int = 50) -> tuple[str | None, LLMUsage]:
        """Word the result in one or two sentences. Sends rows, so only with ``share_data=True``."""
        if not self.settings.share_data:
            return None, LLMUsage()
        start = time.perf_counter()
        table = rows.head(max_rows).to_csv(index=False) if hasattr(rows, "to_csv") else str(rows)[:4000]
        lang = "Chinese" if language == "zh" else "English"
        messages = [
            {"role": "system", "content": f"Summarise the query result for a business user in one or two {lang} "
                                          "sentences. Use only numbers that appear in the rows; compute none."},
            {"role": "user", "content": f"Question: {question}\n"
                                        + (f"Query: {query.model_dump_json(exclude_defaults=True)}\n" if query else "")
                                        + f"Rows (CSV):\n{table}"},
        ]
        try:
            completion, usage = self._complete(messages, [], start + self.settings.total_timeout, use_tools=False)
        except LLMUnavailableError:
            return None, LLMUsage(ms=(time.perf_counter() - start) * 1000)
        text = getattr(completion.choices[0].message, "content", None)
        usage = replace(usage, ms=(time.perf_counter() - start) * 1000)
        return (text.strip() if isinstance(text, str) and text.strip() else None), usage

    def polish(self, lines: list[str], *, language: str = "en") -> tuple[str | None, LLMUsage]:
        """Word a report's findings (``lines``, numbers already written) as one short paragraph.

        Sends the findings, so only with ``share_data=True``. The caller checks the numbers
        (``chatbi.reports.polish``): the model words, it never supplies a number.
        """
        if not self.settings.share_data or not lines:
            return None, LLMUsage()
        start = time.perf_counter()
        lang = "Chinese" if language == "zh" else "English"
        messages = [
            {"role": "system", "content": f"Rewrite these findings of a business report as one short {lang} paragraph "
                                          "for an executive. Copy every number exactly as written; add no number, "
                                          "round nothing, compute nothing."},
            {"role": "user", "content": "\n".join(f"- {line}" for line in lines)},
        ]
        try:
            completion, usage = self._complete(messages, [], start + self.settings.total_timeout, use_tools=False)
        except LLMUnavailableError:
            return None, LLMUsage(ms=(time.perf_counter() - start) * 1000)
        text = getattr(completion.choices[0].message, "content", None)
        usage = replace(usage, ms=(time.perf_counter() - start) * 1000)
        return (text.strip() if isinstance(text, str) and text.strip() else None), usage



# -- helpers ---------------------------------------------------------------------------------
def _make_client(settings: LLMSettings) -> Any:
    try:
        import openai
    except ImportError:  # pragma: no cover - openai is a dependency; kept for trimmed installs
        raise MissingDependencyError("the LLM translator needs the 'openai' package: pip install openai") from None
    cap = settings.retry_wait_cap

    def cap_retry_after(response: Any) -> None:
        # openai honours server-directed waits of up to two minutes; a misbehaving endpoint
        # must not stall a question that long, so the wait is capped before the client sees it.
        for header, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
            value = response.headers.get(header)
            if value is None:
                continue
            try:
                seconds = float(value) / scale
            except ValueError:
                seconds = cap + 1  # an HTTP date: treat as "long"
            if seconds > cap:
                response.headers[header] = f"{cap * scale:g}"

    import httpx

    # response bodies stop at the question's deadline (chatbi.translate.deadline)
    transport = DeadlineTransport(httpx.HTTPTransport(limits=httpx.Limits(max_connections=100,
                                                                          max_keepalive_connections=20)))
    http_client = openai.DefaultHttpxClient(event_hooks={"response": [cap_retry_after]}, transport=transport)
    return openai.OpenAI(**settings.client_kwargs(), http_client=http_client)


def _read_reply(completion: Any) -> _Reply | None:
    try:
        message = completion.choices[0].message
    except (AttributeError, IndexError, TypeError):
        return None
    content = getattr(message, "content", None) or ""
    calls = [c for c in (getattr(message, "tool_calls", None) or []) if getattr(c, "function", None)]
    if calls:
        args = [_arguments_text(c.function) for c in calls]
        ids = tuple(str(getattr(c, "id", None) or f"call_{i}") for i, c in enumerate(calls))
        echo = {"role": "assistant", "content": content or None, "tool_calls": [
            {"id": cid, "type": "function", "function": {"name": str(c.function.name), "arguments": a}}
            for cid, c, a in zip(ids, calls, args, strict=True)]}
        return _Reply(str(calls[0].function.name), args[0], content, echo, ids)
    if isinstance(content, str) and content.strip():
        return _Reply(None, "", content, {"role": "assistant", "content": content})
    return None


def _arguments_text(function: Any) -> str:
    """Arguments as JSON text; some servers send an object where the protocol says string."""
    args = getattr(function, "arguments", None)
    if args is None:
        return ""
    return args if isinstance(args, str) else json.dumps(args, ensure_ascii=False, default=str)


def _feedback_messages(reply: _Reply, feedback: str) -> list[dict[str, Any]]:
    """The reply echoed back plus the feedback, as a tool result when it was a tool call."""
    if not reply.call_ids:
        return [reply.echo, {"role": "user", "content": feedback}]
    out: list[dict[str, Any]] = [reply.echo, {"role": "tool", "tool_call_id": reply.call_ids[0], "content": feedback}]
    # every tool call needs an answer, or strict endpoints reject the next request
    out += [{"role": "tool", "tool_call_id": cid, "content": "Ignored: call one tool at a time."}
            for cid in reply.call_ids[1:]]
    return out


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return None


def _json_block(content: str) -> str | None:
    """The JSON object in a plain-content answer (possibly fenced or surrounded by prose)."""
    fenced = re.search(r"```(?:json)?\s*(\{.*\})\s*```", content, re.DOTALL)
    if fenced:
        return fenced.group(1)
    first, last = content.find("{"), content.rfind("}")
    return content[first:last + 1] if 0 <= first < last else None


def _drop_nulls(value: Any) -> Any:
    """Strict mode sends every optional field as null; dropping them restores pydantic's defaults."""
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def _draft(reply: _Reply) -> SemanticQuery | None:
    data = _loads(reply.arguments if reply.tool else (_json_block(reply.content) or ""))
    if not isinstance(data, dict):
        return None
    try:
        return SemanticQuery.model_validate(_drop_nulls(data))
    except ValidationError:
        return None


def _clarify_result(args: Mapping[str, Any], language: str) -> LLMResult:
    reason = str(args.get("reason") or "ambiguous")
    options = tuple(str(o) for o in (args.get("options") or ()) if isinstance(o, (str, int, float)))[:6]
    message = str(args.get("message") or "").strip()
    if reason == "out_of_scope":
        # the model's own words are not trusted for refusals: an injected question could shape them
        message, options = say(language, "refused"), ()
    return LLMResult("clarify", message=message[:500], reason=reason, options=options)


def _pydantic_lines(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors()[:10]:
        loc = ".".join(str(p) for p in err["loc"])
        lines.append(f"- {loc}: {err['msg']}" if loc else f"- {err['msg']}")
    return "\n".join(lines)


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit] + "..."
