"""With sign-in on, each user's pinned cards stay on their own dashboards: another signed-in
user neither sees their titles (question text naming members) nor can move or remove them."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

import flask
import pytest

from dashboards.appdb import AppDBError
from dashboards.pages import ask, dashboards
from semantic_layer import SemanticQuery

from ...dashboards.helpers import find, text_of
from .test_app import as_request, sign_in

TITLE = "广东 深圳 revenue in November"


@pytest.fixture()
def app(sample_bi, security, tmp_path):
    from dashboards import create_app

    return create_app(sample_bi, app_db=tmp_path / "app.sqlite3", security=security)


@contextmanager
def signed_in(app: Any, user: str):
    client = app.server.test_client()
    sign_in(client, user)
    request = as_request(app, client)
    try:
        yield app.chatbi_context
    finally:
        request.pop()


def _titles(page: Any) -> list[Any]:
    return [c.children for c in find(page, cls="dash-card-title")]


def test_another_user_neither_sees_nor_changes_a_pinned_card(app):
    query = SemanticQuery(metrics=["revenue"], dimensions=["city"], time_range=("2025-11-01", "2025-11-30"))
    with signed_in(app, "alice") as ctx:
        sid = flask.g.chatbi_sid
        answer_id = ctx.session(sid).add(ctx.chatbi.run(query, question=TITLE, language="en"))
        assert ask.pin_answer(ctx, sid, answer_id, "Weekly", "en").startswith("Pinned")
        (board,) = ctx.store.dashboards(owner="alice")
        (card,) = ctx.store.cards(board.id, owner="alice")
        assert _titles(dashboards.layout(ctx, "en", sid, {"rest": str(board.id)})) == [TITLE]

    with signed_in(app, "bob") as ctx:
        sid = flask.g.chatbi_sid
        assert ctx.owner() == "bob"
        # even with alice's board in the URL, bob gets his own (empty) dashboards page
        page = dashboards.layout(ctx, "en", sid, {"rest": str(board.id)})
        assert TITLE not in text_of(page) and "Weekly" not in text_of(page) and _titles(page) == []
        assert _titles(dashboards.board_cards(ctx, board.id, "en")) == []
        assert "Weekly" not in text_of(ask._pin_modal(ctx, "en"))  # nor among the boards offered for pinning
        for kind in ("dcard-up", "dcard-down", "dcard-x"):
            with pytest.raises(AppDBError):
                dashboards.card_action(ctx, kind, card.id)
        # bob's own board of the same name is his alone
        bob_answer = ctx.session(sid).add(ctx.chatbi.run(query.model_copy(update={"dimensions": ()}),
                                                         question="east revenue", language="en"))
        assert ask.pin_answer(ctx, sid, bob_answer, "Weekly", "en").startswith("Pinned")
        (bob_board,) = ctx.store.dashboards(owner="bob")
        assert bob_board.id != board.id
        assert _titles(dashboards.layout(ctx, "en", sid, {"rest": str(board.id)})) == ["east revenue"]

    with signed_in(app, "alice") as ctx:
        assert [c.id for c in ctx.store.cards(board.id, owner="alice")] == [card.id]  # untouched
        assert _titles(dashboards.board_cards(ctx, board.id, "en")) == [TITLE]


def test_without_a_signed_in_user_there_is_no_owner_to_fall_back_on(app):
    with app.server.test_request_context("/"), pytest.raises(PermissionError):
        app.chatbi_context.owner()
