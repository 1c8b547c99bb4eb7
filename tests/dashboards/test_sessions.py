"""Browser sessions in the shared state store: what one worker writes, another reads."""

from __future__ import annotations

import threading

import pandas as pd
import pytest

from chatbi import Answer
from chatbi.state import open_state
from chatbi.state.records import answer_from_record
from dashboards.context import new_session_id
from dashboards.sessions import AnswerCache, SessionStore, answer_weight
from semantic_layer import SemanticQuery

NOV = ("2025-11-01", "2025-11-30")


def _store(path, bi, **kwargs) -> SessionStore:
    """What one worker process holds: its own connection to the app database, its own memory."""
    return SessionStore(open_state(path), rehydrate=lambda record: answer_from_record(record, bi), **kwargs)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres), "redis"])
def app_state(request, tmp_path):
    """Where the app's state lives: the SQLite app database, a real PostgreSQL or Redis server."""
    return tmp_path / "app.sqlite3" if request.param == "sqlite" else request.getfixturevalue(f"{request.param}_url")


def test_another_worker_sees_the_conversation_and_the_answers(sample_bi, app_state):
    first, second = _store(app_state, sample_bi), _store(app_state, sample_bi)
    sid = new_session_id()
    with first.get(sid).turn() as conv:
        answer = sample_bi.ask("2025年11月各省收入", conversation=conv)
    answer_id = first.get(sid).add(answer)

    # the follow-up lands on the other worker: it builds on the first worker's turn
    with second.get(sid).turn() as conv:
        follow = sample_bi.ask("只看5G", conversation=conv)
    assert follow.ok and follow.query.dimensions == ("province",)
    assert any(getattr(f, "values", None) == ("5G",) for f in follow.query.filters)

    seen = second.get(sid).get(answer_id)  # decoded from the store, not shared memory
    assert seen is not answer and seen.data.equals(answer.data) and seen.query == answer.query
    assert seen.sql == answer.sql and seen.period == answer.period and seen.as_of == "2025-12-31"
    assert seen.figure is not None  # the chart is built again from the query and the rows
    assert [i for i, _ in second.get(sid).history()] == [answer_id]


def test_a_session_keeps_a_bounded_history(sample_bi, tmp_path):
    store = _store(tmp_path / "app.sqlite3", sample_bi, max_answers=5)
    state = store.get(new_session_id())
    ids = [state.add(Answer(status="ok", text=f"answer {i}", language="en")) for i in range(8)]
    assert [i for i, _ in state.history()] == ids[-5:]
    other = _store(tmp_path / "app.sqlite3", sample_bi).get(state.id)
    assert other.get(ids[0]) is None and other.get(ids[-1]).text == "answer 7"


def test_a_stored_answer_keeps_a_bounded_result(sample_bi, tmp_path):
    store = _store(tmp_path / "app.sqlite3", sample_bi)
    big = pd.DataFrame({"city": [f"c{i}" for i in range(5000)], "revenue": range(5000)})
    state = store.get(new_session_id())
    answer_id = state.add(Answer(status="ok", text="many rows", data=big, language="en"))
    kept = _store(tmp_path / "app.sqlite3", sample_bi).get(state.id).get(answer_id)
    assert len(kept.data) <= 2000 and kept.data.attrs["cut"] and kept.data.attrs["rows"] == 5000
    assert kept.data.head(3).equals(big.head(3))


def test_a_new_conversation_forgets_the_thread(sample_bi, tmp_path):
    state = _store(tmp_path / "app.sqlite3", sample_bi).get(new_session_id())
    with state.turn() as conv:
        sample_bi.ask("2025年各省收入", conversation=conv)
    state.add(Answer(status="ok", text="x", language="en"))
    assert len(state.conversation.turns) == 1
    assert state.fresh_click("btn.n_clicks", 1) and not state.fresh_click("btn.n_clicks", 1)
    state.reset()
    assert state.history() == [] and len(state.conversation.turns) == 0
    assert state.fresh_click("btn.n_clicks", 1)  # buttons of a fresh thread count from zero
    assert not state.fresh_click("other.n_clicks", 0) and not state.fresh_click("other.n_clicks", None)


def test_a_click_is_fresh_once_across_workers(sample_bi, tmp_path):
    sid = new_session_id()
    workers = [_store(tmp_path / "app.sqlite3", sample_bi) for _ in range(2)]
    assert workers[0].get(sid).fresh_click("why.n_clicks", 1)
    assert not workers[1].get(sid).fresh_click("why.n_clicks", 1)  # Dash replaying it elsewhere
    assert workers[1].get(sid).fresh_click("why.n_clicks", 2)


def test_concurrent_answers_of_one_session_are_all_kept(sample_bi, tmp_path):
    """Two tabs (or workers) adding at once: optimistic writes retry, nothing is lost."""
    workers = [_store(tmp_path / "app.sqlite3", sample_bi) for _ in range(4)]
    sid = new_session_id()
    made: list[str] = []
    lock = threading.Lock()

    def add(worker: SessionStore, n: int) -> None:
        for i in range(5):
            answer_id = worker.get(sid).add(Answer(status="ok", text=f"{n}-{i}", language="en"))
            with lock:
                made.append(answer_id)

    threads = [threading.Thread(target=add, args=(w, n)) for n, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(i for i, _ in workers[0].get(sid).history()) == sorted(made)


def test_a_workers_memory_of_answers_is_bounded_in_bytes(sample_bi):
    frame = sample_bi.run(SemanticQuery(metrics=["revenue"], dimensions=["city"], time_range=NOV)).data
    answer = Answer(status="ok", data=frame, language="en")
    weight = answer_weight(answer)
    cache = AnswerCache(max_bytes=weight * 3 + 10)
    for i in range(10):
        cache.put(f"s:{i}", answer)
        assert cache.bytes <= cache.max_bytes
    assert len(cache) == 3 and cache.get("s:9") is answer and cache.get("s:0") is None
