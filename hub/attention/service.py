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


def _memberships(user):
    from ..communities.models import Community, Membership

    rows = db.session.execute(
        sa.select(Membership).join(Community).where(Membership.user_id == user.id).options(sa.orm.contains_eager(Membership.community))
    ).scalars().all()
    return [m for m in rows if m.is_current]


def _polls(user, community_ids):
    from ..meetings.models import Poll, PollInvitee

    if not community_ids:
        return []
    answered = sa.select(PollInvitee.poll_id).where(PollInvitee.user_id == user.id, PollInvitee.answered_at.is_not(None))
    now = utcnow()
    polls = db.session.execute(
        sa.select(Poll).where(
            Poll.community_id.in_(community_ids), Poll.status == "open", sa.or_(Poll.deadline.is_(None), Poll.deadline > now),
            Poll.id.not_in(answered), sa.or_(Poll.organizer_id.is_(None), Poll.organizer_id != user.id),
        ).order_by(Poll.id)
    ).scalars().all()
    return [
        _item("poll", p.id, p.title, url_for("meetings.poll", poll_id=p.id), p.community, p.deadline)
        for p in polls if access.can(user, "poll.answer", p)
    ]


def _unread(user, event, object_kind):
    from ..notifications.models import Notification

    rows = db.session.execute(
        sa.select(Notification).where(
            Notification.user_id == user.id, Notification.read_at.is_(None), Notification.event == event,
            Notification.object_kind == object_kind,
        ).order_by(Notification.id)
    ).scalars().all()
    first = {}
    for n in rows:  # one item per object, at its first unread notification
        first.setdefault(n.object_id, n)
    return list(first.values())


def _mentions(user, community_ids):
    from .. import kinds

    items = []
    for n in _unread(user, "mention", "thread"):
        if n.community_id in community_ids and kinds.readable(user, "thread", n.object_id) is not None:
            items.append(_item("mention", n.object_id, n.title, n.url, n.community))
    return items


def _notes(user, community_ids):
    from .. import kinds

    items = []
    for n in _unread(user, "note_shared", "note"):
        if n.community_id in community_ids and kinds.readable(user, "note", n.object_id) is not None:
            items.append(_item("note", n.object_id, n.title, n.url, n.community))
    return items


def _follow_ups(user, community_ids):
    from ..meetings.models import FollowUp, Meeting

    if not community_ids:
        return []
    rows = db.session.execute(
        sa.select(FollowUp).join(Meeting).where(
            FollowUp.assignee_id == user.id, FollowUp.done_at.is_(None), Meeting.community_id.in_(community_ids),
        ).order_by(FollowUp.due.is_(None), FollowUp.due, FollowUp.id)
    ).scalars().all()
    return [
        _item("follow_up", f.id, f.what, url_for("meetings.show", meeting_id=f.meeting_id) + "#follow-up", f.meeting.community, f.due)
        for f in rows if access.can(user, "meeting.read", f.meeting)
    ]


def _invitations(user):
    from ..communities.models import Invitation

    now = utcnow()
    rows = db.session.execute(
        sa.select(Invitation).where(
            sa.func.lower(Invitation.email) == (user.email or "").lower(), Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None), Invitation.expires_at > now,
        ).order_by(Invitation.id)
    ).scalars().all()
    mine = {m.community_id for m in _memberships(user)}
    return [
        _item("invitation", i.id, i.community.name, url_for("communities.show", slug=i.community.slug), i.community, i.expires_at)
        for i in rows if i.community_id not in mine
    ]


def _join_requests(user, memberships):
    from ..communities.models import JoinRequest

    facilitated = [m.community_id for m in memberships if m.role == "facilitator" and access.can(user, "community.manage", m.community)]
    if not facilitated:
        return []
    rows = db.session.execute(
        sa.select(JoinRequest).where(JoinRequest.community_id.in_(facilitated), JoinRequest.status == "pending").order_by(JoinRequest.id)
    ).scalars().all()
    return [
        _item("join_request", r.id, r.user.display_name, url_for("communities.members", slug=r.community.slug) + "#requests-heading", r.community)
        for r in rows
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
    memberships = _memberships(user)
    ids = {m.community_id for m in memberships}
    if community is not None:
        ids &= {community.id}
        memberships = [m for m in memberships if m.community_id == community.id]
    found = _polls(user, ids) + _mentions(user, ids) + _follow_ups(user, ids) + _join_requests(user, memberships) + _notes(user, ids)
    if community is None:
        found += _invitations(user)
    return sorted(found, key=_sort_key)


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
