"""Notifications in the JSON API (/api/v1)."""
from flask import current_app, jsonify, request

from ..api import bp
from ..api.helpers import require_user
from ..api.serializers import iso
from . import service


@bp.route("/notifications")
def list_notifications():
    user = require_user()
    value = request.args.get("page", "1")
    page = int(value) if value.isdigit() and len(value) < 7 and int(value) > 0 else 1
    unread_only = request.args.get("unread") in ("1", "true")
    total, rows = service.for_user(user, page=page, unread_only=unread_only)
    base = current_app.config["BASE_URL"]
    return jsonify({
        "total": total, "unread": service.unread_count(user), "page": page,
        "notifications": [
            {"id": n.id, "event": n.event, "community": n.community.slug if n.community else None,
             "actor": n.actor.display_name if n.actor else None, "title": n.title, "excerpt": n.excerpt or None,
             "url": n.url if n.url.startswith("http") else base + n.url, "created_at": iso(n.created_at), "read": n.read_at is not None}
            for n in rows
        ],
    })
