"""Security headers on every response, and the user loader for sessions and API tokens."""
from flask import current_app, g, request

from .extensions import db, login_manager

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self' ws: wss:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def set_security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
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


@login_manager.user_loader
def load_user(identifier):
    from .accounts.models import User

    try:
        user_id, version = (int(part) for part in str(identifier).split(":", 1))
    except (TypeError, ValueError):
        return None
    user = db.session.get(User, user_id)
    if user is None or user.session_version != version or not user.is_active:
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
    if token is None:
        return None
    token.last_used_at = utcnow()
    db.session.commit()
    g.api_token = token
    return token.user


def init_app(app):
    from flask_babel import lazy_gettext as _l

    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    app.after_request(set_security_headers)
