"""Long work off the request threads: progress any worker can read, per-user limits, lost jobs."""

from __future__ import annotations

import threading
import time

import pytest

from chatbi.state import open_state
from dashboards.context import new_session_id
from dashboards.jobs import STALE_S, Job, JobRefused, JobRunner
from dashboards.pages import ask, dashboards
from semantic_layer import SemanticQuery

from .helpers import find, text_of

NOV = ("2025-11-01", "2025-11-30")


def _pin(ctx, board: str, queries: list[SemanticQuery]) -> int:
    for i, query in enumerate(queries):
        card = ctx.store.add_card(board, owner="", title=f"card {i}", query_json=query.model_dump_json(), language="en")
    return card.dashboard_id


def test_a_board_of_many_cards_fills_in_off_the_request_thread(ctx):
    board = _pin(ctx, "Many", [SemanticQuery(metrics=[m], dimensions=["province"], time_range=NOV)
                               for m in ("revenue", "arpu", "churn_rate", "new_subscribers")])
    sid = new_session_id()
    started = time.perf_counter()
    shown = dashboards.board_cards(ctx, board, "en", sid)
    assert len(find(shown, cls="dash-card-pending")) == 4  # spinners at once, no card computed in the request
    assert find(shown, cls="dash-progress")
    job_id = find(shown, id_="dash-job")[0].data
    job = ctx.jobs.wait(job_id)
    assert job.state == "done" and job.done == job.total == 4
    card_ids = [c.id for c in ctx.store.cards(board, owner="")]
    bodies, progress, stop, seen = dashboards.board_tick(ctx, job_id, card_ids, [], sid, "en")
    assert stop and sorted(seen) == sorted(card_ids) and all(b is not None for b in bodies)
    assert "Refreshed at" in text_of(progress)
    assert len(find(bodies, cls="dash-graph")) == 4
    # the next tick sends nothing again; another browser cannot read this board's job
    assert dashboards.board_tick(ctx, job_id, card_ids, seen, sid, "en")[0] == [None] * 4
    assert "expired" in text_of(dashboards.board_tick(ctx, job_id, card_ids, [], new_session_id(), "en")[1])
    assert time.perf_counter() - started < 120


def test_a_small_board_is_computed_in_the_request(ctx):
    board = _pin(ctx, "Small", [SemanticQuery(metrics=["revenue"], time_range=NOV)])
    shown = dashboards.board_cards(ctx, board, "en", new_session_id())
    assert not find(shown, cls="dash-card-pending") and find(shown, cls="dash-graph")


def test_one_user_cannot_run_more_jobs_than_allowed_across_workers(ctx, tmp_path):
    """Two workers (two runners over one app database) count one user's jobs together."""
    state = open_state(tmp_path / "jobs.sqlite3")
    workers = [JobRunner(ctx, per_user=1, state=state) for _ in range(2)]
    release = threading.Event()
    first = workers[0].submit("s1", "user:ann", "why", lambda progress: release.wait(30))
    with pytest.raises(JobRefused):
        workers[1].submit("s2", "user:ann", "why", lambda progress: None)
    other = workers[1].submit("s3", "user:bob", "why", lambda progress: None)  # someone else is not held up
    assert workers[1].wait(other.id).state == "done"
    release.set()
    assert workers[0].wait(first.id).state == "done"
    again = workers[1].submit("s2", "user:ann", "why", lambda progress: None)  # her slot is free again
    assert workers[1].wait(again.id).state == "done"


def test_a_user_over_the_question_limit_is_told_at_once(ctx):
    sid = new_session_id()
    key = f"session:{sid}"
    with ctx.jobs.slot(key) as one, ctx.jobs.slot(key) as two:
        assert one and two  # two questions of this browser compute
        turns = ask.ask_question(ctx, sid, "2025年11月各省收入", "zh")  # a third waits for no thread
    assert "正在计算" in text_of(turns) and not ctx.session(sid).history()
    assert ask.ask_question(ctx, sid, "2025年11月各省收入", "zh") and ctx.session(sid).history()


def test_a_failing_job_says_why_and_a_silent_one_is_lost(ctx):
    def broken(progress):
        raise RuntimeError("the warehouse went away")

    job = ctx.jobs.wait(ctx.jobs.submit(new_session_id(), "user:x", "why", broken).id)
    assert job.state == "failed" and "the warehouse went away" in job.error
    silent = Job("silent", "why", "s", "user:y", state="running", started=time.time() - 2 * STALE_S,
                 updated=time.time() - 2 * STALE_S)
    ctx.sessions.state.put("job", silent.id, silent.to_json())
    assert ctx.jobs.status("silent").state == "lost"
