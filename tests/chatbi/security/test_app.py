"""Sign-in for the Dash app, over Flask's real request handling (test client): redirects, CSRF,
sessions bound to the user, per-user views, the proxy header, throttling, audit."""

from __future__ import annotations

import re

import flask
import pytest

from chatbi.security import AuditLog, Security

from .conftest import PASSWORDS, telecom_security_doc


@pytest.fixture()
def app(sample_bi, security, tmp_path):
    from dashboards import create_app

    return create_app(sample_bi, app_db=tmp_path / "app.sqlite3", security=security)


def csrf(client, path: str = "/login", **request) -> str:
    page = client.get(path, **request).get_data(as_text=True)
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def sign_in(client, user: str, password: str | None = None, *, next: str | None = None, **request):
    """Post the login form; ``request`` (environ_base, headers, base_url) goes with both requests."""
    form = {"username": user, "password": password or PASSWORDS[user], "csrf": csrf(client, **request)}
    if next is not None:
        form["next"] = next
    return client.post("/login", data=form, **request)


def as_request(app, client):
    """A request context carrying ``client``'s cookies, with the app's hooks run (as for a callback)."""
    cookies = "; ".join(f"{c.key}={c.value}" for c in client._cookies.values())
    ctx = app.server.test_request_context("/_dash-update-component", method="POST", json={},
                                          headers={"Cookie": cookies})
    ctx.push()
    assert app.server.preprocess_request() is None
    return ctx


def test_nothing_is_served_before_sign_in(app):
    client = app.server.test_client()
    page = client.get("/dashboards/1?x=1")
    assert page.status_code == 302 and page.headers["Location"] == "/login?next=/dashboards/1?x=1"
    assert client.get("/_dash-layout").status_code == 401
    assert client.get("/_dash-dependencies").status_code == 401
    assert client.post("/_dash-update-component", json={"output": "page.children"}).status_code == 401
    assert client.get("/login").status_code == 200
    with pytest.raises(PermissionError):
        app.chatbi_context.chatbi.query(metrics=["revenue"])  # no request, no user: no data


def test_sign_in_checks_password_csrf_and_where_it_sends_you(app):
    client = app.server.test_client()
    wrong = sign_in(client, "alice", "nope")
    assert wrong.status_code == 401 and "login-error" in wrong.get_data(as_text=True)
    forged = client.post("/login", data={"username": "alice", "password": PASSWORDS["alice"], "csrf": "guess"})
    assert forged.status_code == 400
    ok = sign_in(client, "alice", next="//evil.example.com/phish")
    assert ok.status_code == 302 and ok.headers["Location"] == "/"  # no open redirect
    cookie = next(c for c in client._cookies.values() if c.key == "chatbi_session")
    assert cookie.http_only and cookie.same_site == "Lax"
    assert client.get("/").status_code == 200
    assert client.get("/login").status_code == 302  # already signed in


def test_each_user_gets_their_own_view_and_conversation(app):
    alice, root = app.server.test_client(), app.server.test_client()
    sign_in(alice, "alice")
    sign_in(root, "root")
    for client, provinces in ((alice, {"广东"}), (root, 11)):
        ctx = as_request(app, client)
        try:
            frame = app.chatbi_context.chatbi.query(metrics=["revenue"], dimensions=["province"]).data
            assert set(frame["province"]) == provinces if isinstance(provinces, set) else len(frame) == provinces
            sid = flask.g.chatbi_sid
        finally:
            ctx.pop()
        assert sid == flask.json.loads(_session(app, client))["sid"]
    # a forged conversation cookie does not select someone else's conversation
    alice.set_cookie("chatbi_sid", "0" * 32)
    ctx = as_request(app, alice)
    try:
        assert flask.g.chatbi_sid != "0" * 32
    finally:
        ctx.pop()


def _session(app, client) -> str:
    raw = next(c.value for c in client._cookies.values() if c.key == "chatbi_session")
    serializer = app.server.session_interface.get_signing_serializer(app.server)
    return flask.json.dumps(serializer.loads(raw))


def test_dash_posts_must_be_json_from_our_origin(app):
    client = app.server.test_client()
    sign_in(client, "alice")
    assert client.post("/_dash-update-component", data={"a": "b"}).status_code == 400
    cross = client.post("/_dash-update-component", json={}, headers={"Origin": "https://evil.example.com"})
    assert cross.status_code == 403


def test_sign_out_needs_the_form_token(app, tmp_path):
    client = app.server.test_client()
    sign_in(client, "alice")
    assert client.get("/logout").status_code == 302 and client.get("/").status_code == 200  # GET does nothing
    assert client.post("/logout", data={"csrf": "guess"}).status_code == 302
    assert client.get("/").status_code == 200
    ctx = as_request(app, client)
    try:
        token = flask.session["csrf"]
    finally:
        ctx.pop()
    out = client.post("/logout", data={"csrf": token})
    assert out.status_code == 302 and out.headers["Location"] == "/login"
    assert client.get("/").status_code == 302
    events = [(e.user, e.action, e.denied) for e in reversed(AuditLog(tmp_path / "app.sqlite3").events())]
    assert events == [("alice", "login", False), ("alice", "logout", False)]


def test_failures_slow_down_the_address_they_come_from_never_the_user(app, tmp_path):
    """Guessing from one address makes that address wait; the user signs in from anywhere else."""
    from chatbi.security.sessions import FREE_FAILURES

    sessions = app.chatbi_context.auth.sessions
    now = [1_000_000.0]
    sessions.clock = lambda: now[0]
    attacker, user = ({"REMOTE_ADDR": "198.51.100.7"}, {"REMOTE_ADDR": "192.0.2.10"})
    mallory = app.server.test_client()
    for _ in range(FREE_FAILURES + 1):
        assert sign_in(mallory, "bob", "guess", environ_base=attacker).status_code == 401
    waiting = sign_in(mallory, "bob", environ_base=attacker)
    assert waiting.status_code == 429 and waiting.headers["Retry-After"] == "2"  # not even the right password
    assert sign_in(app.server.test_client(), "bob", environ_base=user).status_code == 302  # bob is not locked out
    now[0] += 2.5
    assert sign_in(mallory, "bob", "guess", environ_base=attacker).status_code == 401  # looked at again ...
    assert sign_in(mallory, "bob", environ_base=attacker).status_code == 429  # ... and the wait doubled
    now[0] += 4.5
    assert sign_in(mallory, "bob", environ_base=attacker).status_code == 302
    denied = AuditLog(tmp_path / "app.sqlite3").events(denied=True)
    assert len(denied) == FREE_FAILURES + 4 and {e.user for e in denied} == {"bob"}
    assert all("198.51.100.7" in (e.detail or "") for e in denied)


def test_behind_a_trusted_proxy_failures_count_per_client(sample_bi, sample_model, tmp_path):
    from dashboards import create_app

    doc = telecom_security_doc()
    doc["trusted_proxies"] = ["10.0.0.0/8"]
    app = create_app(sample_bi, app_db=tmp_path / "app.sqlite3", security=Security.from_dict(doc, model=sample_model))
    via_proxy = {"REMOTE_ADDR": "10.1.2.3"}
    mallory = app.server.test_client()
    for _ in range(6):
        sign_in(mallory, "bob", "guess", environ_base=via_proxy, headers={"X-Forwarded-For": "198.51.100.7"})
    assert sign_in(mallory, "bob", environ_base=via_proxy,
                   headers={"X-Forwarded-For": "198.51.100.7"}).status_code == 429
    # everyone behind the proxy shares its address; the forwarded client address keeps them apart
    assert sign_in(app.server.test_client(), "bob", environ_base=via_proxy,
                   headers={"X-Forwarded-For": "192.0.2.10"}).status_code == 302
    # a client talking to the app directly cannot pick its address with the header
    direct = app.server.test_client()
    for _ in range(6):
        sign_in(direct, "bob", "guess", environ_base={"REMOTE_ADDR": "203.0.113.5"},
                headers={"X-Forwarded-For": f"192.0.2.{_}"})
    assert sign_in(direct, "bob", environ_base={"REMOTE_ADDR": "203.0.113.5"},
                   headers={"X-Forwarded-For": "192.0.2.99"}).status_code == 429


def test_a_copied_cookie_is_refused_after_sign_out(app):
    client = app.server.test_client()
    sign_in(client, "alice")
    copied = {c.key: c.value for c in client._cookies.values()}
    assert client.get("/").status_code == 200
    ctx = as_request(app, client)
    try:
        token = flask.session["csrf"]
    finally:
        ctx.pop()
    assert client.post("/logout", data={"csrf": token}).status_code == 302
    thief = app.server.test_client()
    for key, value in copied.items():
        thief.set_cookie(key, value)
    assert thief.get("/").status_code == 302
    assert thief.post("/_dash-update-component", json={"output": "page.children"}).status_code == 401


def test_disabling_a_user_or_changing_a_password_ends_sessions_at_once(sample_bi, sample_model, tmp_path):
    """The security file is re-read when it changes; no restart is needed."""
    import yaml

    from chatbi.security import hash_password
    from dashboards import create_app

    doc = telecom_security_doc()
    path = tmp_path / "security.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    app = create_app(sample_bi, app_db=tmp_path / "app.sqlite3", security=Security.load(path, sample_model))
    app.chatbi_context.auth.live._interval = 0  # look at the file on every request
    alice, bob = app.server.test_client(), app.server.test_client()
    sign_in(alice, "alice")
    sign_in(bob, "bob")
    assert alice.get("/").status_code == 200 and bob.get("/").status_code == 200
    doc["users"]["alice"]["disabled"] = True
    doc["users"]["bob"]["password"] = hash_password("bob-new-password", n=2 ** 10)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    assert alice.get("/").status_code == 302 and bob.get("/").status_code == 302
    assert sign_in(bob, "bob", "bob-new-password").status_code == 302 and bob.get("/").status_code == 200
    # a file that no longer loads keeps the last good configuration
    path.write_text("users: [", encoding="utf-8")
    assert bob.get("/").status_code == 200 and "not valid YAML" in app.chatbi_context.auth.live.problem


def test_security_revoke_ends_a_users_sessions(app, tmp_path, capsys):
    from chatbi.cli import main

    client = app.server.test_client()
    sign_in(client, "alice")
    assert main(["security", "sessions", "--app-db", str(tmp_path / "app.sqlite3")]) == 0
    assert "alice" in capsys.readouterr().out
    assert main(["security", "revoke", "alice", "--app-db", str(tmp_path / "app.sqlite3")]) == 0
    assert "ended 1 session(s) of alice" in capsys.readouterr().out
    assert client.get("/").status_code == 302


def test_cookies_are_secure_over_https_or_behind_a_proxy_that_says_so(sample_bi, sample_model, tmp_path):
    from dashboards import create_app

    doc = telecom_security_doc()
    doc["trusted_proxies"] = ["127.0.0.1"]
    app = create_app(sample_bi, app_db=tmp_path / "app.sqlite3", security=Security.from_dict(doc, model=sample_model))

    def cookies(client, **kw) -> dict[str, bool]:
        sign_in(client, "alice", **kw)
        client.get("/", **kw)
        return {c.key: c.secure for c in client._cookies.values()}

    assert cookies(app.server.test_client()) == {"chatbi_session": False, "chatbi_sid": False}
    assert set(cookies(app.server.test_client(), base_url="https://localhost").values()) == {True}
    proxied = cookies(app.server.test_client(), headers={"X-Forwarded-Proto": "https"})
    assert set(proxied.values()) == {True}
    untrusted = cookies(app.server.test_client(), headers={"X-Forwarded-Proto": "https"},
                        environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert set(untrusted.values()) == {False}


def test_odd_static_paths_need_sign_in_like_every_page(app):
    client = app.server.test_client()
    for path in ("/assets//x", "/assets//", "/assets/../login", "/assets/./x", "/_dash-component-suites//x"):
        response = client.get(path)
        assert response.status_code in (302, 401, 404), path
        assert b"_dash-config" not in response.data, path  # never the app shell
    assert client.get("/assets/style.css").status_code in (200, 404)


def test_a_trusted_proxy_signs_users_in(sample_bi, sample_model, tmp_path):
    from dashboards import create_app

    doc = telecom_security_doc()
    doc["identity"] = {"header": "X-Forwarded-User", "trusted_proxies": ["127.0.0.1"]}
    app = create_app(sample_bi, app_db=tmp_path / "app.sqlite3", security=Security.from_dict(doc, model=sample_model))
    client = app.server.test_client()
    assert client.get("/", headers={"X-Forwarded-User": "bob"}).status_code == 200
    assert client.get("/", headers={"X-Forwarded-User": "mallory"}).status_code == 302  # not a known user
    remote = app.server.test_client()
    far = remote.get("/", headers={"X-Forwarded-User": "bob"}, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert far.status_code == 302  # the header from anywhere else is ignored
    assert AuditLog(tmp_path / "app.sqlite3").events()[-1].action == "login"


def test_the_alerts_page_shows_a_restricted_user_only_digests_of_their_own_rules(sample_bi, security, tmp_path):
    from chatbi.alerts import Outbox
    from chatbi.alerts.outbox import OutboxEntry
    from dashboards import create_app
    from dashboards.pages.alerts import load_rules, rule_rows, run_rows
    from sample_data import TELECOM_DIR

    app = create_app(sample_bi, app_db=tmp_path / "app.sqlite3", security=security,
                     alert_rules=TELECOM_DIR / "alerts.yaml")
    Outbox(tmp_path / "app.sqlite3").put(OutboxEntry("k1", "<m1@x>", "bi@x.com", ("ceo@x.com",),
                                                     "全国收入 70.12 亿元", b"x", ("gd_revenue_mom",)))
    seen = {}
    for user in ("alice", "root"):
        client = app.server.test_client()
        sign_in(client, user)
        ctx = as_request(app, client)
        try:
            rules, problem = load_rules(app.chatbi_context)
            assert problem is None and rule_rows(app.chatbi_context, rules, "zh")  # the rules load for everyone
            seen[user] = run_rows(app.chatbi_context, "zh", rules=rules)
        finally:
            ctx.pop()
    assert seen["alice"] == [] and seen["root"][0]["subject"] == "全国收入 70.12 亿元"
