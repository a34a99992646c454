"""Polls, meetings, calendar, agenda, follow-up and reminders, shared by the pages and the API."""
import logging
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from babel.dates import format_date as babel_date
from babel.dates import format_time as babel_time
from flask import current_app, url_for
from flask_babel import lazy_gettext as _l

from .. import access, activity, kinds, pagecache, search
from ..attention import service as attention
from ..accounts.models import User
from ..communities.models import Community, Membership
from ..exceptions import ServiceError
from ..extensions import db
from ..markup import plain, references_text
from ..notifications import service as notifications
from ..notifications.mail import queue_email
from ..search.base import SearchDocument
from ..timeutil import is_valid_timezone, utcnow, zone_label
from . import ics, recurrence
from .models import (
    ANSWERS, ATTENDANCE, DEFAULT_REMINDER_HOURS, KINDS, REMINDER_WINDOW, AgendaItem, AgendaSupport, CalendarFeed,
    FollowUp, Meeting, MeetingAttendee, MeetingOverride, Poll, PollAnswer, PollInvitee, PollSlot, ReminderSent,
)

log = logging.getLogger(__name__)

MAX_SLOTS = 100
MAX_GUESTS = 50
MIN_DURATION, MAX_DURATION = 5, 24 * 60
MAX_HORIZON = timedelta(days=2 * 365)
PARTICIPATING_ROLES = {"facilitator", "member", "guest"}
# "The whole community" means its contributors; guests take part only where invited by name.
WHOLE_COMMUNITY_ROLES = {"facilitator", "member"}
CALENDAR_MAX_DAYS = 400


# --- helpers ------------------------------------------------------------------------------


def zone(name):
    if not is_valid_timezone(name):
        raise ServiceError(_l("Choose a time zone from the list."), field="timezone")
    return ZoneInfo(name)


def local(moment, tz_name):
    return moment.astimezone(ZoneInfo(tz_name))


def moment_text(moment, tz_name, locale):
    """The locale's full date and short time in a zone: "dimanche 6 décembre 2026, 16 h 00"."""
    zone_info = ZoneInfo(tz_name)
    day = babel_date(moment.astimezone(zone_info).date(), "full", locale=locale)
    return f"{day}, {babel_time(moment, 'short', tzinfo=zone_info, locale=locale)}"


def format_moment(moment, tz_name, locale):
    """A time as the recipient reads it: their zone, their language, the zone's name beside it."""
    return f"{moment_text(moment, tz_name, _babel_locale(locale))} ({zone_label(tz_name, _babel_locale(locale))})"


def _babel_locale(locale):
    return "fr_CA" if not locale or locale.startswith("fr") else "en"


def get(model, object_id):
    if not isinstance(object_id, int) or isinstance(object_id, bool) or not 0 < object_id < 2**31:
        return None
    return db.session.get(model, object_id)


def community_members(community, roles=PARTICIPATING_ROLES):
    rows = db.session.execute(
        sa.select(Membership).where(Membership.community_id == community.id).options(sa.orm.joinedload(Membership.user))
    ).scalars().all()
    return [m.user for m in rows if m.is_current and m.role in roles and m.user.is_active]


def page_url(endpoint, **values):
    return current_app.config["BASE_URL"] + url_for(endpoint, **values)


# --- polls --------------------------------------------------------------------------------


def parse_iso(value, tz_name, field="slots"):
    """An ISO 8601 date-time; without an offset it is read in ``tz_name``. Returns UTC."""
    if not isinstance(value, str) or len(value) > 40:
        raise ServiceError(_l("Give each time as an ISO 8601 date and time, e.g. 2025-03-04T14:00."), field=field)
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ServiceError(_l("Give each time as an ISO 8601 date and time, e.g. 2025-03-04T14:00."), field=field) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz_name))
    try:
        return moment.astimezone(timezone.utc).replace(microsecond=0)
    except OverflowError:  # 9999-12-31T23:00 read in a zone west of UTC
        raise ServiceError(_l("Give each time as an ISO 8601 date and time, e.g. 2025-03-04T14:00."), field=field) from None


def check_slots(slots, duration_minutes=None):
    """(start, end) pairs in UTC: sorted, without duplicates, each in the future, end after start."""
    if not slots:
        raise ServiceError(_l("Propose at least one time slot."), field="slots")
    if len(slots) > MAX_SLOTS:
        raise ServiceError(_l("Propose at most %(max)d time slots.", max=MAX_SLOTS), field="slots")
    now = utcnow()
    unique = sorted(set(slots))
    for start, end in unique:
        if end <= start:
            raise ServiceError(_l("Each slot must end after it starts."), field="slots")
        if end - start > timedelta(minutes=MAX_DURATION):
            raise ServiceError(_l("A slot lasts at most 24 hours."), field="slots")
        if start <= now:
            raise ServiceError(_l("Every proposed slot must be in the future."), field="slots")
        if start > now + MAX_HORIZON:
            raise ServiceError(_l("Propose slots within the next two years."), field="slots")
    return unique


def check_duration(duration_minutes):
    if not isinstance(duration_minutes, int) or isinstance(duration_minutes, bool) or not MIN_DURATION <= duration_minutes <= MAX_DURATION:
        raise ServiceError(_l("The duration is between %(low)d minutes and 24 hours.", low=MIN_DURATION), field="duration_minutes")


def _normalize_email(value):
    return value.strip().lower() if isinstance(value, str) else value


EMAIL_RE = re.compile(r"^[^@\s\x00-\x1f\x7f]{1,64}@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$")


def check_guest_emails(emails):
    cleaned = []
    for email in emails or []:
        email = _normalize_email(email)
        if not email:
            continue
        if len(email) > 254 or not EMAIL_RE.match(email):
            raise ServiceError(_l("“%(email)s” is not a valid email address.", email=email[:80]), field="guests")
        if email not in cleaned:
            cleaned.append(email)
    if len(cleaned) > MAX_GUESTS:
        raise ServiceError(_l("Invite at most %(max)d guests by email.", max=MAX_GUESTS), field="guests")
    return cleaned


def create_poll(community, organizer, *, title, duration_minutes, tz_name, slots, description="", deadline=None,
                location="", remote_url="", invite_all=True, user_ids=(), guest_emails=()):
    """Create a poll and invite people; ``slots`` are (start, end) pairs in UTC. Nothing is committed."""
    zone(tz_name)
    check_duration(duration_minutes)
    slots = check_slots(slots)
    if deadline is not None:
        if deadline <= utcnow():
            raise ServiceError(_l("The answer deadline must be in the future."), field="deadline")
        if deadline >= slots[-1][0]:
            raise ServiceError(_l("The answer deadline must come before the last proposed slot."), field="deadline")
    members = {u.id: u for u in community_members(community)}
    chosen = []
    for user_id in user_ids or ():
        if user_id not in members:
            raise ServiceError(_l("Invite members of the community only."), field="invitees")
        if user_id not in [u.id for u in chosen]:
            chosen.append(members[user_id])
    guests = check_guest_emails(guest_emails)
    if not invite_all and not chosen and not guests:
        raise ServiceError(_l("Invite the whole community, some members, or guests by email."), field="invitees")
    poll = Poll(
        community=community, organizer=organizer, title=title, description=description or "", duration_minutes=duration_minutes,
        timezone=tz_name, location=location or "", remote_url=remote_url or "", deadline=deadline, invite_all=bool(invite_all),
    )
    poll.slots = [PollSlot(start=s, end=e) for s, e in slots]
    db.session.add(poll)
    invitees = {organizer.id: PollInvitee(poll=poll, user=organizer, locale=organizer.locale)}
    for user in chosen:
        invitees.setdefault(user.id, PollInvitee(poll=poll, user=user, locale=user.locale))
    db.session.add_all(invitees.values())
    links = {}
    for email in guests:
        raw, token_hash = PollInvitee.new_token()
        guest = PollInvitee(poll=poll, email=email, token_hash=token_hash, locale=organizer.locale)
        db.session.add(guest)
        links[email] = raw
    db.session.flush()
    everyone = community_members(community, WHOLE_COMMUNITY_ROLES) if invite_all else []
    recipients = [u for u in ({u.id: u for u in everyone + chosen}).values() if u.id != organizer.id]
    for user in recipients:
        _mail_poll(poll, user.email, user.locale, user.timezone, page_url("meetings.poll", poll_id=poll.id), organizer, reader=user)
    for email, raw in links.items():
        _mail_poll(poll, email, organizer.locale, tz_name, page_url("meetings.guest_poll", token=raw), organizer)
    # In the hub too (the email above is the invitation): those who may read and answer it.
    _notice("poll_invitation", [u for u in recipients if access.can(u, "poll.answer", poll)], poll, organizer, email=False)
    activity.record("poll", poll, "opened", organizer)
    return poll, links


def _notice(event, users, obj, actor, title=None, excerpt=None, email=True, url=None):
    """Notify these people of a poll, meeting or follow-up (``obj``), by its community's preferences."""
    from .models import Poll as _Poll

    meeting = obj if isinstance(obj, Meeting) else getattr(obj, "meeting", None)
    if isinstance(obj, _Poll):
        kind, object_id, page = "poll", obj.id, url_for("meetings.poll", poll_id=obj.id)
        text = obj.description
    else:
        kind, object_id, page = "meeting", meeting.id, url_for("meetings.show", meeting_id=meeting.id)
        text = meeting.description
    community = obj.community if isinstance(obj, (_Poll, Meeting)) else meeting.community
    if excerpt is None:
        excerpt = plain(text, community_id=community.id)
        excerpt = excerpt[:280] + ("…" if len(excerpt) > 280 else "")
    return notifications.notify(
        event, [u for u in users if u is not None], community=community, actor=actor, object_kind=kind, object_id=object_id,
        title=title or obj.title, excerpt=excerpt, url=url or page, email=email,
    )


def _attendees(meeting, readable=True):
    """The people of the hub invited to a meeting who did not say they are not going."""
    declined = {a.user_id for a in meeting.attendees if a.response == "notgoing"}
    users = [r.user for r in recipients(meeting) if r.user is not None and r.user.id not in declined]
    return [u for u in users if not readable or access.can(u, "meeting.read", meeting)]


def _waiting_for(poll):
    """Those who may answer a poll and have not."""
    answered = {i.user_id for i in poll.invitees if i.answered_at is not None}
    people = {u.id: u for u in (community_members(poll.community, WHOLE_COMMUNITY_ROLES) if poll.invite_all else [])}
    for invitee in poll.invitees:
        if invitee.user is not None and invitee.revoked_at is None:
            people.setdefault(invitee.user.id, invitee.user)
    return [u for uid, u in people.items() if uid not in answered and uid != poll.organizer_id and access.can(u, "poll.answer", poll)]


def _mail_poll(poll, email, locale, tz_name, link, organizer, reader=None):
    """``reader``: the account the email goes to, whose access turns #references into titles."""
    queue_email(
        email, lambda: _l("When are you available? %(title)s", title=poll.title), "email/meetings/poll.txt", locale=locale,
        poll=poll, organizer=organizer, link=link, description=references_text(poll.description, reader, poll.community_id),
        deadline=format_moment(poll.deadline, tz_name, locale) if poll.deadline else None,
    )


def is_invited(poll, user):
    """Whether a logged-in user is among the poll's invitees."""
    if not getattr(user, "is_authenticated", False):
        return False
    if any(i.user_id == user.id and i.revoked_at is None for i in poll.invitees):
        return True
    return poll.invite_all and access.role_in(user, poll.community) in WHOLE_COMMUNITY_ROLES


def invitee_for(poll, user, create=True):
    invitee = next((i for i in poll.invitees if i.user_id == user.id), None)
    if invitee is None and create:
        # INSERT … ON CONFLICT DO NOTHING: the same person answering twice at once (a double click,
        # two tabs) gets one row, whichever request makes it, without a savepoint (which SQLite's
        # driver would commit on its own).
        db.session.execute(_insert(PollInvitee).values(poll_id=poll.id, user_id=user.id, locale=user.locale, created_at=utcnow()).on_conflict_do_nothing())
        pagecache.touch(poll.community_id)
        db.session.expire(poll, ["invitees"])
        invitee = db.session.execute(sa.select(PollInvitee).filter_by(poll_id=poll.id, user_id=user.id)).scalar_one()
    return invitee


def _insert(model):
    """An INSERT that can say what to do on a conflict, in the database's own dialect."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)


def answer(poll, invitee, answers, comment=None):
    """Record (or change) one invitee's answers: {slot_id: 'yes' | 'ifneedbe' | 'no'}."""
    if invitee.revoked_at is not None:
        raise ServiceError(_l("This personal link was withdrawn by the organiser."), status=410, code="link_revoked")
    if not poll.is_open:
        raise ServiceError(_l("This poll is closed: answers can no longer change."), status=409, code="poll_closed")
    slots = {s.id: s for s in poll.slots}
    if not isinstance(answers, dict) or not answers:
        raise ServiceError(_l("Answer at least one slot."), field="answers")
    cleaned = {}
    for key, value in answers.items():
        try:
            slot_id = int(key)
        except (TypeError, ValueError):
            slot_id = None
        if slot_id not in slots:
            raise ServiceError(_l("Answer the slots of this poll only."), field="answers")
        if value not in ANSWERS:
            raise ServiceError(_l("Answer yes, if need be, or no."), field="answers")
        cleaned[slot_id] = value
    if comment is not None:
        if not isinstance(comment, str) or len(comment) > 1000:
            raise ServiceError(_l("At most %(max)d characters.", max=1000), field="comment")
        invitee.comment = comment.strip()
    _set_answers(invitee, cleaned)
    if invitee.user is not None:
        attention.changed([invitee.user], remove=[f"poll-{poll.id}"])
    return invitee


def _set_answers(invitee, cleaned):
    """Each answer written as an upsert: two requests answering at once both succeed, the last wins."""
    db.session.flush()
    for slot_id, value in cleaned.items():
        db.session.execute(
            _insert(PollAnswer).values(invitee_id=invitee.id, slot_id=slot_id, value=value)
            .on_conflict_do_update(index_elements=["invitee_id", "slot_id"], set_={"value": value})
        )
    db.session.expire(invitee, ["answers"])
    invitee.answered_at = utcnow()
    db.session.flush()


@dataclass
class Tally:
    slot: PollSlot
    yes: int = 0
    ifneedbe: int = 0
    no: int = 0
    best: bool = False

    @property
    def available(self):
        return self.yes + self.ifneedbe


def tallies(poll):
    rows = {s.id: Tally(s) for s in poll.slots}
    for invitee in poll.invitees:
        if invitee.revoked_at is not None:
            continue
        for answer_row in invitee.answers:
            tally = rows.get(answer_row.slot_id)
            if tally is not None:
                setattr(tally, answer_row.value, getattr(tally, answer_row.value) + 1)
    result = list(rows.values())
    answered = [t for t in result if t.available]
    if answered:
        top = max((t.available, t.yes) for t in answered)
        for t in answered:
            t.best = (t.available, t.yes) == top
    return result


def respondents(poll):
    """Invitees who answered (revoked guests left out), with their answers by slot id."""
    rows = []
    for invitee in poll.invitees:
        if invitee.answered_at is None or invitee.revoked_at is not None:
            continue
        rows.append((invitee, {a.slot_id: a.value for a in invitee.answers}))
    return rows


def revoke_guest(invitee):
    if invitee.user_id is not None:
        raise ServiceError(_l("Only guest links can be withdrawn."), status=409)
    if invitee.revoked_at is None:
        invitee.revoked_at = utcnow()


def close_poll(poll):
    if poll.status != "open":
        raise ServiceError(_l("This poll is already closed."), status=409, code="poll_closed")
    waiting = _waiting_for(poll)
    poll.status = "closed"
    poll.closed_at = utcnow()
    attention.changed(waiting, remove=[f"poll-{poll.id}"])


def finalize(poll, actor, slot):
    """Choose a slot: the poll becomes a meeting and every invitee receives an invitation."""
    if poll.status == "finalized" or poll.meeting is not None:
        raise ServiceError(_l("A slot was already chosen for this poll."), status=409, code="poll_finalized")
    if slot is None or slot.poll_id != poll.id:
        raise ServiceError(_l("Choose one of the poll's slots."), field="slot_id")
    waiting = _waiting_for(poll)
    meeting = Meeting(
        community=poll.community, kind="meeting", uid=new_uid(), title=poll.title, description=poll.description,
        location=poll.location, remote_url=poll.remote_url, start=slot.start, end=slot.end, timezone=poll.timezone,
        invite_all=poll.invite_all, organizer=poll.organizer or actor, poll=poll,
    )
    db.session.add(meeting)
    for invitee in poll.invitees:
        if invitee.revoked_at is not None:
            continue
        if invitee.user_id is not None:
            meeting.attendees.append(MeetingAttendee(user_id=invitee.user_id, locale=invitee.locale))
        else:
            meeting.attendees.append(MeetingAttendee(email=invitee.email, name=invitee.name, locale=invitee.locale))
    poll.status = "finalized"
    poll.closed_at = utcnow()
    db.session.flush()
    send_invitations(meeting, "REQUEST")
    search.enqueue("meeting", meeting.id)
    # In the hub too (the invitation with its .ics is emailed above).
    _notice("poll_decided", _attendees(meeting), meeting, actor, email=False)
    attention.changed(waiting, remove=[f"poll-{poll.id}"])
    activity.record("poll", poll, "decided", actor)
    return meeting


# --- meetings -----------------------------------------------------------------------------


def new_uid():
    return f"{uuid.uuid4()}@{ics.uid_domain()}"


@dataclass
class Recipient:
    email: str
    name: str
    locale: str
    timezone: str
    user: User | None = None


def recipients(meeting):
    """Everyone invited: the community's participants (when the whole community is invited),
    the members and guests invited by name. Not those who said they are not going."""
    found = {}
    if meeting.invite_all:
        for user in community_members(meeting.community, WHOLE_COMMUNITY_ROLES):
            found[user.email] = Recipient(user.email, user.display_name, user.locale, user.timezone, user)
    for attendee in meeting.attendees:
        if not attendee.invited:
            continue
        user = attendee.user
        if user is not None:
            if access.role_in(user, meeting.community) is None and not user.is_admin:
                continue  # left the community
            found[user.email] = Recipient(user.email, user.display_name, user.locale, user.timezone, user)
        elif attendee.email:
            found[attendee.email] = Recipient(attendee.email, attendee.name, attendee.locale, meeting.timezone, None)
    return list(found.values())


def send_invitations(meeting, method="REQUEST", update=False):
    """Queue one email per invitee, in their language and zone, with the .ics attached."""
    if meeting.is_event:
        return 0
    count = 0
    for recipient in recipients(meeting):
        content = ics.invitation(meeting, method, (recipient.email, recipient.name), reader=recipient.user)
        if method == "CANCEL":
            subject, template = (lambda: _l("Cancelled: %(title)s", title=meeting.title)), "email/meetings/cancelled.txt"
        elif update:
            subject, template = (lambda: _l("Changed: %(title)s", title=meeting.title)), "email/meetings/updated.txt"
        else:
            subject, template = (lambda: _l("Invitation: %(title)s", title=meeting.title)), "email/meetings/invitation.txt"
        queue_email(
            recipient.email, subject, template, locale=recipient.locale, meeting=meeting,
            when=format_moment(meeting.start, recipient.timezone, recipient.locale),
            organizer_when=format_moment(meeting.start, meeting.timezone, recipient.locale) if recipient.timezone != meeting.timezone else None,
            recurring=bool(meeting.rrule), link=page_url("meetings.show", meeting_id=meeting.id),
            description=references_text(meeting.description, recipient.user, meeting.community_id),
            attachment=("invitation.ics" if method != "CANCEL" else "cancellation.ics", f"text/calendar; method={method}", content),
        )
        count += 1
    return count


def check_meeting_fields(title, start, end, tz_name, rrule, kind="meeting"):
    zone(tz_name)
    if kind not in KINDS:
        raise ServiceError(_l("Choose a meeting or an event."), field="kind")
    if end <= start:
        raise ServiceError(_l("The end must come after the start."), field="end")
    if end - start > timedelta(days=14):
        raise ServiceError(_l("An entry lasts at most 14 days."), field="end")
    try:
        recurrence.validate(rrule, start, tz_name)
    except recurrence.InvalidRule:
        raise ServiceError(_l("This repetition is not valid."), field="repeat") from None


def create_meeting(community, organizer, *, kind="meeting", title, start, end, tz_name, description="", location="",
                   remote_url="", rrule="", invite_all=True):
    """A meeting planned directly (without a poll), or an event of interest (kind 'event')."""
    check_meeting_fields(title, start, end, tz_name, rrule, kind)
    if start <= utcnow() - timedelta(days=1) and kind == "meeting" and not rrule:
        raise ServiceError(_l("The meeting must be in the future."), field="start")
    meeting = Meeting(
        community=community, kind=kind, uid=new_uid(), title=title, description=description or "", location=location or "",
        remote_url=remote_url or "", start=start, end=end, timezone=tz_name, rrule=rrule or "", invite_all=invite_all,
        organizer=organizer,
    )
    db.session.add(meeting)
    db.session.flush()
    send_invitations(meeting, "REQUEST")
    search.enqueue("meeting", meeting.id)
    activity.record("meeting", meeting, "scheduled", organizer)
    return meeting


def update_meeting(meeting, *, title, start, end, tz_name, description, location, remote_url, rrule, actor=None):
    if meeting.is_cancelled:
        raise ServiceError(_l("This meeting is cancelled."), status=409, code="meeting_cancelled")
    check_meeting_fields(title, start, end, tz_name, rrule, meeting.kind)
    timing_changed = (start, end, tz_name, rrule or "") != (meeting.start, meeting.end, meeting.timezone, meeting.rrule)
    if timing_changed and meeting.overrides:
        # Changed and cancelled occurrences belong to the old series.
        meeting.overrides = []
    meeting.title, meeting.description, meeting.location, meeting.remote_url = title, description or "", location or "", remote_url or ""
    meeting.start, meeting.end, meeting.timezone, meeting.rrule = start, end, tz_name, rrule or ""
    _changed(meeting, actor)
    if timing_changed:
        activity.record("meeting", meeting, "moved")
    return meeting


def _changed(meeting, actor=None, event="meeting_moved"):
    meeting.sequence += 1
    meeting.updated_at = utcnow()
    db.session.flush()
    send_invitations(meeting, "REQUEST", update=True)
    search.enqueue("meeting", meeting.id)
    if not meeting.is_event:  # the change itself is emailed above, with its .ics
        _notice(event, _attendees(meeting), meeting, actor, email=False)


def cancel_meeting(meeting, actor=None):
    if meeting.is_cancelled:
        raise ServiceError(_l("This meeting is already cancelled."), status=409, code="meeting_cancelled")
    meeting.cancelled_at = utcnow()
    meeting.sequence += 1
    meeting.updated_at = utcnow()
    db.session.flush()
    send_invitations(meeting, "CANCEL")
    search.enqueue("meeting", meeting.id)
    if not meeting.is_event:
        _notice("meeting_cancelled", _attendees(meeting), meeting, actor, email=False)
    activity.record("meeting", meeting, "cancelled")


def _override(meeting, recurrence_id):
    if not meeting.rrule or not recurrence.is_original_start(meeting, recurrence_id):
        raise ServiceError(_l("This occurrence does not exist."), status=404)
    override = next((o for o in meeting.overrides if o.recurrence_id == recurrence_id), None)
    if override is None:
        override = MeetingOverride(recurrence_id=recurrence_id)
        meeting.overrides.append(override)
    return override


def edit_occurrence(meeting, recurrence_id, *, start, end, title=None, location=None, actor=None):
    """Move or change one occurrence of a recurring meeting (sent as a RECURRENCE-ID override)."""
    if meeting.is_cancelled:
        raise ServiceError(_l("This meeting is cancelled."), status=409, code="meeting_cancelled")
    if end <= start:
        raise ServiceError(_l("The end must come after the start."), field="end")
    override = _override(meeting, recurrence_id)
    if override.cancelled:
        raise ServiceError(_l("This occurrence is cancelled."), status=409)
    override.start, override.end = start, end
    override.title = title or None
    override.location = location
    _changed(meeting, actor)
    activity.record("meeting", meeting, "moved")
    return override


def cancel_occurrence(meeting, recurrence_id, actor=None):
    """Cancel one occurrence (an EXDATE in the series)."""
    if meeting.is_cancelled:
        raise ServiceError(_l("This meeting is cancelled."), status=409, code="meeting_cancelled")
    override = _override(meeting, recurrence_id)
    if override.cancelled:
        raise ServiceError(_l("This occurrence is already cancelled."), status=409)
    override.cancelled = True
    _changed(meeting, actor, "meeting_cancelled")
    activity.record("meeting", meeting, "occurrence_cancelled")
    return override


def set_attendance(meeting, user, response):
    if response not in ATTENDANCE:
        raise ServiceError(_l("Answer going, maybe or not going."), field="response")
    if meeting.is_cancelled:
        raise ServiceError(_l("This meeting is cancelled."), status=409, code="meeting_cancelled")
    attendee = next((a for a in meeting.attendees if a.user_id == user.id), None)
    if attendee is None:
        attendee = MeetingAttendee(user_id=user.id, locale=user.locale, invited=False)
        meeting.attendees.append(attendee)
    attendee.response = response
    attendee.responded_at = utcnow()
    db.session.flush()
    return attendee


def attendance_of(meeting, user):
    attendee = next((a for a in meeting.attendees if getattr(user, "id", None) and a.user_id == user.id), None)
    return attendee.response if attendee is not None else None


def attendance_counts(meeting):
    counts = {value: 0 for value in ATTENDANCE}
    for attendee in meeting.attendees:
        if attendee.response in counts:
            counts[attendee.response] += 1
    return counts


# --- calendar -----------------------------------------------------------------------------


def community_meetings(community_ids, include_cancelled=True):
    if not community_ids:
        return []
    query = sa.select(Meeting).where(Meeting.community_id.in_(list(community_ids))).options(
        sa.orm.selectinload(Meeting.overrides), sa.orm.joinedload(Meeting.community), sa.orm.joinedload(Meeting.organizer)
    ).order_by(Meeting.start)
    if not include_cancelled:
        query = query.where(Meeting.cancelled_at.is_(None))
    return db.session.execute(query).scalars().all()


def calendar(community, start, end):
    """Occurrences of the community's meetings and events overlapping [start, end), by start."""
    if end <= start:
        raise ServiceError(_l("The end must come after the start."), field="to")
    if end - start > timedelta(days=CALENDAR_MAX_DAYS):
        raise ServiceError(_l("Ask for at most %(days)d days at a time.", days=CALENDAR_MAX_DAYS), field="to")
    found = []
    for meeting in community_meetings([community.id], include_cancelled=False):
        found.extend(recurrence.occurrences(meeting, start, end))
    return sorted(found, key=lambda o: (o.start, o.meeting.id))


def open_polls(community, user):
    polls = db.session.execute(
        sa.select(Poll).where(Poll.community_id == community.id, Poll.status == "open").order_by(Poll.created_at.desc())
    ).scalars().all()
    return [p for p in polls if access.can(user, "poll.read", p)]


def user_communities(user):
    rows = db.session.execute(sa.select(Membership).where(Membership.user_id == user.id)).scalars().all()
    return [m.community_id for m in rows if m.is_current and m.role in access.READING_ROLES]


def feed_for(user, create=True):
    feed = db.session.execute(sa.select(CalendarFeed).where(CalendarFeed.user_id == user.id)).scalar_one_or_none()
    if feed is None and create:
        feed = CalendarFeed(user_id=user.id, key=CalendarFeed.new_key())
        db.session.add(feed)
        db.session.flush()
    return feed


def feed_url(feed):
    return page_url("meetings.feed", token=feed.token(current_app.config["SECRET_KEY"]))


def regenerate_feed(user):
    """A new feed address; the old one stops working at once."""
    feed = feed_for(user, create=False)
    if feed is not None:
        db.session.delete(feed)
        db.session.flush()
    return feed_for(user)


def revoke_feed(user):
    feed = feed_for(user, create=False)
    if feed is not None:
        db.session.delete(feed)


def find_feed(raw):
    feed = CalendarFeed.by_token(current_app.config["SECRET_KEY"], raw)
    if feed is None or not feed.user.is_active:
        return None
    return feed


def feed_document(feed):
    """Every meeting and event of the user's communities (cancelled ones marked so)."""
    meetings = community_meetings(user_communities(feed.user))
    return ics.document(meetings, name=str(_l("The hub")), reader=feed.user)


# --- agenda and follow-up -----------------------------------------------------------------


def propose_topic(meeting, user, title, details=""):
    if meeting.is_cancelled:
        raise ServiceError(_l("This meeting is cancelled."), status=409, code="meeting_cancelled")
    item = AgendaItem(meeting=meeting, author=user, title=title, details=details or "")
    db.session.add(item)
    item.supports.append(AgendaSupport(user_id=user.id))
    db.session.flush()
    search.enqueue("meeting", meeting.id)
    _notice("agenda_topic", _attendees(meeting), meeting, user, title=item.title, excerpt=meeting.title,
            url=url_for("meetings.show", meeting_id=meeting.id) + "#agenda-heading")
    activity.record("agenda", item, "proposed", user)
    return item


def toggle_support(item, user):
    """One click supports a topic; a second click withdraws the support. Returns True when supporting."""
    existing = next((s for s in item.supports if s.user_id == user.id), None)
    if existing is not None:
        item.supports.remove(existing)
        db.session.flush()
        return False
    item.supports.append(AgendaSupport(user_id=user.id))
    db.session.flush()
    return True


def agenda(meeting):
    """Topics, most supported first (then oldest first)."""
    return sorted(meeting.agenda_items, key=lambda i: (-len(i.supports), i.created_at, i.id))


def assignee_named(meeting, who):
    """The member ``who`` names ("Julie Roy", "julie roy", "@julie-roy"), when it names exactly one
    person who may read the meeting; else None."""
    from ..communities.service import fold, slugify

    text = (who or "").strip()
    if not text:
        return None
    handle = text[1:] if text.startswith("@") else None
    found = [
        u for u in community_members(meeting.community)
        if (slugify(u.display_name) == handle.lower() if handle else fold(u.display_name) == fold(text))
    ]
    return found[0] if len(found) == 1 and access.can(found[0], "meeting.read", meeting) else None


def minutes_draft(meeting, locale):
    """(title, Markdown body) of the minutes of a meeting, in ``locale``: its date, place,
    attendance (who said they would come, maybe, or not) and agenda topics, then the sections
    to fill in."""
    from flask_babel import force_locale

    def names(response):
        return sorted((a.display_name for a in meeting.attendees if a.response == response), key=str.casefold)

    with force_locale(_babel_locale(locale)):
        when = format_moment(meeting.start, meeting.timezone, locale)
        title = str(_l("Minutes: %(title)s", title=meeting.title))
        lines = [f"**{meeting.title}** — {when}"]
        if meeting.location:
            lines.append("")
            lines.append(str(_l("Place: %(place)s", place=meeting.location)))
        lines += ["", f"## {_l('Present')}", ""]
        lines += [f"- {name}" for name in names("going")] or ["- "]
        if names("maybe"):
            lines += ["", str(_l("Maybe: %(names)s", names=", ".join(names("maybe"))))]
        if names("notgoing"):
            lines += ["", str(_l("Absent: %(names)s", names=", ".join(names("notgoing"))))]
        lines += ["", f"## {_l('Agenda')}", ""]
        topics = agenda(meeting)
        lines += [f"{number}. {item.title}" + (f" — {' '.join(item.details.split())}" if item.details.strip() else "")
                  for number, item in enumerate(topics, 1)] or ["1. "]
        lines += ["", f"## {_l('Discussion')}", "", "", f"## {_l('Decisions')}", "", "- ",
                  "", f"## {_l('Follow-up (what, who, when)')}", "", "- ", "", f"## {_l('Next meeting')}", ""]
    return title, "\n".join(lines) + "\n"


def add_follow_up(meeting, user, what, who="", due=None):
    assignee = assignee_named(meeting, who)
    item = FollowUp(meeting=meeting, what=what, who=who or "", due=due, created_by_id=user.id,
                    assignee_id=assignee.id if assignee is not None else None)
    db.session.add(item)
    db.session.flush()
    if assignee is not None:
        _notice("follow_up_assigned", [assignee], item, user, title=what, excerpt=meeting.title,
                url=url_for("meetings.show", meeting_id=meeting.id) + "#follow-up")
    activity.record("followup", item, "created", user)
    return item


def toggle_follow_up(item):
    item.done_at = None if item.done_at else utcnow()
    if item.assignee is not None:
        attention.changed([item.assignee], remove=[f"follow_up-{item.id}"] if item.done_at else [])
    if item.done_at:
        activity.record("followup", item, "done")


def open_follow_ups(community):
    return db.session.execute(
        sa.select(FollowUp).join(Meeting).where(Meeting.community_id == community.id, FollowUp.done_at.is_(None))
        .order_by(FollowUp.due.is_(None), FollowUp.due, FollowUp.id)
    ).scalars().all()


def mentioned_resources(meeting, user):
    """Resources named in the description or the agenda (#resource-12, or a link to /resources/12)
    that the user may read."""
    texts = [meeting.description] + [f"{i.title}\n{i.details}" for i in meeting.agenda_items]
    ids = []
    for text in texts:
        for number in kinds.references_in(text, "resource", url_path="/resources/"):
            if number not in ids:
                ids.append(number)
    found = [kinds.readable(user, "resource", number, meeting.community_id) for number in ids[:50]]
    return [resource for resource in found if resource is not None]


def linked_notes(meeting, user):
    """Notes attached to the meeting (its minutes) that the user may read, each with a title and url."""
    from ..notes import service as notes

    return [
        LinkedNote(note.id, note.title, url_for("notes.show", note_id=note.id))
        for note in notes.notes_attached("meeting", meeting.id, user)
    ]


@dataclass
class LinkedNote:
    id: int
    title: str
    url: str


# --- reminders ----------------------------------------------------------------------------


def queue_due_reminders(now=None):
    """Queue the reminder emails that are due, each (meeting, occurrence, person) once.

    A person is reminded ``reminder_hours`` before each occurrence (24 h unless they chose
    otherwise; 0 turns reminders off). Safe to run often and from several processes: the
    sent-marker's unique key decides who queues an email. Commits."""
    now = now or utcnow()
    queued = 0
    meetings = db.session.execute(
        sa.select(Meeting).where(Meeting.kind == "meeting", Meeting.cancelled_at.is_(None))
        .where(sa.or_(Meeting.rrule != "", sa.and_(Meeting.start > now, Meeting.start <= now + REMINDER_WINDOW)))
        .options(sa.orm.selectinload(Meeting.overrides), sa.orm.selectinload(Meeting.attendees))
    ).scalars().all()
    for meeting in meetings:
        for occurrence in recurrence.occurrences(meeting, now, now + REMINDER_WINDOW):
            if occurrence.start <= now:
                continue
            declined = {a.user_id for a in meeting.attendees if a.response == "notgoing"}
            for recipient in recipients(meeting):
                user = recipient.user
                if user is None or user.id in declined:
                    continue
                hours = user.reminder_hours if user.reminder_hours is not None else DEFAULT_REMINDER_HOURS
                if hours <= 0 or occurrence.start - timedelta(hours=hours) > now:
                    continue
                key = occurrence.recurrence_id or occurrence.start
                try:
                    with db.session.begin_nested():
                        db.session.add(ReminderSent(meeting_id=meeting.id, occurrence=key, user_id=user.id))
                except sa.exc.IntegrityError:
                    continue
                queue_email(
                    user.email, lambda: _l("Reminder: %(title)s", title=occurrence.title), "email/meetings/reminder.txt",
                    locale=user.locale, meeting=meeting, occurrence=occurrence,
                    when=format_moment(occurrence.start, user.timezone, user.locale),
                    link=page_url("meetings.show", meeting_id=meeting.id),
                )
                queued += 1
    db.session.commit()
    return queued


def queue_due_notices(now=None):
    """The reminders of the hub, each once: a poll's deadline near (``POLL_REMINDER_HOURS`` before,
    to those who have not answered), a follow-up due within a day (to its assignee). Commits."""
    from ..notifications.models import Notification

    now = now or utcnow()
    sent = 0

    def already(event, kind, object_id):
        return {row[0] for row in db.session.execute(
            sa.select(Notification.user_id).where(Notification.event == event, Notification.object_kind == kind, Notification.object_id == object_id)
        )}

    hours = current_app.config.get("POLL_REMINDER_HOURS", 24)
    if hours > 0:
        polls = db.session.execute(
            sa.select(Poll).where(Poll.status == "open", Poll.deadline > now, Poll.deadline <= now + timedelta(hours=hours))
        ).scalars().all()
        for poll in polls:
            done = already("poll_reminder", "poll", poll.id)
            people = [u for u in _waiting_for(poll) if u.id not in done]
            sent += len(_notice("poll_reminder", people, poll, None))
    today = now.date()
    items = db.session.execute(
        sa.select(FollowUp).where(FollowUp.assignee_id.is_not(None), FollowUp.done_at.is_(None), FollowUp.due.is_not(None),
                                  FollowUp.due <= today + timedelta(days=1))
    ).scalars().all()
    for item in items:
        if _due_notified(item) or not access.can(item.assignee, "meeting.read", item.meeting):
            continue
        sent += len(_notice("follow_up_due", [item.assignee], item, None, title=item.what, excerpt=item.meeting.title,
                            url=url_for("meetings.show", meeting_id=item.meeting_id) + f"#follow-up-{item.id}"))
    db.session.commit()
    return sent


def _due_notified(item):
    """Whether the assignee was already told this follow-up is due (its notice names it in its address)."""
    from ..notifications.models import Notification

    return db.session.execute(
        sa.select(Notification.id).where(
            Notification.event == "follow_up_due", Notification.user_id == item.assignee_id,
            Notification.url.like(f"%#follow-up-{item.id}"),
        ).limit(1)
    ).first() is not None


def run_notices(app):
    """The worker's periodic step for the reminders of the hub."""
    with app.test_request_context("/", base_url=app.config.get("BASE_URL") or None):
        return queue_due_notices()


def run_reminders(app):
    """The email worker's periodic step."""
    with app.test_request_context("/", base_url=app.config.get("BASE_URL") or None):
        return queue_due_reminders()


# --- search -------------------------------------------------------------------------------


def to_document(meeting):
    parts = [plain(meeting.description, community_id=meeting.community_id), meeting.location]
    parts += [f"{i.title}\n{i.details}" for i in meeting.agenda_items]
    return SearchDocument(
        kind="meeting", id=meeting.id, community_id=meeting.community_id, readers=[f"community:{meeting.community_id}"],
        title=meeting.title, body="\n\n".join(p for p in parts if p), url=url_for("meetings.show", meeting_id=meeting.id),
        language="fr", updated_at=meeting.updated_at,
    )


def load(ids):
    return db.session.execute(
        sa.select(Meeting).where(Meeting.id.in_(list(ids))).options(sa.orm.selectinload(Meeting.agenda_items))
    ).scalars().all()


def all_ids():
    return db.session.execute(sa.select(Meeting.id).order_by(Meeting.id)).scalars().all()


def get_community(community_id):
    return db.session.get(Community, community_id)
