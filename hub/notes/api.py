"""Notes in the JSON API (/api/v1)."""
from flask import jsonify, url_for
from flask_babel import gettext as _

from ..api import bp
from ..api.helpers import ApiError, invalid, json_body, refuse_unknown_fields, service_error, string_field
from ..api.serializers import iso
from ..api.views import _community, _require
from ..errors import api_error
from ..exceptions import ServiceError
from ..extensions import db
from . import live, service
from .models import MAX_BODY, MAX_TITLE, VISIBILITIES, Note

CREATE_FIELDS = {"title", "body", "visibility", "members", "attached_to", "template"}






def _members(data):
    value = data.get("members")
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > service.MAX_SHARES or not all(
        isinstance(v, int) and not isinstance(v, bool) and 0 < v < 2**31 for v in value
    ):
        raise invalid({"members": _("A list of user ids.")})
    return value


def _visibility(data, default=None):
    value = data.get("visibility", default)
    if value not in VISIBILITIES:
        raise invalid({"visibility": _("One of private, members, community.")})
    return value


def _attachment(data):
    value = data.get("attached_to")
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - {"kind", "id"} or not isinstance(value.get("kind"), str) \
            or not isinstance(value.get("id"), int) or isinstance(value.get("id"), bool):
        raise invalid({"attached_to": _("An object with kind (meeting, thread or resource) and id.")})
    try:
        return service.parse_attachment(f"{value['kind']}:{value['id']}")
    except ServiceError as error:
        raise service_error(error) from None


def note_json(note, user):
    if _hidden(user, note):
        return {
            "id": note.id, "community": note.community.slug, "hidden": True,
            "message": _("This content is hidden pending moderation."),
            "url": url_for("notes.show", note_id=note.id, _external=True),
        }
    attached = {"kind": note.attached_kind, "id": note.attached_id} if note.attached_kind else None
    return {
        "id": note.id,
        "community": note.community.slug,
        "title": note.title,
        "body": note.body,
        "visibility": note.visibility,
        "members": sorted(note.shared_user_ids) if note.visibility == "members" else [],
        "owner": note.owner_id,
        "revision": note.revision,
        "attached_to": attached,
        "created_at": iso(note.created_at),
        "updated_at": iso(note.updated_at),
        "url": url_for("notes.show", note_id=note.id, _external=True),
        "can_edit": _can(user, "note.edit", note),
        "hidden": note.hidden_at is not None,
    }


def _hidden(user, note):
    from flask_login import AnonymousUserMixin

    from .. import access

    return access.hidden_from(user or AnonymousUserMixin(), "note", note)


def _can(user, action, target):
    from .. import access

    return access.can(user, action, target)


def _read_or_404(note_id, action="note.read"):
    note = service.get(Note, note_id)
    if note is None:
        raise ApiError(404)
    from ..api.helpers import authenticated_user
    from .. import access

    user = authenticated_user()
    if user is not None and access.can(user, "note.see", note) and access.hidden_from(user, "note", note):
        if action == "note.read":  # hidden pending moderation: note_json says only that
            return note, user
        raise ApiError(403, _("This content is hidden pending moderation."), code="hidden")
    # Members who may not read a note are not told it exists.
    if user is not None and access.can(user, "community.read", note.community) and not access.can(user, "note.read", note):
        raise ApiError(404)
    return note, _require(action, note)


@bp.route("/communities/<slug>/notes", methods=["POST"])
def create_note(slug):
    community = _community(slug)
    user = _require("note.create", community)
    data = json_body()
    refuse_unknown_fields(data, CREATE_FIELDS)
    title = string_field(data, "title", MAX_TITLE, required=True)
    body = string_field(data, "body", MAX_BODY, strip=False, multiline=True) or ""
    template = string_field(data, "template", 20)
    visibility = _visibility(data, "private")
    members = _members(data)
    attachment = _attachment(data)
    try:
        note = service.create_note(community, user, title=title, body=body, visibility=visibility, member_ids=members,
                                   attachment=attachment, template_key=template or None)
    except ServiceError as error:
        db.session.rollback()
        raise service_error(error) from None
    db.session.commit()
    response = jsonify({"id": note.id, "revision": note.revision, "url": url_for("notes.show", note_id=note.id, _external=True)})
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_note", note_id=note.id)
    return response


@bp.route("/notes/<int:note_id>", methods=["GET"])
def get_note(note_id):
    note, user = _read_or_404(note_id)
    return jsonify(note_json(note, user))


@bp.route("/notes/<int:note_id>", methods=["PUT"])
def update_note(note_id):
    note, user = _read_or_404(note_id, "note.edit")
    data = json_body()
    unknown = set(data) - {"body", "base_revision", "title"}
    if unknown:
        raise invalid({name: _("Unknown field.") for name in sorted(unknown)[:10]})
    body = string_field(data, "body", MAX_BODY, required=False, strip=False, multiline=True)
    if body is None:
        raise invalid({"body": _("This field is required.")})
    title = string_field(data, "title", MAX_TITLE)
    base = data.get("base_revision")
    if not isinstance(base, int) or isinstance(base, bool) or not 0 < base < 2**31:
        raise invalid({"base_revision": _("The number of the revision the text started from.")})
    live.settle(note)
    try:
        service.save(note, user, body=body, title=title or None, base_revision=base, source="api")
    except service.Conflict:
        db.session.rollback()
        note = service.get(Note, note_id)
        response = api_error(409, _("Someone saved this note after the revision you started from."), code="conflict")
        payload = response.get_json()
        payload.update(current_revision=note.revision, current_body=note.body)
        conflict = jsonify(payload)
        conflict.status_code = 409
        return conflict
    except ServiceError as error:
        db.session.rollback()
        raise service_error(error) from None
    db.session.commit()
    return jsonify({"id": note.id, "revision": note.revision})


@bp.route("/notes/<int:note_id>/revisions", methods=["GET"])
def note_revisions(note_id):
    note, _user = _read_or_404(note_id)
    return jsonify({"revisions": [
        {
            "number": r.number, "title": r.title, "body": r.body, "created_at": iso(r.created_at), "source": r.source,
            "author": r.author_id, "authors": [u.id for u in r.authors],
        }
        for r in service.revisions(note)
    ]})


@bp.route("/notes/<int:note_id>/share", methods=["POST"])
def share_note(note_id):
    note, user = _read_or_404(note_id, "note.manage")
    data = json_body()
    unknown = set(data) - {"visibility", "members"}
    if unknown:
        raise invalid({name: _("Unknown field.") for name in sorted(unknown)[:10]})
    visibility = _visibility(data)
    members = _members(data)
    try:
        service.share(note, visibility, members)
    except ServiceError as error:
        db.session.rollback()
        raise service_error(error) from None
    db.session.commit()
    return jsonify(note_json(note, user))
