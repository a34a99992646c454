"""What needs me ("À faire"): polls to answer, unread mentions, follow-ups assigned to me, invitations
waiting for me, join requests waiting for a facilitator, notes newly shared with me.

Each item is a plain dict: ``kind``, ``id`` (the object's), ``key`` (``kind-id``, what a page marks the
item with), ``title``, ``url``, ``community`` (slug), ``community_name``, ``due_at`` (a datetime for
polls, a date for follow-ups, or None). An item leaves the list as soon as it is done; the service that
does it calls :func:`changed`, which tells the person's open pages (room ``user:<id>``) after commit.
"""
from datetime import date, datetime, time, timezone

import sqlalchemy as sa
from flask import url_for

from .. import access
from ..extensions import db
from ..timeutil import utcnow

KINDS = ("poll", "mention", "follow_up", "invitation", "join_request", "note")


def _item(kind, object_id, title, url, community, due_at=None):
    return {
        "kind": kind, "id": object_id, "key": f"{kind}-{object_id}", "title": title, "url": url,
        "community": community.slug if community is not None else None,
        "community_name": community.name if community is not None else "", "due_at": due_at,
    }


def _candidates(user):
    """(kind, id) of everything that may need the person, in one statement: most pages find nothing
    and stop here. Access rules then decide on each candidate (:func:`items_for`)."""
    from ..communities.models import Invitation, JoinRequest, Membership
    from ..meetings.models import FollowUp, Meeting, Poll, PollInvitee
    from ..notifications.models import Notification

    now = utcnow()
    current = sa.and_(Membership.user_id == user.id, sa.or_(Membership.expires_at.is_(None), Membership.expires_at > now))
    mine = sa.select(Membership.community_id).where(current)
    facilitated = sa.select(Membership.community_id).where(current, Membership.role == "facilitator")
    answered = sa.select(PollInvitee.poll_id).where(PollInvitee.user_id == user.id, PollInvitee.answered_at.is_not(None))

    def kind(name):
        return sa.literal(name, sa.String).label("kind")

    statement = sa.union_all(
        sa.select(kind("poll"), Poll.id.label("id")).where(
            Poll.community_id.in_(mine), Poll.status == "open", sa.or_(Poll.deadline.is_(None), Poll.deadline > now),
            Poll.id.not_in(answered), sa.or_(Poll.organizer_id.is_(None), Poll.organizer_id != user.id),
        ),
        sa.select(kind("notification"), Notification.id).where(
            Notification.user_id == user.id, Notification.read_at.is_(None), Notification.event.in_(("mention", "note_shared")),
        ),
        sa.select(kind("follow_up"), FollowUp.id).join(Meeting, Meeting.id == FollowUp.meeting_id).where(
            FollowUp.assignee_id == user.id, FollowUp.done_at.is_(None), Meeting.community_id.in_(mine),
        ),
        sa.select(kind("invitation"), Invitation.id).where(
            sa.func.lower(Invitation.email) == (user.email or "").lower(), Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None), Invitation.expires_at > now, Invitation.community_id.not_in(mine),
        ),
        sa.select(kind("join_request"), JoinRequest.id).where(JoinRequest.status == "pending", JoinRequest.community_id.in_(facilitated)),
    )
    found = {}
    for row in db.session.execute(statement):
        found.setdefault(row[0], []).append(row[1])
    return found


def _load(model, ids):
    return db.session.execute(sa.select(model).where(model.id.in_(ids)).order_by(model.id)).scalars().all() if ids else []


def _polls(user, ids):
    from ..meetings.models import Poll

    return [
        _item("poll", p.id, p.title, url_for("meetings.poll", poll_id=p.id), p.community, p.deadline)
        for p in _load(Poll, ids) if access.can(user, "poll.answer", p)
    ]


def _from_notifications(user, ids):
    """Unread mentions (one item per thread) and notes shared (one per note) the person may still read."""
    from .. import kinds
    from ..notifications.models import Notification

    items, seen = [], set()
    for n in _load(Notification, ids):
        kind, read = ("mention", "thread") if n.event == "mention" else ("note", "note")
        if n.object_kind != read or (kind, n.object_id) in seen:
            continue
        seen.add((kind, n.object_id))
        if kinds.readable(user, read, n.object_id, n.community_id) is not None:
            items.append(_item(kind, n.object_id, n.title, n.url, n.community))
    return items


def _follow_ups(user, ids):
    from ..meetings.models import FollowUp

    return [
        _item("follow_up", f.id, f.what, url_for("meetings.show", meeting_id=f.meeting_id) + "#follow-up", f.meeting.community, f.due)
        for f in _load(FollowUp, ids) if access.can(user, "meeting.read", f.meeting)
    ]


def _invitations(user, ids):
    from ..communities.models import Invitation

    # The invitation is accepted from its emailed link (its token is not kept); the item leads to the
    # community's showcase when the person may see it, else to their home.
    return [
        _item("invitation", i.id, i.community.name,
              url_for("communities.show", slug=i.community.slug) if access.can(user, "community.see", i.community) else url_for("core.home") + "#attention",
              i.community, i.expires_at)
        for i in _load(Invitation, ids)
    ]


def _join_requests(user, ids):
    from ..communities.models import JoinRequest

    return [
        _item("join_request", r.id, r.user.display_name, url_for("communities.members", slug=r.community.slug) + "#requests-heading", r.community)
        for r in _load(JoinRequest, ids) if access.can(user, "community.manage", r.community)
    ]


def _sort_key(item):
    due = item["due_at"]
    if due is None:
        return (1, datetime.max.replace(tzinfo=timezone.utc))
    if not isinstance(due, datetime):  # a follow-up's date: the end of that day
        due = datetime.combine(due, time.max, tzinfo=timezone.utc)
    return (0, due)


def items_for(user, community=None):
    """What needs this person, soonest due first; only what belongs to ``community`` when given."""
    if not getattr(user, "is_authenticated", False):
        return []
    found = _candidates(user)
    if not found:
        return []
    items = (
        _polls(user, found.get("poll")) + _from_notifications(user, found.get("notification")) + _follow_ups(user, found.get("follow_up"))
        + _join_requests(user, found.get("join_request")) + _invitations(user, found.get("invitation"))
    )
    if community is not None:
        items = [i for i in items if i["community"] == community.slug and i["kind"] != "invitation"]
    return sorted(items, key=_sort_key)


def count(user):
    return len(items_for(user))


def as_json(item):
    due = item["due_at"]
    if isinstance(due, datetime):
        due = due.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    elif isinstance(due, date):
        due = due.isoformat()
    return {"kind": item["kind"], "id": item["id"], "title": item["title"], "url": item["url"], "community": item["community"], "due_at": due}


def changed(users, remove=()):
    """Tell these people's open pages, after commit, that items left their list (``remove``: keys such
    as ``poll-12``), with their new count. Nothing is committed."""
    from ..realtime import emit_after_commit

    seen = set()
    for user in users:
        if user is None or user.id in seen:
            continue
        seen.add(user.id)
        db.session.flush()
        emit_after_commit(f"user:{user.id}", "attention", {"remove": list(remove), "count": count(user)})
