"""The per-question deadline is wall-clock: a server that drips its answer is cut at the deadline.

A read timeout restarts with every byte, so a server sending one byte every half second is never
"silent" long enough for it; the question's ``total_timeout`` must hold anyway, and the connection
must be given up soon after (not when the server finishes, minutes later).
"""

from __future__ import annotations

import time

import pytest
import servers.openai_stub as stub
from servers.openai_stub import OpenAIStub, tool_reply

from chatbi.translate.deadline import DeadlineExceeded, call_before
from chatbi.translate.llm import LLMTranslator

from .test_llm_translator import ANCHOR, GOOD

openai_stub, clean_llm_env = stub.openai_stub, stub.clean_llm_env  # fixtures
pytestmark = pytest.mark.usefixtures("clean_llm_env")

DEADLINE_S = 2.0


def _dripping(openai_stub: OpenAIStub) -> None:
    reply = tool_reply("semantic_query", GOOD)
    # ~600 bytes at 0.25 s each: 150 s if nobody cuts it; never 0.25 s of silence for the read timeout
    openai_stub.script(type(reply)(status=reply.status, body=reply.body, drip=0.25))


def test_a_dripping_server_is_cut_at_the_deadline(openai_stub: OpenAIStub, sample_bi) -> None:
    _dripping(openai_stub)
    tr = LLMTranslator(base_url=openai_stub.base_url, api_key="sk-test", model="stub-model", max_retries=0,
                       timeout=5.0, total_timeout=DEADLINE_S)
    _ = tr.client, sample_bi.members  # warm up outside the clock
    start = time.monotonic()
    result = tr.translate_query("各省收入", model=sample_bi.model, anchor=ANCHOR, members=sample_bi.members)
    elapsed = time.monotonic() - start
    assert result.outcome == "unavailable" and result.reason == "timeout"
    assert elapsed < 2 * DEADLINE_S, f"held {elapsed:.1f} s with a {DEADLINE_S} s deadline"
    # the abandoned call lets go of the connection about one byte after the deadline
    for _ in range(100):
        if openai_stub.drips_cut:
            break
        time.sleep(0.1)
    assert openai_stub.drips_cut == 1 and openai_stub.dripping == 0


def test_hybrid_answers_offline_when_the_model_drips(openai_stub: OpenAIStub, sample_bi, monkeypatch) -> None:
    from chatbi import ChatBI

    _dripping(openai_stub)
    bi = ChatBI(sample_bi.model, sample_bi.engine, translator="llm",
                llm={"base_url": openai_stub.base_url, "api_key": "sk-test", "model": "stub-model",
                     "max_retries": 0, "timeout": 5.0, "total_timeout": DEADLINE_S})
    start = time.monotonic()
    answer = bi.ask("各省 revenue trend with a twist nobody parses")
    elapsed = time.monotonic() - start
    assert answer.status in ("clarify", "error") and elapsed < 2 * DEADLINE_S + 1


def test_call_before_returns_results_and_errors_and_stops_waiting() -> None:
    assert call_before(1.0, lambda: 42) == 42
    with pytest.raises(ZeroDivisionError):
        call_before(1.0, lambda: 1 / 0)
    start = time.monotonic()
    with pytest.raises(DeadlineExceeded):
        call_before(0.2, lambda: time.sleep(5))
    assert time.monotonic() - start < 4.0  # the call sleeps 5 s: not waited for
