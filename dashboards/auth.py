"""Sign-in for the app: a login form, a signed session cookie, per-user ChatBI views, CSRF defences.

``create_app(chatbi, security=Security.load("security.yaml"))`` turns it on. Then:

* every request but the login page and static files needs a signed-in user -- from the Flask
  session (signed with ``secret_key`` / $CHATBI_SECRET_KEY) or from the identity provider (a
  trusted proxy's header); pages redirect to ``/login``, Dash's API answers 401;
* ``ctx.chatbi`` is a :class:`UserChatBI`: each call goes to the signed-in user's
  ``ChatBI.for_user`` view, so every page, callback, chart, CSV download and dashboard card sees
  that user's rows and masked columns (views are cached per user and share the engine);
* the login and logout forms carry a per-session CSRF token; Dash's own POSTs must be JSON
  (which a cross-site form cannot send) from the app's own origin; cookies are HttpOnly,
  SameSite=Lax and Secure over HTTPS (or behind a trusted proxy that says so); the
  conversation id is bound to the signed-in session, so signing in as someone else in the
  same browser never shows the previous user's answers;
* sessions are records in the app database (:mod:`chatbi.security.sessions`); the cookie only
  names one. Sign-out, ``chatbi security revoke``, a changed password hash and a disabled or
  removed user (the security file is re-read when it changes) end them at once;
* sign-ins, failures and sign-outs go to the audit log; failures slow down the address they
  come from (never the user name, so nobody can lock a user out).
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import posixpath
import secrets
import threading
from typing import Any
from urllib.parse import quote, urlparse

import flask
from dash import dcc, html

from .context import SESSION_COOKIE, AppContext, new_session_id
from .i18n import preferred_language
from .proxy import SECURE_COOKIES_KEY, ForwardedProto, Proxies, SessionInterface

__all__ = ["Auth", "UserChatBI", "install_auth"]

log = logging.getLogger("dashboards.auth")

_OPEN_PREFIXES = ("/assets/", "/_dash-component-suites/", "/_favicon.ico", "/favicon.ico")

_TEXT = {
    "zh": {"title": "登录 ChatBI", "user": "用户名", "password": "密码", "submit": "登录",
           "bad": "用户名或密码不正确。", "slow": "失败次数过多，请 {s} 秒后再试。", "logout": "退出",
           "csrf": "表单已过期，请重试。"},
    "en": {"title": "Sign in to ChatBI", "user": "User name", "password": "Password", "submit": "Sign in",
           "bad": "Wrong user name or password.", "slow": "Too many failed attempts; try again in {s} s.",
           "logout": "Sign out", "csrf": "The form expired; please try again."},
}

_LOGIN_PAGE = """<!doctype html>
<html lang="{{ 'zh-CN' if lang == 'zh' else 'en' }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{{ text.title }}</title>
<style>
body{font-family:system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;background:#f4f6f9;margin:0}
main{max-width:360px;margin:12vh auto;background:#fff;padding:2rem;border-radius:12px;box-shadow:0 2px 12px #0002}
h1{font-size:1.3rem;margin:0 0 1.2rem}label{display:block;font-size:.9rem;margin:.8rem 0 .3rem}
input{width:100%;box-sizing:border-box;padding:.55rem;border:1px solid #ccd;border-radius:6px;font-size:1rem}
button{margin-top:1.2rem;width:100%;padding:.6rem;border:0;border-radius:6px;background:#1f4e79;color:#fff;font-size:1rem}
.error{color:#b00020;font-size:.9rem;margin-top:.8rem}
</style></head><body><main>
<h1>◆ {{ text.title }}</h1>
<form method="post" action="/login" id="login-form">
<input type="hidden" name="csrf" value="{{ csrf }}"><input type="hidden" name="next" value="{{ next }}">
<label for="username">{{ text.user }}</label>
<input id="username" name="username" autocomplete="username" required value="{{ user }}">
<label for="password">{{ text.password }}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit" id="login-submit">{{ text.submit }}</button>
{% if error %}<p class="error" role="alert" id="login-error">{{ error }}</p>{% endif %}
</form></main></body></html>"""


class UserChatBI:
    """Stands in for the ChatBI in ``AppContext``: every attribute comes from the current user's view.

    The user is the one the request was signed in as (``flask.g``); outside a signed-in request
    there is no view and :class:`PermissionError` is raised, never the unrestricted facade.
    """

    def __init__(self, base: Any, security: Any, audit: Any = None) -> None:
        self._base = base
        self._security = security  # a LiveSecurity (re-read on change) or a Security
        self._audit = audit
        self._views: dict[str, tuple[Any, Any]] = {}
        self._lock = threading.Lock()

    def current(self) -> Any:
        principal = flask.g.get("chatbi_principal") if flask.has_request_context() else None
        if principal is None:
            raise PermissionError("sign in to use ChatBI")
        with self._lock:
            hit = self._views.get(principal.user)
            if hit is None or hit[0] != principal:  # roles or policy changed: a fresh view
                security = self._security.current() if hasattr(self._security, "current") else self._security
                view = self._base.for_user(principal, audit=self._audit, allow_sql=security.may_use_sql(principal))
                hit = self._views[principal.user] = (principal, view)
            return hit[1]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.current(), name)

    def __repr__(self) -> str:
        return f"UserChatBI({self._base!r})"


class Auth:
    """The sign-in state of one app (see the module docstring)."""

    def __init__(self, security: Any, audit: Any = None, sessions: Any = None) -> None:
        from chatbi.security.live import LiveSecurity
        from chatbi.security.sessions import SignInSessions

        self.live = security if isinstance(security, LiveSecurity) else LiveSecurity(security)
        self.audit = audit
        self.sessions = sessions if sessions is not None else SignInSessions(getattr(audit, "path", None))
        self.proxies = Proxies(self.security.trusted_proxies)

    @property
    def security(self) -> Any:
        """The security configuration in force (re-read when its file changes)."""
        return self.live.current()

    # -- who is asking ------------------------------------------------------------------------
    def principal(self) -> Any:
        """The signed-in principal of this request (session record or identity provider), or None."""
        request = flask.request
        security = self.security
        proxied = security.identify(dict(request.headers), request.remote_addr)
        if proxied is not None:
            record = self.sessions.lookup(flask.session.get("token"))
            if record is None or record.user != proxied.user or "sid" not in flask.session:
                self._start(proxied.user, via="proxy", credential=security.credential(proxied.user))
                self._record(proxied.user, "login", detail="identity provider")
            return proxied
        token = flask.session.get("token")
        record = self.sessions.lookup(token)
        if record is None or record.via == "proxy":
            if token:
                flask.session.clear()  # signed out, expired or revoked elsewhere
            return None
        try:
            principal = security.principal(record.user)
        except PermissionError:  # removed or disabled since signing in
            principal = None
        if principal is None or record.credential != security.credential(record.user):
            self.sessions.revoke(token)  # the password changed, or the user may no longer sign in
            self._record(record.user, "logout", detail="session ended: user disabled, removed or password changed")
            flask.session.clear()
            return None
        return principal

    def _start(self, user: str, *, via: str, credential: str) -> None:
        """A fresh session (record and cookie) for ``user``: nothing of an earlier session carries over."""
        self.sessions.revoke(flask.session.get("token"))
        token = self.sessions.create(user, via=via, credential=credential, hours=self.security.spec.session_hours,
                                     remote=self.client_address())
        flask.session.clear()
        flask.session.permanent = True
        flask.session.update(token=token, sid=new_session_id(), csrf=secrets.token_urlsafe(32))

    def client_address(self) -> str:
        request = flask.request
        return self.proxies.client(request.remote_addr, request.headers.get("X-Forwarded-For"))

    def csrf_token(self) -> str:
        token = flask.session.get("csrf")
        if not token:
            token = flask.session["csrf"] = secrets.token_urlsafe(32)
        return str(token)

    def _csrf_ok(self) -> bool:
        sent = flask.request.form.get("csrf", "")
        expected = flask.session.get("csrf", "")
        return bool(sent and expected) and hmac.compare_digest(str(sent), str(expected))

    # -- hooks -------------------------------------------------------------------------------
    def before_request(self) -> Any:
        request = flask.request
        path = request.path
        if path in ("/login", "/healthz", "/readyz") or _static(path):
            return None
        if path == "/logout":
            return None  # its own CSRF check; signing out needs no valid user
        principal = self.principal()
        if principal is None:
            if path.startswith("/_dash") or request.method != "GET":
                return flask.jsonify(error="sign in first"), 401
            return flask.redirect("/login?next=" + quote(request.full_path.rstrip("?"), safe="/?=&"))
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            # a cross-site form can POST only form encodings and carries a foreign Origin
            if not request.is_json:
                return flask.jsonify(error="expected JSON"), 400
            origin = request.headers.get("Origin")
            if origin and urlparse(origin).netloc != request.host:
                self._record(principal.user, "request", status="error", denied=True, detail=f"cross-origin {origin}")
                return flask.jsonify(error="cross-origin request refused"), 403
        flask.g.chatbi_principal = principal
        # the conversation belongs to the signed-in session, not to a cookie anyone could set
        sid = flask.session.get("sid") or new_session_id()
        flask.session["sid"] = sid
        flask.g.chatbi_sid_new = flask.request.cookies.get(SESSION_COOKIE) != sid
        flask.g.chatbi_sid = sid
        return None

    # -- routes -------------------------------------------------------------------------------
    def login(self) -> Any:
        request = flask.request
        lang = preferred_language(request.headers.get("Accept-Language"), default="zh")
        text = _TEXT["zh" if lang == "zh" else "en"]
        target = _safe_next(request.values.get("next"))
        if request.method == "GET":
            if self.principal() is not None:
                return flask.redirect(target)
            return self._page(lang, target)
        user = (request.form.get("username") or "").strip()[:128]
        if not self._csrf_ok():
            self._record(user or "?", "login", status="error", denied=True, detail="bad CSRF token")
            return self._page(lang, target, user=user, error=text["csrf"], status=400)
        addr = self.client_address()
        wait = self.sessions.wait_s(addr)
        if wait > 0:  # the password is not even looked at: guessing from this address has to slow down
            self._record(user or "?", "login", status="error", denied=True, detail="too many failures from the address")
            page = self._page(lang, target, user=user, error=text["slow"].format(s=int(wait) + 1), status=429)
            page.headers["Retry-After"] = str(int(wait) + 1)
            return page
        principal = self.security.authenticate(user, request.form.get("password") or "")
        if principal is None:
            self.sessions.failed(addr)
            self._record(user or "?", "login", status="error", denied=True, detail="wrong user name or password")
            return self._page(lang, target, user=user, error=text["bad"], status=401)
        self.sessions.succeeded(addr)
        self._start(principal.user, via="form", credential=self.security.credential(principal.user))
        self._record(principal.user, "login")
        return flask.redirect(target)

    def logout(self) -> Any:
        if flask.request.method != "POST" or not self._csrf_ok():
            return flask.redirect("/")
        self._record(self._user_of_session() or "?", "logout")
        self.sessions.revoke(flask.session.get("token"))  # a copy of the cookie is worth nothing now
        flask.session.clear()
        response = flask.redirect("/login")
        response.delete_cookie(SESSION_COOKIE)
        return response

    def _user_of_session(self) -> str | None:
        record = self.sessions.lookup(flask.session.get("token"))
        return record.user if record is not None else None

    def user_menu(self, lang: str) -> Any:
        """The signed-in user's name and a sign-out form (CSRF token included) for the navbar."""
        principal = flask.g.get("chatbi_principal") if flask.has_request_context() else None
        if principal is None:
            return None
        text = _TEXT["zh" if lang == "zh" else "en"]
        return html.Form([
            html.Span(principal.name, className="navbar-text me-2 small", id="signed-in-user"),
            dcc.Input(type="hidden", name="csrf", value=self.csrf_token()),
            html.Button(text["logout"], type="submit", id="logout-button",
                        className="btn btn-sm btn-outline-light"),
        ], action="/logout", method="POST", className="d-flex align-items-center ms-lg-3 my-2 my-lg-0")

    # -- helpers ------------------------------------------------------------------------------
    def _page(self, lang: str, target: str, *, user: str = "", error: str = "", status: int = 200) -> Any:
        text = _TEXT["zh" if lang == "zh" else "en"]
        body = flask.render_template_string(_LOGIN_PAGE, lang=lang, text=text, csrf=self.csrf_token(), next=target,
                                            user=user, error=error)
        response = flask.make_response(body, status)
        response.headers["Cache-Control"] = "no-store"
        return response

    def _record(self, user: str, action: str, *, status: str = "ok", denied: bool = False, detail: str = "") -> None:
        if self.audit is not None:
            where = self.client_address() if flask.has_request_context() else None
            self.audit.record(user, action, status=status, denied=denied,
                              detail=" ".join(p for p in (detail, f"from {where}" if where else "") if p) or None)


def _static(path: str) -> bool:
    """Static files are served without sign-in; ``/assets//x`` or ``/assets/../x`` are not static files
    (Dash answers them with the app itself), so they need a signed-in user like every page."""
    if not path.startswith(_OPEN_PREFIXES):
        return False
    return "//" not in path and "/." not in path and "\\" not in path and posixpath.normpath(path) == path


def _safe_next(value: str | None) -> str:
    """Only paths of this app (no scheme, no host, no ``//``): an open redirect would aid phishing."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    parsed = urlparse(value)
    return value if not parsed.scheme and not parsed.netloc else "/"


def install_auth(app: Any, ctx: AppContext, security: Any, audit: Any = None) -> Auth:
    """Require sign-in on ``app`` and scope ``ctx.chatbi`` to the signed-in user."""
    auth = Auth(security, audit)
    security = auth.security
    server = app.server
    key = security.secret_key
    if not key:
        log.warning("no secret_key in the security configuration and no $CHATBI_SECRET_KEY: using a random key, "
                    "so sessions end when the app restarts")
        key = secrets.token_hex(32)
    server.secret_key = key
    server.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                         SESSION_COOKIE_NAME="chatbi_session",
                         PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=security.spec.session_hours))
    server.config[SECURE_COOKIES_KEY] = security.spec.secure_cookies
    server.session_interface = SessionInterface()
    if auth.proxies.networks:
        server.wsgi_app = ForwardedProto(server.wsgi_app, auth.proxies)
    server.before_request(auth.before_request)
    server.add_url_rule("/login", "chatbi_login", auth.login, methods=["GET", "POST"])
    server.add_url_rule("/logout", "chatbi_logout", auth.logout, methods=["GET", "POST"])
    ctx.chatbi = UserChatBI(ctx.chatbi, auth.live, audit)
    ctx.auth = auth
    return auth
