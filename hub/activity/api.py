"""The activity feed in the JSON API: GET /api/v1/me/activity and /api/v1/communities/<slug>/activity."""
from flask import current_app, jsonify, request
from flask_babel import gettext as _

from ..api import bp
from ..api.helpers import ApiError, require_user
from ..api.serializers import iso
from ..api.views import _community, _require
from . import service


def _page(load):
    wanted, unknown = service.parse_kinds(request.args.getlist("kind"))
    if unknown:
        raise ApiError(400, _("Unknown kind: %(names)s. The kinds are: %(kinds)s.", names=", ".join(unknown),
                              kinds=", ".join(name for name, _label in service.filters())), code="invalid_kind")
    before = None
    if request.args.get("before"):
        try:
            before = service.decode_cursor(request.args["before"])
        except service.BadCursor:
            raise ApiError(400, _("This cursor is not valid: pass the value of \"next\" from the previous page."), code="invalid_cursor") from None
    page = load(wanted, before)
    base = current_app.config["BASE_URL"]
    return jsonify({
        "items": [
            {"kind": item.kind, "action": item.action, "id": item.object_id, "title": item.title, "url": base + item.url,
             "community": item.community_slug, "actor": {"id": item.actor_id, "name": item.actor_name} if item.actor_id else None,
             "at": iso(item.at), "count": item.count}
            for item in page.items
        ],
        "next": page.next,
    })


@bp.route("/me/activity")
def my_activity():
    user = require_user()
    return _page(lambda wanted, before: service.personal(user, wanted, before))


@bp.route("/communities/<slug>/activity")
def community_activity(slug):
    community = _community(slug)
    user = _require("community.read", community)
    return _page(lambda wanted, before: service.of_community(user, community, wanted, before))
