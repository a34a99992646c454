"""/api/v1/admin: the administration pages' actions for instance administrators' API tokens."""
from flask import Response, jsonify, request
from flask_babel import gettext as _

from ..accounts.models import User
from ..api import bp
from ..api.helpers import ApiError, invalid, json_body, refuse_unknown_fields, service_error, string_field
from ..api.serializers import iso
from ..api.views import _community, _require
from ..exceptions import ServiceError
from ..extensions import db
from ..notifications.models import OutgoingEmail
from ..timeutil import utcnow
from . import service


def _admin():
    return _require("admin.panel")


def _page():
    value = request.args.get("page")
    if value is not None and (not value.isdigit() or int(value) < 1):
        raise invalid({"page": _("Must be a positive whole number.")})
    return service.page_number(value)


def _paging(found):
    return {"page": found.page, "per_page": found.per_page, "total": found.total, "pages": found.pages}


def _person_json(user):
    return {
        "id": user.id, "email": user.email, "display_name": user.display_name, "organization": user.organization,
        "is_admin": bool(user.is_admin), "active": bool(user.is_active_account),
        "created_at": iso(user.created_at), "last_seen_at": iso(user.last_seen_at),
    }


def _community_json(community, found=None):
    data = {
        "slug": community.slug, "name": community.name, "visibility": community.visibility,
        "created_at": iso(community.created_at), "archived_at": iso(community.archived_at),
    }
    if found is not None:
        data["members"] = found.members.get(community.id, 0)
        data["facilitators"] = [{"id": u.id, "email": u.email, "display_name": u.display_name} for u in found.facilitators.get(community.id, [])]
    return data


def _email_json(message):
    return {
        "id": message.id, "recipient": message.recipient, "subject": message.subject, "created_at": iso(message.created_at),
        "attempts": message.attempts, "next_attempt_at": iso(message.next_attempt_at), "last_error": message.last_error,
    }


def _commit(action, *args):
    actor = _admin()
    try:
        result = action(actor, *args)
    except ServiceError as error:
        db.session.rollback()
        raise service_error(error)
    db.session.commit()
    return result


# --- people ---------------------------------------------------------------------------


@bp.route("/admin/users")
def admin_users():
    _admin()
    found = service.people(request.args.get("q", "")[:200], _page())
    return jsonify({"users": [_person_json(u) for u in found.rows], **_paging(found)})


def _user(user_id):
    user = db.session.get(User, user_id)
    if user is None:
        raise ApiError(404)
    return user


@bp.route("/admin/users/<int:user_id>", methods=["PATCH"])
def admin_update_user(user_id):
    actor = _admin()
    user = _user(user_id)
    data = json_body()
    refuse_unknown_fields(data, ("active", "is_admin"))
    for name in ("active", "is_admin"):
        if name in data and not isinstance(data[name], bool):
            raise invalid({name: _("Must be true or false.")})
    try:
        if "is_admin" in data:
            service.set_admin(actor, user, data["is_admin"])
        if "active" in data:
            service.set_active(actor, user, data["active"])
    except ServiceError as error:
        db.session.rollback()  # neither change: a request is applied whole or not at all
        raise service_error(error)
    db.session.commit()
    return jsonify(_person_json(user))


@bp.route("/admin/users/<int:user_id>/end-sessions", methods=["POST"])
def admin_end_sessions(user_id):
    user = _user(user_id)
    _commit(service.end_sessions, user)
    return "", 204


# --- communities ----------------------------------------------------------------------


@bp.route("/admin/communities")
def admin_communities():
    _admin()
    found = service.community_list(request.args.get("q", "")[:200], _page())
    return jsonify({"communities": [_community_json(c, found) for c in found.rows], **_paging(found)})


@bp.route("/admin/communities/<slug>/archive", methods=["POST"])
def admin_archive(slug):
    _admin()
    community = _community(slug)
    _commit(service.archive, community)
    return jsonify(_community_json(community))


@bp.route("/admin/communities/<slug>/unarchive", methods=["POST"])
def admin_unarchive(slug):
    _admin()
    community = _community(slug)
    _commit(service.unarchive, community)
    return jsonify(_community_json(community))


@bp.route("/admin/communities/<slug>/transfer", methods=["POST"])
def admin_transfer(slug):
    _admin()
    community = _community(slug)
    data = json_body()
    refuse_unknown_fields(data, ("email", "demote_facilitators"))
    email = string_field(data, "email", max_length=254, required=True)
    demote = data.get("demote_facilitators", False)
    if not isinstance(demote, bool):
        raise invalid({"demote_facilitators": _("Must be true or false.")})
    user = service.user_by_email(email)
    if user is None:
        raise invalid({"email": _("No account has this email address.")})
    _commit(service.transfer, community, user, demote)
    found = service.community_list(community.slug)
    return jsonify(_community_json(community, found))


# --- email outbox ---------------------------------------------------------------------


@bp.route("/admin/outbox")
def admin_outbox():
    _admin()
    status = request.args.get("status", "failed")
    if status not in service.OUTBOX_STATUSES:
        raise invalid({"status": _("Choose pending or failed.")})
    found = service.outbox(status, _page())
    return jsonify({"counts": service.outbox_counts(), "status": status, "emails": [_email_json(m) for m in found.rows], **_paging(found)})


@bp.route("/admin/outbox/<int:email_id>/retry", methods=["POST"])
def admin_retry_email(email_id):
    _admin()
    message = db.session.get(OutgoingEmail, email_id)
    if message is None:
        raise ApiError(404)
    _commit(service.retry_email, message)
    service.wake_mailer()
    return jsonify(_email_json(message))


@bp.route("/admin/outbox/retry-failed", methods=["POST"])
def admin_retry_failed():
    count = _commit(service.retry_failed)
    service.wake_mailer()
    return jsonify({"retried": count})


# --- search index, storage ------------------------------------------------------------


@bp.route("/admin/search/check")
def admin_search_check():
    _admin()
    return jsonify(service.search_check())


@bp.route("/admin/search/reindex", methods=["POST"])
def admin_search_reindex():
    counts = _commit(service.search_reindex)
    return jsonify({"documents": sum(counts.values()), "kinds": counts})


@bp.route("/admin/storage")
def admin_storage():
    _admin()
    return jsonify(service.storage())


# --- audit log ------------------------------------------------------------------------


def _audit_condition(actor):
    args = request.args
    days = {}
    for name in ("from", "to"):
        try:
            days[name] = service.parse_day(args.get(name, "")[:10])
        except ServiceError as error:
            raise invalid({name: error.message})
    since, until = days["from"], days["to"]
    filters = {"action": args.get("action", "")[:60].strip(), "actor": args.get("actor", "")[:200].strip(), "from": args.get("from", ""), "to": args.get("to", "")}
    return service.audit_filter(filters["action"], filters["actor"], since, until, actor.timezone), filters


@bp.route("/admin/audit")
def admin_audit():
    actor = _admin()
    condition, _filters = _audit_condition(actor)
    found = service.audit_entries(condition, _page())
    return jsonify({"entries": [service.entry_json(e) for e in found.rows], **_paging(found)})


@bp.route("/admin/audit.csv")
def admin_audit_csv():
    actor = _admin()
    condition, filters = _audit_condition(actor)
    body = service.audit_csv(condition)
    service.record_export(actor, filters)
    db.session.commit()
    name = f"audit-{utcnow():%Y%m%d-%H%M}.csv"
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'})
