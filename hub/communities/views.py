from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import access, pagecache
from ..accounts.forms import ConfirmForm
from ..exceptions import ServiceError
from ..forms import show_service_error
from ..extensions import db
from . import service
from .forms import CommunityForm, InvitationForm, JoinRequestForm, RoleForm
from .models import Invitation, JoinRequest, Membership

bp = Blueprint("communities", __name__)


def community_or_404(slug):
    community = service.by_slug(slug)
    if community is None:
        abort(404)
    return community



@bp.route("/communities")
def index():
    communities = service.visible_communities(current_user)
    mine = {m.community_id: m.role for m in service.my_communities(current_user)} if current_user.is_authenticated else {}
    return render_template("communities/index.html", communities=communities, mine=mine)


@bp.route("/communities/new", methods=["GET", "POST"])
@login_required
def create():
    access.require("community.create")
    form = CommunityForm()
    if form.validate_on_submit():
        try:
            community = service.create(current_user, form.name.data, form.mission.data, form.values.data, form.visibility.data, form.slug.data or None)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            db.session.commit()
            flash(_("The community “%(name)s” is created. Invite your peers!", name=community.name), "success")
            return redirect(url_for("communities.show", slug=community.slug))
    return render_template("communities/edit.html", form=form, community=None), 422 if form.errors else 200


@bp.route("/c/<slug>")
def show(slug):
    # A home this reader was already shown, while nothing it depends on has changed (hub/pagecache.py).
    key = pagecache.community_page(slug)
    kept = pagecache.get(key)
    if kept is not None:
        return kept[0]
    community = community_or_404(slug)
    access.require("community.see", community)
    if not access.can(current_user, "community.read", community):
        pending = None
        if current_user.is_authenticated:
            pending = db.session.execute(
                db.select(JoinRequest).filter_by(community_id=community.id, user_id=current_user.id, status="pending")
            ).scalar_one_or_none()
        return render_template("communities/showcase.html", community=community, join_form=JoinRequestForm(), pending=pending)
    facilitators = service.members(community, roles={"facilitator"})
    page = render_template(
        "communities/show.html", community=community, facilitators=facilitators, member_count=service.member_count(community),
        role=access.role_in(current_user, community), leave_form=ConfirmForm(),
    )
    pagecache.put(key, page)
    return page


@bp.route("/c/<slug>/settings", methods=["GET", "POST"])
def settings(slug):
    community = community_or_404(slug)
    access.require("community.manage", community)
    form = CommunityForm(obj=community)
    if form.validate_on_submit():
        try:
            service.update(community, form.name.data, form.mission.data, form.values.data, form.visibility.data, form.slug.data or None)
        except ServiceError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            db.session.commit()
            flash(_("The settings are saved."), "success")
            return redirect(url_for("communities.show", slug=community.slug))
    return render_template("communities/edit.html", form=form, community=community), 422 if form.errors else 200


@bp.route("/c/<slug>/members")
def members(slug):
    community = community_or_404(slug)
    access.require("community.directory", community)
    query = request.args.get("q", "")[:200]
    rows = service.members(community, query)
    manage = access.can(current_user, "community.manage", community)
    return render_template(
        "communities/members.html", community=community, rows=rows, query=query, manage=manage,
        requests=service.pending_requests(community) if manage else [],
        role_form=RoleForm, confirm_form=ConfirmForm(),
    )


def _membership_or_404(community, membership_id):
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.community_id != community.id:
        abort(404)
    return membership


@bp.route("/c/<slug>/members/<int:membership_id>/role", methods=["POST"])
def change_role(slug, membership_id):
    community = community_or_404(slug)
    access.require("community.manage", community)
    membership = _membership_or_404(community, membership_id)
    form = RoleForm()
    if form.validate_on_submit():
        try:
            service.change_role(membership, form.role.data, membership.expires_at, actor=current_user)
        except ServiceError as error:
            db.session.rollback()
            flash(str(error.message), "error")
        else:
            db.session.commit()
            flash(_("%(name)s's role is changed.", name=membership.user.display_name), "success")
    else:
        flash(_("Choose a role."), "error")
    return redirect(url_for("communities.members", slug=community.slug))


@bp.route("/c/<slug>/members/<int:membership_id>/remove", methods=["POST"])
def remove_member(slug, membership_id):
    community = community_or_404(slug)
    access.require("community.manage", community)
    membership = _membership_or_404(community, membership_id)
    if ConfirmForm().validate_on_submit():
        name = membership.user.display_name
        try:
            service.remove_member(membership, actor=current_user)
        except ServiceError as error:
            db.session.rollback()
            flash(str(error.message), "error")
        else:
            db.session.commit()
            flash(_("%(name)s is no longer a member.", name=name), "success")
    return redirect(url_for("communities.members", slug=community.slug))


@bp.route("/c/<slug>/leave", methods=["POST"])
def leave(slug):
    community = community_or_404(slug)
    access.require("community.leave", community)
    if ConfirmForm().validate_on_submit():
        try:
            service.leave(community, current_user)
        except ServiceError as error:
            db.session.rollback()
            flash(str(error.message), "error")
            return redirect(url_for("communities.show", slug=community.slug))
        db.session.commit()
        flash(_("You left “%(name)s”.", name=community.name), "success")
    return redirect(url_for("core.home"))


@bp.route("/c/<slug>/join", methods=["POST"])
def join(slug):
    community = community_or_404(slug)
    access.require("community.request_join", community)
    form = JoinRequestForm()
    if form.validate_on_submit():
        service.request_to_join(community, current_user, form.message.data)
        db.session.commit()
        flash(_("Your request is sent to the facilitators."), "success")
    else:
        flash(_("Your request could not be sent. Please try again."), "error")
    return redirect(url_for("communities.show", slug=community.slug))


@bp.route("/c/<slug>/requests/<int:request_id>/<any(approve, decline):decision>", methods=["POST"])
def decide_request(slug, request_id, decision):
    community = community_or_404(slug)
    access.require("community.manage", community)
    join_request = db.session.get(JoinRequest, request_id)
    if join_request is None or join_request.community_id != community.id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        try:
            service.decide(join_request, current_user, decision == "approve")
        except ServiceError as error:
            db.session.rollback()
            flash(str(error.message), "error")
        else:
            db.session.commit()
            flash(_("Request approved.") if decision == "approve" else _("Request declined."), "success")
    return redirect(url_for("communities.members", slug=community.slug))


@bp.route("/c/<slug>/invitations", methods=["GET", "POST"])
def invitations(slug):
    community = community_or_404(slug)
    access.require("community.manage", community)
    form = InvitationForm()
    if form.validate_on_submit():
        guest_until = service.end_of_day_utc(form.guest_until.data, current_user.timezone) if form.guest_until.data and form.role.data == "guest" else None
        try:
            invitation, raw, url = service.invite(community, current_user, form.email.data, form.role.data, form.message.data, guest_until)
        except ServiceError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            db.session.commit()
            flash(_("The invitation is sent to %(email)s.", email=invitation.email), "success")
            return redirect(url_for("communities.invitations", slug=community.slug))
    return render_template(
        "communities/invitations.html", community=community, form=form,
        pending=service.pending_invitations(community), confirm_form=ConfirmForm(),
    ), 422 if form.errors else 200


@bp.route("/c/<slug>/invitations/<int:invitation_id>/revoke", methods=["POST"])
def revoke_invitation(slug, invitation_id):
    community = community_or_404(slug)
    access.require("community.manage", community)
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.community_id != community.id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        service.revoke_invitation(invitation, current_user)
        db.session.commit()
        flash(_("The invitation to %(email)s is withdrawn.", email=invitation.email), "success")
    return redirect(url_for("communities.invitations", slug=community.slug))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def invitation(token):
    """Anyone holding the link may see who invites them to what, then log in or register to accept.

    Only a pending invitation says so: a used, withdrawn or expired link names no community, and
    opens no registration (on an invite-only hub, a pending one opens it for one account)."""
    invitation = Invitation.by_token(token)
    if invitation is None:
        abort(404)
    if invitation.status != "pending":
        if session.get("invitation") == token:
            session.pop("invitation", None)
        if current_user.is_authenticated and invitation.accepted_by_id == current_user.id:
            return redirect(url_for("communities.show", slug=invitation.community.slug))
        return render_template("communities/invitation_invalid.html", status=invitation.status), 410
    form = ConfirmForm()
    if not current_user.is_authenticated:
        session["invitation"] = token
        return render_template("communities/invitation.html", invitation=invitation, form=form, token=token)
    if request.method == "POST" and form.validate_on_submit():
        try:
            service.accept_invitation(invitation, current_user)
        except ServiceError as error:
            db.session.rollback()
            flash(str(error.message), "error")
        else:
            db.session.commit()
            session.pop("invitation", None)
            flash(_("Welcome to “%(name)s”!", name=invitation.community.name), "success")
            return redirect(url_for("communities.show", slug=invitation.community.slug))
    return render_template("communities/invitation.html", invitation=invitation, form=form, token=token)
