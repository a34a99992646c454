"""Community actions shared by the HTML views and the API."""
import re
import unicodedata
from datetime import datetime, time, timedelta, timezone

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import lazy_gettext as _l

from .. import access, activity, audit
from ..accounts.models import User
from ..exceptions import ServiceError
from ..extensions import db
from ..notifications.mail import queue_email
from ..timeutil import utcnow
from .models import ROLES, VISIBILITIES, Community, Invitation, JoinRequest, Membership

RESERVED_SLUGS = {"new", "admin", "api", "static", "login", "logout", "register", "account", "settings"}


def fold(text):
    """Lowercase without accents: 'Montréal' -> 'montreal'."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def slugify(text):
    slug = re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")
    return slug[:60].strip("-") or "communaute"


def by_slug(slug):
    if not isinstance(slug, str) or len(slug) > 60:
        return None
    return db.session.execute(sa.select(Community).where(Community.slug == slug)).scalar_one_or_none()


def _unique_slug(base):
    slug, n = base, 2
    while slug in RESERVED_SLUGS or by_slug(slug) is not None:
        suffix = f"-{n}"
        slug = base[: 60 - len(suffix)] + suffix
        n += 1
    return slug


def create(user, name, mission="", values="", visibility="private", slug=None):
    if visibility not in VISIBILITIES:
        raise ServiceError(_l("Choose a visibility."), field="visibility")
    if slug:
        if slug in RESERVED_SLUGS or by_slug(slug) is not None:
            raise ServiceError(_l("This web address is already taken."), field="slug", status=409)
    else:
        slug = _unique_slug(slugify(name))
    community = Community(name=name, slug=slug, mission=mission or "", values=values or "", visibility=visibility, created_by_id=user.id)
    db.session.add(community)
    db.session.add(Membership(community=community, user=user, role="facilitator"))
    db.session.flush()
    access.forget_roles()
    return community


def update(community, name, mission, values, visibility, slug=None):
    if visibility not in VISIBILITIES:
        raise ServiceError(_l("Choose a visibility."), field="visibility")
    if slug and slug != community.slug:
        if slug in RESERVED_SLUGS or by_slug(slug) is not None:
            raise ServiceError(_l("This web address is already taken."), field="slug", status=409)
        community.slug = slug
    community.name, community.mission, community.values, community.visibility = name, mission or "", values or "", visibility


def membership_of(community, user):
    return db.session.execute(
        sa.select(Membership).filter_by(community_id=community.id, user_id=user.id)
    ).scalar_one_or_none()


def facilitator_count(community):
    return db.session.execute(
        sa.select(sa.func.count(Membership.id)).filter_by(community_id=community.id, role="facilitator")
    ).scalar_one()


def _keep_a_facilitator(membership, new_role=None):
    if membership.role == "facilitator" and new_role != "facilitator" and facilitator_count(membership.community) <= 1:
        raise ServiceError(_l("A community always keeps at least one facilitator. Name another facilitator first."), status=409, code="last_facilitator")


def change_role(membership, role, expires_at=None, actor=None):
    """Give a member another role (and a guest an end date); written to the audit log."""
    if role not in ROLES:
        raise ServiceError(_l("Choose a role."), field="role")
    _keep_a_facilitator(membership, role)
    before = (membership.role, membership.expires_at)
    membership.role = role
    membership.expires_at = expires_at if role == "guest" else None
    if (membership.role, membership.expires_at) != before:
        audit.record(
            "membership.role_change", actor, membership.user, community=membership.community, old_role=before[0], new_role=role,
            expires_at=membership.expires_at.isoformat() if membership.expires_at else None,
        )
    access.forget_roles()


def remove_member(membership, actor=None):
    """Remove a member (``actor`` is a facilitator) or let them leave (``actor`` is the member)."""
    _keep_a_facilitator(membership)
    action = "membership.leave" if actor is not None and actor.id == membership.user_id else "membership.remove"
    audit.record(action, actor, membership.user, community=membership.community, role=membership.role)
    db.session.delete(membership)
    access.forget_roles()


def leave(community, user):
    membership = membership_of(community, user)
    if membership is None:
        raise ServiceError(_l("You are not a member of this community."), status=404)
    remove_member(membership, actor=user)


def members(community, query=None, roles=None):
    """Current members, filtered by a free-text query over name, organisation, title and expertise."""
    rows = db.session.execute(
        sa.select(Membership).join(User).where(Membership.community_id == community.id).order_by(User.display_name)
        .options(sa.orm.contains_eager(Membership.user))
    ).scalars().all()
    rows = [m for m in rows if m.is_current and (roles is None or m.role in roles)]
    words = fold(query).split() if query else []
    if words:
        def haystack(m):
            u = m.user
            return fold(" ".join([u.display_name, u.organization, u.job_title, u.expertise, u.languages]))

        rows = [m for m in rows if all(w in haystack(m) for w in words)]
    return sorted(rows, key=lambda m: fold(m.user.display_name))


def member_count(community):
    """How many current members (memberships that have not expired)."""
    return db.session.execute(
        sa.select(sa.func.count(Membership.id)).where(
            Membership.community_id == community.id,
            sa.or_(Membership.expires_at.is_(None), Membership.expires_at > utcnow()),
        )
    ).scalar_one()


# --- invitations ----------------------------------------------------------------------


def invite(community, inviter, email, role="member", message="", guest_until=None):
    if role not in ROLES:
        raise ServiceError(_l("Choose a role."), field="role")
    if guest_until is not None and guest_until <= utcnow():
        raise ServiceError(_l("The end of guest access must be in the future."), field="guest_until")
    existing = db.session.execute(
        sa.select(Membership).join(User).where(Membership.community_id == community.id, User.email == email)
    ).scalar_one_or_none()
    if existing is not None:
        raise ServiceError(_l("This person is already a member."), field="email", status=409, code="already_member")
    raw, token_hash = Invitation.new_token()
    invitation = Invitation(
        community=community, email=email, role=role, token_hash=token_hash, invited_by_id=inviter.id,
        message=message or "", expires_at=utcnow() + timedelta(days=current_app.config["INVITATION_DAYS"]),
        guest_until=guest_until if role == "guest" else None,
    )
    db.session.add(invitation)
    url = invitation_url(raw)
    recipient = db.session.execute(sa.select(User).where(User.email == email)).scalar_one_or_none()
    locale = recipient.locale if recipient else inviter.locale
    queue_email(
        email,
        lambda: _l("%(name)s invites you to %(community)s", name=inviter.display_name, community=community.name),
        "email/invitation.txt", locale=locale, inviter=inviter, community=community, invitation=invitation, link=url,
    )
    db.session.flush()
    return invitation, raw, url


def invitation_url(raw):
    return current_app.config["BASE_URL"] + url_for("communities.invitation", token=raw)


def end_of_day_utc(day, tz_name):
    """A date chosen in a form, as the end of that day in the user's zone, in UTC."""
    from zoneinfo import ZoneInfo

    return datetime.combine(day, time(23, 59, 59), tzinfo=ZoneInfo(tz_name)).astimezone(timezone.utc)


def accept_invitation(invitation, user):
    status = invitation.status
    if status != "pending":
        messages = {
            "accepted": _l("This invitation has already been used."),
            "revoked": _l("This invitation was withdrawn."),
            "expired": _l("This invitation has expired. Ask for a new one."),
        }
        raise ServiceError(messages[status], status=409, code=f"invitation_{status}")
    membership = membership_of(invitation.community, user)
    if membership is None:
        membership = Membership(community=invitation.community, user=user, role=invitation.role, expires_at=invitation.guest_until)
        db.session.add(membership)
        activity.record("member", membership, "joined", user)
    elif not membership.is_current or ROLES.index(invitation.role) < ROLES.index(membership.role):
        membership.role, membership.expires_at = invitation.role, invitation.guest_until
    invitation.accepted_at = utcnow()
    invitation.accepted_by_id = user.id
    db.session.flush()
    access.forget_roles()
    from ..attention import service as attention

    attention.changed([user], remove=[f"invitation-{invitation.id}"])
    return membership


def revoke_invitation(invitation, actor=None):
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        audit.record("invitation.revoke", actor, invitation, target_label=invitation.email, community=invitation.community_id, role=invitation.role)


def pending_invitations(community):
    rows = db.session.execute(
        sa.select(Invitation).where(Invitation.community_id == community.id, Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
        .order_by(Invitation.created_at.desc())
    ).scalars().all()
    return [i for i in rows if i.status == "pending"]


# --- join requests --------------------------------------------------------------------


def request_to_join(community, user, message=""):
    pending = db.session.execute(
        sa.select(JoinRequest).filter_by(community_id=community.id, user_id=user.id, status="pending")
    ).scalar_one_or_none()
    if pending is not None:
        return pending
    join_request = JoinRequest(community=community, user=user, message=message or "")
    db.session.add(join_request)
    link = current_app.config["BASE_URL"] + url_for("communities.members", slug=community.slug)
    for facilitator in members(community, roles={"facilitator"}):
        queue_email(
            facilitator.user.email,
            lambda: _l("%(name)s asks to join %(community)s", name=user.display_name, community=community.name),
            "email/join_request.txt", locale=facilitator.user.locale, requester=user, community=community, join_request=join_request, link=link,
        )
    db.session.flush()
    from ..notifications import service as notifications

    # In the hub too (the email above is the request): the facilitators who may decide it.
    notifications.notify(
        "join_request", [m.user for m in members(community, roles={"facilitator"}) if access.can(m.user, "community.manage", community)],
        community=community, actor=user, object_kind="community", object_id=community.id, title=community.name,
        excerpt=(message or "")[:500], url=url_for("communities.members", slug=community.slug) + "#requests-heading", email=False,
    )
    return join_request


def pending_requests(community):
    return db.session.execute(
        sa.select(JoinRequest).filter_by(community_id=community.id, status="pending").order_by(JoinRequest.created_at)
    ).scalars().all()


def decide(join_request, actor, approve):
    if join_request.status != "pending":
        raise ServiceError(_l("This request has already been answered."), status=409)
    join_request.status = "approved" if approve else "declined"
    join_request.decided_at = utcnow()
    join_request.decided_by_id = actor.id
    from ..attention import service as attention

    attention.changed([m.user for m in members(join_request.community, roles={"facilitator"})], remove=[f"join_request-{join_request.id}"])
    if approve and membership_of(join_request.community, join_request.user) is None:
        membership = Membership(community=join_request.community, user=join_request.user, role="member")
        db.session.add(membership)
        activity.record("member", membership, "joined", join_request.user)
        link = current_app.config["BASE_URL"] + url_for("communities.show", slug=join_request.community.slug)
        queue_email(
            join_request.user.email,
            lambda: _l("Welcome to %(community)s", community=join_request.community.name),
            "email/join_approved.txt", locale=join_request.user.locale, community=join_request.community, link=link,
        )
    access.forget_roles()


def visible_communities(user):
    """Communities the user belongs to, and the listed or public ones they could join; archived
    communities leave these lists (their members still find them among their own, ``my_communities``)."""
    query = sa.select(Community).where(Community.archived_at.is_(None)).order_by(Community.name)
    if not getattr(user, "is_authenticated", False):
        return db.session.execute(query.where(Community.visibility == "public")).scalars().all()
    if user.is_admin:
        return db.session.execute(query).scalars().all()
    mine = sa.select(Membership.community_id).where(Membership.user_id == user.id)
    return db.session.execute(
        query.where(sa.or_(Community.visibility.in_(["listed", "public"]), Community.id.in_(mine)))
    ).scalars().all()


def my_communities(user):
    rows = db.session.execute(
        sa.select(Membership).join(Community).where(Membership.user_id == user.id).order_by(Community.name)
    ).scalars().all()
    return [m for m in rows if m.is_current]
