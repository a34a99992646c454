"""The weekly email ("This week in your communities"): one per person, gathering the discussions
with new messages and the resources added in the past week, the meetings of the coming week, the
polls awaiting their answer and their follow-ups due, in their language and zone, across every
community they belong to and only what they may read. Not sent when there is nothing to say.

Each email carries a signed one-click unsubscribe link (List-Unsubscribe, RFC 8058), as the other
notification emails do; it stops the weekly email only.
"""
from datetime import timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer

from .. import access
from ..extensions import db
from ..timeutil import utcnow
from .mail import list_id, queue_email
from .models import WeeklySummary

PERIOD = timedelta(days=7)
STEP_SECONDS = 3600  # how often the worker looks for people whose week has passed
MAX_ITEMS = 10  # per section


def _serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="hub-weekly-unsubscribe")


def unsubscribe_token(user_id):
    return _serializer().dumps({"u": user_id})


def unsubscribe_target(token):
    """The person a signed weekly unsubscribe link names, or None."""
    from ..accounts.models import User

    if not isinstance(token, str) or len(token) > 500:
        return None
    try:
        data = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    return db.session.get(User, data["u"])


def state(user, create=False):
    found = db.session.execute(sa.select(WeeklySummary).filter_by(user_id=user.id)).scalar_one_or_none()
    if found is None and create:
        found = WeeklySummary(user_id=user.id)
        db.session.add(found)
    return found


def is_subscribed(user):
    found = state(user)
    return found is None or found.unsubscribed_at is None


def subscribe(user, on=True):
    """Receive the weekly email (``on``) or stop it; doing it again changes nothing."""
    found = state(user, create=True)
    found.unsubscribed_at = None if on else (found.unsubscribed_at or utcnow())
    return found


def content(user, now=None, since=None):
    """What this week's email tells the person: {section: [{"title", "url", "community", "when"?}]},
    the discussions and resources being those since ``since`` (the last email; a week by default)."""
    from ..attention import service as attention
    from ..communities.service import my_communities
    from ..discussions.models import Thread
    from ..meetings import recurrence
    from ..meetings.models import Meeting
    from ..meetings.service import moment_text
    from ..resources.models import Resource

    now = now or utcnow()
    since = since or now - PERIOD
    memberships = [m for m in my_communities(user) if m.role in access.READING_ROLES]
    ids = [m.community_id for m in memberships]
    base = current_app.config["BASE_URL"]
    found = {"discussions": [], "resources": [], "meetings": [], "polls": [], "follow_ups": []}
    if not ids:
        return found
    threads = db.session.execute(
        sa.select(Thread).where(Thread.community_id.in_(ids), Thread.last_post_at > since).order_by(Thread.last_post_at.desc()).limit(50)
    ).scalars().all()
    found["discussions"] = [
        {"title": t.title, "url": base + url_for("discussions.thread", thread_id=t.id), "community": t.community.name}
        for t in threads if access.can(user, "thread.read", t)
    ][:MAX_ITEMS]
    resources = db.session.execute(
        sa.select(Resource).where(Resource.community_id.in_(ids), Resource.created_at > since, Resource.hidden_at.is_(None))
        .order_by(Resource.created_at.desc()).limit(50)
    ).scalars().all()
    found["resources"] = [
        {"title": r.title, "url": base + url_for("resources.show", resource_id=r.id), "community": r.community.name}
        for r in resources if access.can(user, "resource.read", r)
    ][:MAX_ITEMS]
    meetings = db.session.execute(
        sa.select(Meeting).where(Meeting.community_id.in_(ids), Meeting.cancelled_at.is_(None),
                                 sa.or_(Meeting.rrule != "", sa.and_(Meeting.end > now, Meeting.start < now + PERIOD)))
    ).scalars().all()
    upcoming = []
    for meeting in meetings:
        if not access.can(user, "meeting.read", meeting):
            continue
        for occurrence in recurrence.occurrences(meeting, now, now + PERIOD):
            if occurrence.start >= now:
                upcoming.append((occurrence.start, {
                    "title": occurrence.title, "url": base + url_for("meetings.show", meeting_id=meeting.id),
                    "community": meeting.community.name, "when": moment_text(occurrence.start, user.timezone, user.locale),
                }))
    found["meetings"] = [item for _start, item in sorted(upcoming, key=lambda pair: pair[0])][:MAX_ITEMS]
    for item in attention.items_for(user):
        if item["kind"] == "poll":
            found["polls"].append({
                "title": item["title"], "url": base + item["url"], "community": item["community_name"],
                "when": moment_text(item["due_at"], user.timezone, user.locale) if item["due_at"] else None,
            })
        elif item["kind"] == "follow_up" and (item["due_at"] is None or item["due_at"] <= (now + PERIOD).date()):
            found["follow_ups"].append({
                "title": item["title"], "url": base + item["url"], "community": item["community_name"],
                "when": _date_text(item["due_at"], user.locale) if item["due_at"] else None,
            })
    found["polls"], found["follow_ups"] = found["polls"][:MAX_ITEMS], found["follow_ups"][:MAX_ITEMS]
    return found


def _date_text(day, locale):
    from babel.dates import format_date

    return format_date(day, "full", locale=locale)


def send(user, now=None, since=None):
    """Queue this person's weekly email; False (nothing queued) when there is nothing to tell."""
    found = content(user, now, since)
    if not any(found.values()):
        return False
    link = current_app.config["BASE_URL"] + url_for("notifications.weekly_unsubscribe", token=unsubscribe_token(user.id))
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
    queue_email(
        user.email, lambda: _l("This week in your communities"), "email/notifications/weekly.txt", locale=user.locale,
        name=user.display_name, sections=found, unsubscribe_url=link,
        preferences_url=current_app.config["BASE_URL"] + url_for("notifications.preferences"),
        headers={
            "List-Id": list_id(str(_l("This week in your communities")), f"weekly.{host}"),
            "List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    return True


def run_weekly(app, now=None):
    """Queue the weekly emails that are due (a week after the last one each person was considered
    for; someone never considered starts their week now); returns how many were queued. Commits."""
    from ..accounts.models import User
    from ..communities.models import Membership

    now = now or utcnow()
    queued = 0
    people = db.session.execute(
        sa.select(User).where(User.id.in_(sa.select(Membership.user_id))).order_by(User.id)
    ).scalars().all()
    states = {s.user_id: s for s in db.session.execute(sa.select(WeeklySummary)).scalars()}
    with app.test_request_context("/", base_url=app.config.get("BASE_URL") or None):
        for user in people:
            found = states.get(user.id)
            if not user.is_active or (found is not None and found.unsubscribed_at is not None):
                continue
            if found is not None and found.last_sent_at is not None and now - found.last_sent_at < PERIOD:
                continue
            if found is None:  # the week starts now, as a digest's does
                db.session.add(WeeklySummary(user_id=user.id, last_sent_at=now))
                continue
            since, found.last_sent_at = found.last_sent_at, now
            queued += bool(send(user, now, since))
    db.session.commit()
    return queued
