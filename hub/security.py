"""Security headers on every response, the user loader for sessions and API tokens, and a guard
against malformed input."""
import re
from datetime import timedelta
from urllib.parse import unquote_to_bytes, urlsplit

from flask import current_app, g, has_request_context, request, session

from .extensions import db, login_manager

TOKEN_USE_PRECISION = timedelta(minutes=1)  # how often a token's "last used" time is rewritten

CSP_DIRECTIVES = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src {connect}",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)
_HOST = re.compile(r"^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")


def websocket_origins():
    """The WebSocket addresses pages may open: the hub's public address and the host the page was
    asked for (the two origins Socket.IO's origin check accepts, see hub/__init__.py), as ws:// or
    wss:// after their http:// or https://. A Host header that is not a plain host name is left out."""
    found = []
    public = urlsplit(current_app.config.get("BASE_URL") or "")
    candidates = [(public.scheme, public.netloc)]
    if has_request_context():
        candidates.append((request.scheme, request.host))
    for scheme, host in candidates:
        if scheme in ("http", "https") and host and _HOST.match(host):
            origin = f"{'wss' if scheme == 'https' else 'ws'}://{host.lower()}"
            if origin not in found:
                found.append(origin)
    return found


def content_security_policy():
    return "; ".join(CSP_DIRECTIVES).format(connect=" ".join(["'self'", *websocket_origins()]))


def set_security_headers(response):
    response.headers.setdefault("Content-Security-Policy", content_security_policy())
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.blueprint == "api" or getattr(g, "private_page", False):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _identity(identifier):
    """``(user id, session version)`` from a session's ``"id:version"``, or None."""
    try:
        user_id, version = (int(part) for part in str(identifier).split(":", 1))
    except (TypeError, ValueError):
        return None
    return user_id, version


def session_identity():
    """Who the session names, as ``(user id, session version)``, without loading the person; None when
    it names nobody. :func:`load_user` decides whether that person is still signed in; the page cache
    (hub/pagecache.py) reads the same three facts in its own query. Flask-Login's session
    protection is "basic" (init_app): it never signs anyone out, so a page served this way skips
    nothing it would have done; "strong" would have to be checked here."""
    if "_user_id" not in session:
        return None
    return _identity(session["_user_id"])


@login_manager.user_loader
def load_user(identifier):
    from .accounts.models import User

    identity = _identity(identifier)
    if identity is None:
        return None
    user = db.session.get(User, identity[0])
    if user is None or user.session_version != identity[1] or not user.is_active:
        return None
    return user


@login_manager.request_loader
def load_user_from_token(req):
    """API requests authenticate with ``Authorization: Bearer <token>``."""
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    from .accounts.models import ApiToken
    from .timeutil import utcnow

    token = ApiToken.find_active(header[len("Bearer "):].strip())
    if token is None or not token.user.is_active:  # a disabled account's tokens stop working too
        return None
    # "Last used" is shown to the minute: writing it on every request would make every API call,
    # reads included, wait for a commit of its own (15 ms or more on SQLite) before its work.
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= TOKEN_USE_PRECISION:
        token.last_used_at = now
        db.session.commit()
    g.api_token = token
    return token.user


BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _malformed(raw):
    """True when URL-encoded bytes hold a NUL character or are not UTF-8 once decoded."""
    decoded = unquote_to_bytes(raw.replace(b"+", b" "))
    if b"\x00" in decoded:
        return True
    try:
        decoded.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def reject_malformed_input():
    """Answer 400 to what no browser or client sends on purpose: NUL characters (PostgreSQL cannot
    store them) and query strings or form bodies that are not UTF-8 (Werkzeug would otherwise
    quietly keep U+FFFD replacement characters); 413 to a body over the limit, whatever the path
    names; 415 to JSON sent to a page. Runs before the CSRF
    check, while the raw body is still there to read."""
    from .errors import render_error

    view_args = (request.view_args or {}).values()
    if any(isinstance(v, str) and "\x00" in v for v in view_args) or _malformed(request.query_string):
        return render_error(400)
    if any(isinstance(v, int) and not -(2 ** 31) <= v < 2 ** 31 for v in view_args):
        return render_error(404)  # no row has such an id; PostgreSQL's integer and SQLite refuse to compare it
    if request.method in BODY_METHODS:
        limit = request.max_content_length
        if limit is not None and (request.content_length or 0) > limit:
            return render_error(413)  # before anything reads the body or looks up what the path names
        if request.is_json and request.endpoint is not None and request.blueprint != "api":
            # Pages take forms. Flask-WTF would read a JSON body as form data, with numbers, lists
            # and objects where its fields expect strings.
            return render_error(415)
        if request.mimetype == "application/x-www-form-urlencoded":
            if _malformed(request.get_data(cache=True)):
                return render_error(400)
        elif request.mimetype == "multipart/form-data":
            # Werkzeug has already decoded these text parts; U+FFFD is what it put in place of invalid bytes.
            # A part whose header names nothing (e.g. an unterminated quoted name) arrives keyed None.
            if any(not isinstance(key, str) for key in (*request.form.keys(), *request.files.keys())):
                return render_error(400)
            if any(c in key or c in value for key, value in request.form.items(multi=True) for c in ("\x00", "\ufffd")):
                return render_error(400)
    return None


def init_app(app):
    from flask_babel import lazy_gettext as _l

    app.before_request_funcs.setdefault(None, []).insert(0, reject_malformed_input)

    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    app.after_request(set_security_headers)
