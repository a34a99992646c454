"""Home page, language switch, health check."""
import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session
from flask_login import current_user

from . import pagecache
from .communities import service as communities
from .extensions import db, socketio
from .i18n import normalize_locale
from .search import status as search_status
from .urls import safe_next

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
