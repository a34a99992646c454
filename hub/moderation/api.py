"""Flags and moderation in the JSON API (/api/v1)."""
from flask import jsonify, request
from flask_babel import gettext as _

from .. import access
from ..api import bp
from ..api.helpers import ApiError, invalid, json_body, refuse_unknown_fields, require_user, service_error, string_field
from ..api.serializers import iso, user_json
from ..api.views import _community, _require
from ..exceptions import ServiceError
from ..extensions import db
from . import service
from .models import REASONS

FLAG_FIELDS = {"kind", "id", "reason", "text"}


def _item(kind_name, object_id, user):
    """The item if the caller may read it; a 404 otherwise."""
    kind, obj = service.find(kind_name, object_id)
    if obj is None or not service.readable(user, kind, obj):
        raise ApiError(404)
    return kind, obj


def item_json(item):
    return {
        "kind": item.kind.name, "id": item.obj.id, "title": item.title,
        "url": _external(item.url),
        "author": user_json(item.author) if item.author is not None else None,
        "hidden": item.hidden, "flags": item.count,
        "reasons": {reason: count for reason, count in item.reasons}, "texts": item.texts,
        "first_flagged_at": iso(item.first_at),
    }


def _external(url):
    return request.host_url.rstrip("/") + url if url.startswith("/") else url


@bp.route("/flags", methods=["POST"])
def create_flag():
    user = require_user()
    data = json_body()
    refuse_unknown_fields(data, FLAG_FIELDS)
    kind_name = string_field(data, "kind", required=True)
    if service.kind_of(kind_name) is None:
        raise invalid({"kind": _("One of: %(values)s.", values=", ".join(sorted(service.KINDS)))})
    object_id = data.get("id")
    if not isinstance(object_id, int) or isinstance(object_id, bool) or not 0 < object_id < 2**31:
        raise invalid({"id": _("Must be an id.")})
    reason = string_field(data, "reason", required=True)
    if reason not in REASONS:
        raise invalid({"reason": _("One of: %(values)s.", values=", ".join(REASONS))})
    text = string_field(data, "text", max_length=service.MAX_TEXT, missing="")
    kind, obj = _item(kind_name, object_id, user)
    if not access.can(user, f"{kind.name}.flag", obj):
        raise ApiError(403, _("You cannot flag your own content."))
    try:
        flag = service.flag(kind, obj, user, reason, text)
    except ServiceError as error:
        db.session.rollback()
        raise service_error(error) from None
    db.session.commit()
    return jsonify({"id": flag.id, "kind": kind.name, "object_id": obj.id, "reason": flag.reason, "text": flag.text,
                    "created_at": iso(flag.created_at)}), 201


@bp.route("/communities/<slug>/moderation")
def community_queue(slug):
    community = _community(slug)
    _require("community.moderate", community)
    return jsonify({"community": community.slug, "items": [item_json(i) for i in service.queue(community)]})


@bp.route("/moderation")
def profiles_queue():
    _require("moderation.profiles")
    return jsonify({"community": None, "items": [item_json(i) for i in service.queue(None)]})


@bp.route("/moderation/<kind>/<int:object_id>/<action>", methods=["POST"])
def moderate(kind, object_id, action):
    user = require_user()
    if action not in ("hide", "restore", "delete"):
        raise ApiError(404)
    kind, obj = _item(kind, object_id, user)
    if not service.may_moderate(user, kind, obj):
        raise ApiError(403)
    hidden = None
    try:
        after = getattr(service, action)(kind, obj, user)
        if action != "delete":
            hidden = obj.hidden_at is not None
    except ServiceError as error:
        db.session.rollback()
        raise service_error(error) from None
    db.session.commit()
    if action == "delete" and callable(after):
        after()
    return jsonify({"kind": kind.name, "id": object_id, "action": action, "hidden": hidden, "deleted": action == "delete"})
