"""/api/v1/me/export and DELETE /api/v1/me: a person's own data, through the API."""
import tempfile

from flask import send_file
from flask_babel import gettext as _

from ..api import bp
from ..api.helpers import invalid, json_body, refuse_unknown_fields, require_user, service_error, string_field
from ..exceptions import ServiceError
from ..extensions import db
from . import service


@bp.route("/me/export")
def export_me():
    user = require_user()
    stream = tempfile.TemporaryFile()
    service.write_export(user, stream)
    db.session.commit()
    stream.seek(0)
    return send_file(stream, mimetype="application/zip", as_attachment=True, download_name=service.export_filename(user))


@bp.route("/me", methods=["DELETE"])
def delete_me():
    user = require_user()
    data = json_body()
    refuse_unknown_fields(data, {"password", "content"})
    password = string_field(data, "password", max_length=200, required=True, strip=False)
    content = string_field(data, "content", required=True)
    if content not in service.CONTENT_CHOICES:
        raise invalid({"content": _("Choose “keep” or “erase”.")})
    try:
        later = service.delete_account(user, password, content)
    except ServiceError as error:
        db.session.rollback()
        raise service_error(error)
    db.session.commit()
    service.finish_deletion(later)
    return "", 204

