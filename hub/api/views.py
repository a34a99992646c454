import json
from pathlib import Path

from flask import current_app, g, jsonify, request
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin

from .. import access
from ..accounts import limits, service as accounts
from ..accounts.forms import LoginForm, RegistrationForm, TokenForm
from ..communities import service as communities
from ..communities.forms import CommunityForm, InvitationForm
from ..communities.models import Invitation
from ..errors import api_error
from ..exceptions import ServiceError
from ..extensions import db
from ..i18n import select_locale
from ..security import load_user_from_token
from . import bp
from .helpers import ApiError, authenticated_user, invalid, json_body, refuse_unknown_fields, require_user, service_error, string_field, validated
from .serializers import community_json, iso, member_json, user_json

OPENAPI_PATH = Path(__file__).with_name("openapi.json")


@bp.before_request
def _token_only():
    """Only bearer tokens authenticate here; a bad token is refused rather than ignored."""
    if request.headers.get("Authorization") is None:
        g._login_user = AnonymousUserMixin()
        return None
    user = load_user_from_token(request)
    if user is None:
        return api_error(401, _("This API token is not valid or was revoked."), code="invalid_token")
    g._login_user = user
    return None


def _require(action, target=None):
    user = authenticated_user() or AnonymousUserMixin()
    if access.can(user, action, target):
        return user
    # Checked before asking anonymous callers to log in, so a 401 never reveals that a private slug exists.
    if access.conceals(user, action, target):
        raise ApiError(404)
    if authenticated_user() is None:
        raise ApiError(401, _("Send a valid API token in the header Authorization: Bearer <token>."))
    if access.refused_as_archived(user, action, target):
        raise ApiError(403, access.archived_message(), code="community_archived")
    raise ApiError(403)


def _community(slug):
    community = communities.by_slug(slug)
    if community is None:
        raise ApiError(404)
    return community


@bp.route("/openapi.json")
def openapi():
    return current_app.response_class(OPENAPI_PATH.read_text(encoding="utf-8"), mimetype="application/json")


@bp.route("/auth/register", methods=["POST"])
@limits.registration_per_address
def register():
    if current_app.config["REGISTRATION"] != "open":
        raise ApiError(403, _("Registration is by invitation only on this hub."), code="registration_closed")
    data = json_body()
    form = validated(RegistrationForm, data, strings=("email", "password", "display_name", "organization", "job_title"))
    # The same answer whether or not the address has an account: an email to it says which it is.
    accounts.request_registration(form.email.data, form.password.data, form.display_name.data, form.organization.data, form.job_title.data, locale=select_locale())
    db.session.commit()
    return jsonify({
        "email": form.email.data,
        "message": _("We sent a message to %(email)s. Open the link it holds within 24 hours to confirm your address: your account is created then. Then ask for a token with POST /auth/token.", email=form.email.data),
    }), 202


@bp.route("/auth/token", methods=["POST"])
@limits.login_per_address
@limits.login_per_account
def token():
    data = json_body()
    form = validated(LoginForm, data, strings=("email", "password"))
    name_form = validated(TokenForm, {"name": data.get("name") or "API"}, strings=("name",))
    user = accounts.authenticate(form.email.data, form.password.data)
    if user is None:
        raise ApiError(401, _("This email and password do not match an account."), code="invalid_credentials")
    _token, raw = accounts.create_token(user, name_form.name.data)
    db.session.commit()
    return jsonify({"token": raw, "user": user_json(user, private=True)}), 200


@bp.route("/me")
def me():
    user = require_user()
    memberships = [{"community": community_json(m.community, user), "role": m.role} for m in communities.my_communities(user)]
    return jsonify({**user_json(user, private=True), "memberships": memberships})


@bp.route("/communities", methods=["GET"])
def list_communities():
    user = authenticated_user() or AnonymousUserMixin()
    return jsonify({"communities": [community_json(c, user) for c in communities.visible_communities(user)]})


@bp.route("/communities", methods=["POST"])
def create_community():
    user = _require("community.create")
    data = json_body()
    if "visibility" not in data:
        data = {**data, "visibility": "private"}
    form = validated(CommunityForm, data, strings=("name", "slug", "mission", "values", "visibility"))
    try:
        community = communities.create(user, form.name.data, form.mission.data, form.values.data, form.visibility.data, form.slug.data or None)
    except ServiceError as error:
        raise service_error(error)
    db.session.commit()
    return jsonify(community_json(community, user)), 201


@bp.route("/communities/<slug>")
def get_community(slug):
    community = _community(slug)
    user = _require("community.see", community)
    return jsonify(community_json(community, user))


@bp.route("/communities/<slug>/members")
def community_members(slug):
    community = _community(slug)
    _require("community.directory", community)
    query = request.args.get("q", "")[:200]
    return jsonify({"members": [member_json(m) for m in communities.members(community, query)]})


def _membership(community, user_id):
    from ..communities.models import Membership

    membership = db.session.execute(
        db.select(Membership).filter_by(community_id=community.id, user_id=user_id)
    ).scalar_one_or_none() if 0 < user_id < 2**31 else None
    if membership is None:
        raise ApiError(404, _("This person is not a member of this community."), code="not_member")
    return membership


@bp.route("/communities/<slug>/members/<int:user_id>", methods=["DELETE"])
def remove_member(slug, user_id):
    """A facilitator removes a member; a member removes themselves (leaves)."""
    community = _community(slug)
    _require("community.see", community)  # 404 before 401: a private community stays unknown
    user = require_user()
    if user_id != user.id:
        _require("community.manage", community)
    membership = _membership(community, user_id)
    if not access.can(user, "member.remove", membership):
        raise ApiError(403)
    try:
        communities.remove_member(membership, actor=user)
    except ServiceError as error:
        raise service_error(error)
    db.session.commit()
    return "", 204


@bp.route("/communities/<slug>/members/<int:user_id>", methods=["PATCH"])
def update_member(slug, user_id):
    community = _community(slug)
    user = _require("community.manage", community)
    membership = _membership(community, user_id)
    data = json_body()
    refuse_unknown_fields(data, {"role", "expires_at"})
    if not data or ("role" in data and data["role"] is None):  # nothing to change, or a role removed
        raise invalid({"role": _("Choose a role.")})
    role = string_field(data, "role", missing=membership.role)
    expires_at = _expiry(data, role, membership)
    try:
        communities.change_role(membership, role, expires_at, actor=user)
    except ServiceError as error:
        raise service_error(error)
    db.session.commit()
    return jsonify(member_json(membership))


def _expiry(data, role, membership):
    """``expires_at`` of a PATCH: an ISO 8601 moment in the future, for guests only; kept when absent."""
    from datetime import datetime, timezone

    from ..timeutil import utcnow

    if "expires_at" not in data:
        return membership.expires_at if role == "guest" else None
    value = data["expires_at"]
    if value is None:
        return None
    if role != "guest":
        raise invalid({"expires_at": _("Only guests have an end date.")})
    if not isinstance(value, str) or len(value) > 40:
        raise invalid({"expires_at": _("Give a date and time such as 2027-06-30T17:00:00-04:00.")})
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise invalid({"expires_at": _("Give a date and time such as 2027-06-30T17:00:00-04:00.")}) from None
    if moment.tzinfo is None:
        raise invalid({"expires_at": _("Give the time zone, e.g. -04:00 or Z.")})
    moment = moment.astimezone(timezone.utc)
    if moment <= utcnow():
        raise invalid({"expires_at": _("The end of guest access must be in the future.")})
    return moment


@bp.route("/communities/<slug>/invitations", methods=["POST"])
def invite(slug):
    community = _community(slug)
    user = _require("community.manage", community)
    data = json_body()
    form = validated(InvitationForm, {"role": "member", **data}, strings=("email", "role", "message", "guest_until"))
    guest_until = communities.end_of_day_utc(form.guest_until.data, user.timezone) if form.guest_until.data and form.role.data == "guest" else None
    try:
        invitation, raw, url = communities.invite(community, user, form.email.data, form.role.data, form.message.data, guest_until)
    except ServiceError as error:
        raise service_error(error)
    db.session.commit()
    return jsonify({"id": invitation.id, "email": invitation.email, "role": invitation.role, "token": raw, "url": url, "expires_at": iso(invitation.expires_at)}), 201


@bp.route("/invitations/<token>/accept", methods=["POST"])
def accept_invitation(token):
    user = require_user()
    invitation = Invitation.by_token(token)
    if invitation is None:
        raise ApiError(404)
    try:
        membership = communities.accept_invitation(invitation, user)
    except ServiceError as error:
        raise service_error(error)
    db.session.commit()
    return jsonify({"community": community_json(invitation.community, user), "role": membership.role}), 200


@bp.errorhandler(ApiError)
def _api_error(error):
    return error.response


def openapi_document():
    return json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
