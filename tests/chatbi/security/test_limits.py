"""Size limits: a question is a sentence or two, a request body a few kilobytes."""

from __future__ import annotations

import json

from chatbi.pipeline.core import MAX_QUESTION_CHARS

from .test_app import sign_in


def test_a_huge_question_is_refused_before_any_work(sample_bi, views) -> None:
    for bi in (sample_bi, views["alice"]):
        answer = bi.ask("广东收入" * 250_000)  # a megabyte of text
        assert answer.status == "error" and f"{MAX_QUESTION_CHARS}" in answer.text.replace(",", "")
        assert answer.data is None and len(answer.question) <= 200
    english = sample_bi.ask("revenue " * 1000)
    assert english.status == "error" and "at most 2,000" in english.text
    assert sample_bi.ask("2025年11月各省收入").status == "ok"


def test_a_large_request_body_is_refused_unread(sample_bi, security, tmp_path) -> None:
    from dashboards import create_app

    for secured in (None, security):
        app = create_app(sample_bi, app_db=tmp_path / "app.sqlite3", security=secured)
        client = app.server.test_client()
        if secured is not None:
            sign_in(client, "alice")
        body = json.dumps({"output": "x", "inputs": [{"value": "广" * 3_000_000}]})
        response = client.post("/_dash-update-component", data=body, content_type="application/json")
        assert response.status_code == 413
