"""What needs me in the JSON API (/api/v1)."""
from flask import current_app, jsonify

from .. import access
from ..api import bp
from ..api.helpers import require_user
from . import service


@bp.route("/me/attention")
def my_attention():
    user = require_user()
    access.require("notifications.own", user=user)
    base = current_app.config["BASE_URL"]
    items = []
    for item in service.items_for(user):
        data = service.as_json(item)
        data["url"] = data["url"] if data["url"].startswith("http") else base + data["url"]
        items.append(data)
    return jsonify({"items": items})
