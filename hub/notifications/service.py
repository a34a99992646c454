"""In-app notifications, preferences, immediate emails and digests.

A feature calls ``notify(event, recipients, ...)`` in the same transaction as the change; this
module decides, from each recipient's preferences for the community, whether the notification is
kept at all (muted), and whether it is emailed at once, in a daily or weekly digest, or never.
Emails go through the outbox (``queue_email``), written in the same transaction.
"""
from datetime import timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer

from ..extensions import db
from ..timeutil import utcnow
from .mail import list_id, queue_email
from .models import EMAIL_CHOICES, LEVEL_CHOICES, Notification, NotificationPreference

DIGEST_PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
DIGEST_STEP_SECONDS = 600
PER_PAGE = 30


# --- preferences --------------------------------------------------------------------------


def preference(user, community, create=False):
    """The person's preference for the community (defaults: normal, emails at once)."""
    found = db.session.execute(
        sa.select(NotificationPreference).filter_by(user_id=user.id, community_id=community.id)
    ).scalar_one_or_none()
    if found is None:
        found = NotificationPreference(user_id=user.id, community_id=community.id, level="normal", email="immediate")
        if create:
            db.session.add(found)
    return found


def preferences_by_community(user_ids, community_id):
    rows = db.session.execute(
        sa.select(NotificationPreference).where(
            NotificationPreference.community_id == community_id, NotificationPreference.user_id.in_(list(user_ids))
        )
    ).scalars().all() if user_ids else []
    return {p.user_id: p for p in rows}


def set_preference(user, community, level=None, email=None):
    if level is not None and level not in LEVEL_CHOICES:
        raise ValueError(level)
    if email is not None and email not in EMAIL_CHOICES:
        raise ValueError(email)
    pref = preference(user, community, create=True)
    if level is not None:
        pref.level = level
    if email is not None:
        if email in DIGEST_PERIODS and pref.email != email:
            pref.last_digest_at = utcnow()  # the first digest comes one period from now
        pref.email = email
    return pref


def watchers(community_id):
    """Ids of the people watching the whole community."""
    return set(db.session.execute(
        sa.select(NotificationPreference.user_id).filter_by(community_id=community_id, level="watching")
    ).scalars())


# --- unsubscribe links --------------------------------------------------------------------


def _serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="hub-unsubscribe")


def unsubscribe_token(user_id, community_id):
    return _serializer().dumps({"u": user_id, "c": community_id})


def read_unsubscribe_token(token):
    if not isinstance(token, str) or len(token) > 500:
        return None
    try:
        data = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("c"), int):
        return None
    return data["u"], data["c"]


def unsubscribe_url(user_id, community_id):
    return current_app.config["BASE_URL"] + url_for("notifications.unsubscribe", token=unsubscribe_token(user_id, community_id))


def unsubscribe_target(token):
    """(person, community) a signed unsubscribe link names, or None when it is not one of ours."""
    from ..accounts.models import User
    from ..communities.models import Community

    found = read_unsubscribe_token(token)
    if found is None:
        return None
    user, community = db.session.get(User, found[0]), db.session.get(Community, found[1])
    if user is None or community is None:
        return None
    return user, community


def unsubscribe(user, community):
    """What an unsubscribe link does: no more email from this community (in-app notifications stay).
    Doing it again changes nothing."""
    return set_preference(user, community, email="never")


def list_headers(community, unsubscribe_link):
    """Headers of an email about one community: its list id (RFC 2919), the one-click unsubscribe
    address (RFC 2369, RFC 8058; the hub receives no email, so no mailto: address) and the mark of an
    automatic message (RFC 3834), so auto-responders stay quiet."""
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
    return {
        "List-Id": list_id(community.name, f"{community.slug}.{host}"),
        "List-Unsubscribe": f"<{unsubscribe_link}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
    }


# --- notify -------------------------------------------------------------------------------


def _absolute(url):
    return url if url.startswith("http") else current_app.config["BASE_URL"] + url


SUBJECTS = {
    "mention": _l("%(actor)s mentioned you: %(title)s"),
    "reply": _l("%(actor)s replied to you: %(title)s"),
    "new_post": _l("New message: %(title)s"),
    "new_thread": _l("New discussion: %(title)s"),
    "thread_invitation": _l("%(actor)s invited you to the discussion “%(title)s”"),
    "moderation_hidden": _l("Hidden pending moderation: %(title)s"),
    "moderation_restored": _l("Visible again after moderation: %(title)s"),
    "moderation_deleted": _l("Deleted by moderation: %(title)s"),
    "poll_invitation": _l("%(actor)s invites you to answer the poll “%(title)s”"),
    "poll_reminder": _l("Poll closing soon, your answer is awaited: %(title)s"),
    "poll_decided": _l("Poll decided, meeting scheduled: %(title)s"),
    "meeting_moved": _l("Meeting changed: %(title)s"),
    "meeting_cancelled": _l("Meeting cancelled: %(title)s"),
    "follow_up_assigned": _l("%(actor)s assigned you a follow-up: %(title)s"),
    "follow_up_due": _l("Follow-up due soon: %(title)s"),
    "note_shared": _l("%(actor)s shared a note with you: %(title)s"),
    "agenda_topic": _l("Agenda topic proposed: %(title)s"),
    "join_request": _l("%(actor)s asks to join %(title)s"),
    "new_resource": _l("New resource in a theme you follow: %(title)s"),
}
# The events of notices about meetings, follow-ups, notes, requests and resources (not discussions).
NOTICE_EVENTS = (
    "poll_invitation", "poll_reminder", "poll_decided", "meeting_moved", "meeting_cancelled", "follow_up_assigned",
    "follow_up_due", "note_shared", "agenda_topic", "join_request", "new_resource",
)


def notice_heading(event):
    """The short heading of a notice in the notification centre ("Meeting changed")."""
    return {
        "poll_invitation": _l("Poll to answer"),
        "poll_reminder": _l("Poll closing soon"),
        "poll_decided": _l("Meeting scheduled"),
        "meeting_moved": _l("Meeting changed"),
        "meeting_cancelled": _l("Meeting cancelled"),
        "follow_up_assigned": _l("Follow-up assigned to you"),
        "follow_up_due": _l("Follow-up due soon"),
        "note_shared": _l("Note shared with you"),
        "agenda_topic": _l("Agenda topic proposed"),
        "join_request": _l("Request to join"),
        "new_resource": _l("New resource in a theme you follow"),
    }.get(event)


def event_label(event):
    return {
        "mention": _l("mentioned you"),
        "reply": _l("replied to you"),
        "new_post": _l("posted a message"),
        "new_thread": _l("started a discussion"),
        "thread_invitation": _l("invited you to the discussion"),
        "moderation_hidden": _l("hid your content pending moderation"),
        "moderation_restored": _l("made your content visible again"),
        "moderation_deleted": _l("deleted your content"),
        "poll_invitation": _l("invited you to answer a poll"),
        "poll_reminder": _l("a poll awaits your answer before its deadline"),
        "poll_decided": _l("decided a poll and scheduled the meeting"),
        "meeting_moved": _l("changed a meeting"),
        "meeting_cancelled": _l("cancelled a meeting"),
        "follow_up_assigned": _l("assigned you a follow-up"),
        "follow_up_due": _l("a follow-up of yours is due soon"),
        "note_shared": _l("shared a note with you"),
        "agenda_topic": _l("proposed an agenda topic"),
        "join_request": _l("asked to join the community"),
        "new_resource": _l("added a resource in a theme you follow"),
    }.get(event, _l("posted"))


def notify(event, recipients, *, community, actor, object_kind, object_id, title, excerpt, url, email=True):
    """Record a notification for each recipient who wants it; email those who want it at once.
    Nothing is committed. Returns the notifications created.

    ``email=False`` for what the feature already emails itself (a poll's invitation, a meeting's
    invitation with its .ics): the notification is only in the hub, never in an email or a digest.

    ``community`` may be None for what belongs to no community (a profile): the notification is
    kept and emailed at once, without a community's unsubscribe link."""
    from ..realtime import emit_after_commit

    people = {u.id: u for u in recipients if u is not None and (actor is None or u.id != actor.id) and u.is_active}
    prefs = preferences_by_community(people.keys(), community.id) if community is not None else {}
    created = []
    now = utcnow()
    for user_id, user in people.items():
        pref = prefs.get(user_id) or NotificationPreference(level="normal", email="immediate")
        if pref.level == "muted":
            continue
        notification = Notification(
            user_id=user_id, community_id=community.id if community is not None else None, actor_id=actor.id if actor else None, event=event,
            object_kind=object_kind, object_id=object_id, title=title[:300], excerpt=(excerpt or "")[:500], url=url[:500],
        )
        if pref.email == "never" or not email:
            notification.emailed_at = now
        elif pref.email == "immediate":
            notification.emailed_at = now
            actor_name = actor.display_name if actor else ""
            unsubscribe_link = unsubscribe_url(user_id, community.id) if community is not None else None
            queue_email(
                user.email, lambda e=event, a=actor_name, t=title: SUBJECTS.get(e, SUBJECTS["new_post"]) % {"actor": a, "title": t},
                "email/notifications/notification.txt", locale=user.locale, actor_name=actor_name, event=event,
                title=title, excerpt=excerpt, community_name=community.name if community is not None else "", url=_absolute(url),
                notice=(lambda e=event, a=actor_name, t=title: SUBJECTS[e] % {"actor": a, "title": t}) if event in NOTICE_EVENTS else None,
                preferences_url=current_app.config["BASE_URL"] + url_for("notifications.preferences"),
                unsubscribe_url=unsubscribe_link,
                headers=list_headers(community, unsubscribe_link) if community is not None else {"Auto-Submitted": "auto-generated"},
            )
        db.session.add(notification)
        created.append(notification)
        emit_after_commit(f"user:{user_id}", "notification", {"event": event, "title": title[:300], "url": url}, count_for=user_id)
    return created


# --- the notification centre --------------------------------------------------------------


def unread_count(user):
    return db.session.execute(
        sa.select(sa.func.count(Notification.id)).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ).scalar_one()


def for_user(user, page=1, per_page=PER_PAGE, unread_only=False):
    query = sa.select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    total = db.session.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    rows = db.session.execute(
        query.order_by(Notification.id.desc()).offset((page - 1) * per_page).limit(per_page)
        .options(sa.orm.joinedload(Notification.actor), sa.orm.joinedload(Notification.community))
    ).scalars().all()
    return total, rows


def mark_read(user, notification_ids=None):
    where = [Notification.user_id == user.id, Notification.read_at.is_(None)]
    if notification_ids is not None:
        where.append(Notification.id.in_(list(notification_ids)))
    objects = db.session.execute(
        sa.select(Notification.object_kind, Notification.object_id).where(*where, Notification.event.in_(("mention", "note_shared")))
    ).all()
    done = db.session.execute(sa.update(Notification).where(*where).values(read_at=utcnow())).rowcount
    _attention_read(user, sorted(set(objects)))
    return done


def mark_read_for(user, object_kind, object_ids):
    """Reading a thread marks its notifications read; how many were unread. Looked for first: an
    UPDATE takes SQLite's write lock even when it changes nothing."""
    if not object_ids:
        return 0
    unread = (
        Notification.user_id == user.id, Notification.read_at.is_(None), Notification.object_kind == object_kind,
        Notification.object_id.in_(list(object_ids)),
    )
    if db.session.execute(sa.select(Notification.id).where(*unread).limit(1)).first() is None:
        return 0
    done = db.session.execute(sa.update(Notification).where(*unread).values(read_at=utcnow())).rowcount
    _attention_read(user, [(object_kind, i) for i in object_ids])
    return done


def _attention_read(user, objects):
    """Read mentions and shared notes leave "To do" on the person's open pages."""
    from ..attention import service as attention

    keys = [f"mention-{i}" if kind == "thread" else f"note-{i}" for kind, i in objects if kind in ("thread", "note")]
    if keys:
        attention.changed([user], remove=keys)


# --- digests ------------------------------------------------------------------------------


def run_digests(app, now=None):
    """Queue the daily and weekly digests that are due; returns how many were queued."""
    from ..accounts.models import User

    now = now or utcnow()
    queued = 0
    prefs = db.session.execute(
        sa.select(NotificationPreference).where(NotificationPreference.email.in_(list(DIGEST_PERIODS)))
    ).scalars().all()
    for pref in prefs:
        if pref.last_digest_at is None:
            pref.last_digest_at = now
            continue
        if now - pref.last_digest_at < DIGEST_PERIODS[pref.email]:
            continue
        pending = db.session.execute(
            sa.select(Notification)
            .where(Notification.user_id == pref.user_id, Notification.community_id == pref.community_id, Notification.emailed_at.is_(None))
            .order_by(Notification.id)
            .options(sa.orm.joinedload(Notification.actor), sa.orm.joinedload(Notification.community))
        ).scalars().all()
        pref.last_digest_at = now
        if not pending:
            continue
        user = db.session.get(User, pref.user_id)
        community = pending[0].community
        if user is not None and user.is_active:
            with app.test_request_context("/", base_url=app.config.get("BASE_URL") or None):
                unsubscribe_link = unsubscribe_url(user.id, community.id)
                queue_email(
                    user.email,
                    (lambda n=len(pending), c=community.name, kind=pref.email:
                        (_l("Daily digest: %(count)d new in %(community)s", count=n, community=c) if kind == "daily"
                         else _l("Weekly digest: %(count)d new in %(community)s", count=n, community=c))),
                    "email/notifications/digest.txt", locale=user.locale, items=[
                        {"label": event_label(n.event), "actor": n.actor.display_name if n.actor else "", "title": n.title,
                         "excerpt": n.excerpt, "url": _absolute(n.url)} for n in pending
                    ],
                    period=pref.email, community_name=community.name,
                    preferences_url=app.config["BASE_URL"] + url_for("notifications.preferences"),
                    unsubscribe_url=unsubscribe_link, headers=list_headers(community, unsubscribe_link),
                )
            queued += 1
        for notification in pending:
            notification.emailed_at = now
    db.session.commit()
    return queued
