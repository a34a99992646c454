"""Home page, language switch, health check."""
import sqlalchemy as sa
from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, session
from flask_login import current_user, login_required
from itsdangerous import BadSignature, URLSafeSerializer

from . import pagecache
from .communities import service as communities
from .extensions import db, socketio
from .i18n import normalize_locale
from .search import status as search_status
from .urls import safe_next
from . import access

bp = Blueprint("core", __name__)


@bp.route("/")
def home():
    # A home this reader was already shown, while nothing it depends on has changed (hub/pagecache.py).
    key = pagecache.home_page()
    kept = pagecache.get(key)
    if kept is not None:
        return kept[0]
    if not current_user.is_authenticated:
        return render_template("home.html", showcase=communities.visible_communities(current_user))
    mine = communities.my_communities(current_user)
    member_of = {m.community_id for m in mine}
    discover = [c for c in communities.visible_communities(current_user) if c.id not in member_of]
    page = render_template("dashboard.html", memberships=mine, discover=discover)
    pagecache.put(key, page)
    return page


@bp.route("/language", methods=["POST"])
def set_language():
    """Switch the language of the pages (and the account's preferred language)."""
    locale = normalize_locale(request.form.get("lang"))
    if locale:
        session["lang"] = locale
        if current_user.is_authenticated:
            current_user.locale = locale
            db.session.commit()
    return redirect(safe_next())


@bp.route("/healthz")
def healthz():
    try:
        db.session.execute(sa.text("SELECT 1"))
        database = {"status": "ok", "backend": db.engine.dialect.name}
    except Exception as error:  # report, never raise: this is what monitoring reads
        db.session.rollback()
        database = {"status": "error", "backend": db.engine.dialect.name, "error": type(error).__name__}
    search = search_status()
    healthy = database["status"] == "ok" and search["status"] == "ok"
    # How this process serves live updates: "gevent" under the production server, "threading" otherwise.
    realtime = {"mode": getattr(socketio, "async_mode", None), "message_queue": "redis" if current_app.config.get("REDIS_URL") else None}
    return jsonify({"status": "ok" if healthy else "degraded", "database": database, "search": search, "realtime": realtime}), 200


# --- confirming a destructive action without JavaScript ----------------------------------------


def _confirmations():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="hub-confirm")


@bp.app_template_global("confirm_token")
def confirm_token(action, message, label):
    """What a destructive button's form sends to /confirm when JavaScript does not ask first: the
    action (a path of this site), the question, the button's label and the page to go back to,
    signed, so that nobody can make the hub's page say something else."""
    return _confirmations().dumps([action, str(message), str(label), request.full_path.rstrip("?")])


@bp.route("/confirm")
@login_required
def confirm():
    """Ask before a destructive action: its message, a danger button posting to it, a way back.
    The action itself decides who may do it, as when posted from its own page."""
    access.require("account.manage")
    try:
        action, message, label, back = _confirmations().loads(request.args.get("t", ""))
    except (BadSignature, ValueError, TypeError):
        abort(404)
    if safe_next(value=action) != action:
        abort(404)
    return render_template("confirm.html", action=action, message=message, label=label, back=safe_next(value=back))
