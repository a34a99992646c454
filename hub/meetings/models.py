"""Availability polls, meetings and events of the community calendar, agenda, follow-up, feeds."""
import hashlib
import hmac
import secrets
from datetime import timedelta

import sqlalchemy as sa

from ..accounts.models import hash_token
from ..extensions import db
from ..timeutil import UTCDateTime, utcnow

ANSWERS = ("yes", "ifneedbe", "no")
ATTENDANCE = ("going", "maybe", "notgoing")
KINDS = ("meeting", "event")
POLL_STATUSES = ("open", "finalized", "closed")


class Poll(db.Model):
    """A proposed meeting with candidate slots; each invitee answers per slot."""

    __tablename__ = "polls"

    id = sa.Column(sa.Integer, primary_key=True)
    community_id = sa.Column(sa.Integer, sa.ForeignKey("communities.id", ondelete="CASCADE"), nullable=False, index=True)
    organizer_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    title = sa.Column(sa.String(200), nullable=False)
    description = sa.Column(sa.Text, nullable=False, default="")
    duration_minutes = sa.Column(sa.Integer, nullable=False)
    timezone = sa.Column(sa.String(64), nullable=False)
    location = sa.Column(sa.String(300), nullable=False, default="")
    remote_url = sa.Column(sa.String(2000), nullable=False, default="")
    deadline = sa.Column(UTCDateTime)
    invite_all = sa.Column(sa.Boolean, nullable=False, default=True)
    status = sa.Column(sa.String(10), nullable=False, default="open")
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    closed_at = sa.Column(UTCDateTime)

    community = db.relationship("Community")
    organizer = db.relationship("User")
    slots = db.relationship("PollSlot", back_populates="poll", cascade="all, delete-orphan", order_by="PollSlot.start")
    invitees = db.relationship("PollInvitee", back_populates="poll", cascade="all, delete-orphan", order_by="PollInvitee.id")
    meeting = db.relationship("Meeting", back_populates="poll", uselist=False)

    @property
    def is_open(self):
        return self.status == "open" and (self.deadline is None or self.deadline > utcnow())


class PollSlot(db.Model):
    __tablename__ = "poll_slots"

    id = sa.Column(sa.Integer, primary_key=True)
    poll_id = sa.Column(sa.Integer, sa.ForeignKey("polls.id", ondelete="CASCADE"), nullable=False, index=True)
    start = sa.Column(UTCDateTime, nullable=False)
    end = sa.Column(UTCDateTime, nullable=False)

    poll = db.relationship("Poll", back_populates="slots")


class PollInvitee(db.Model):
    """Someone who may answer: a member (user_id) or a guest without an account (email and a personal link)."""

    __tablename__ = "poll_invitees"
    __table_args__ = (sa.UniqueConstraint("poll_id", "user_id", name="uq_poll_invitees_poll_user"),)

    id = sa.Column(sa.Integer, primary_key=True)
    poll_id = sa.Column(sa.Integer, sa.ForeignKey("polls.id", ondelete="CASCADE"), nullable=False, index=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    email = sa.Column(sa.String(254))
    name = sa.Column(sa.String(120), nullable=False, default="")
    locale = sa.Column(sa.String(10), nullable=False, default="fr_CA")
    token_hash = sa.Column(sa.String(64), unique=True)
    comment = sa.Column(sa.String(1000), nullable=False, default="")
    answered_at = sa.Column(UTCDateTime)
    revoked_at = sa.Column(UTCDateTime)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    poll = db.relationship("Poll", back_populates="invitees")
    user = db.relationship("User")
    answers = db.relationship("PollAnswer", back_populates="invitee", cascade="all, delete-orphan")

    @property
    def is_guest(self):
        return self.user_id is None

    @property
    def display_name(self):
        if self.user is not None:
            return self.user.display_name
        return self.name or self.email or ""

    @staticmethod
    def new_token():
        raw = secrets.token_urlsafe(32)
        return raw, hash_token(raw)

    @classmethod
    def by_token(cls, raw):
        if not isinstance(raw, str) or not raw or len(raw) > 200:
            return None
        return db.session.execute(sa.select(cls).where(cls.token_hash == hash_token(raw))).scalar_one_or_none()


class PollAnswer(db.Model):
    __tablename__ = "poll_answers"
    __table_args__ = (sa.UniqueConstraint("invitee_id", "slot_id", name="uq_poll_answers_invitee_slot"),)

    id = sa.Column(sa.Integer, primary_key=True)
    invitee_id = sa.Column(sa.Integer, sa.ForeignKey("poll_invitees.id", ondelete="CASCADE"), nullable=False, index=True)
    slot_id = sa.Column(sa.Integer, sa.ForeignKey("poll_slots.id", ondelete="CASCADE"), nullable=False, index=True)
    value = sa.Column(sa.String(10), nullable=False)

    invitee = db.relationship("PollInvitee", back_populates="answers")


class Meeting(db.Model):
    """A meeting of the community (kind 'meeting') or an event of interest posted to its calendar
    (kind 'event'). Its UID never changes; SEQUENCE grows with each change sent to invitees."""

    __tablename__ = "meetings"

    id = sa.Column(sa.Integer, primary_key=True)
    community_id = sa.Column(sa.Integer, sa.ForeignKey("communities.id", ondelete="CASCADE"), nullable=False, index=True)
    kind = sa.Column(sa.String(10), nullable=False, default="meeting")
    uid = sa.Column(sa.String(120), nullable=False, unique=True)
    sequence = sa.Column(sa.Integer, nullable=False, default=0)
    title = sa.Column(sa.String(200), nullable=False)
    description = sa.Column(sa.Text, nullable=False, default="")
    location = sa.Column(sa.String(300), nullable=False, default="")
    remote_url = sa.Column(sa.String(2000), nullable=False, default="")
    start = sa.Column(UTCDateTime, nullable=False, index=True)
    end = sa.Column(UTCDateTime, nullable=False)
    timezone = sa.Column(sa.String(64), nullable=False)
    rrule = sa.Column(sa.String(300), nullable=False, default="")
    invite_all = sa.Column(sa.Boolean, nullable=False, default=True)
    cancelled_at = sa.Column(UTCDateTime)
    organizer_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    poll_id = sa.Column(sa.Integer, sa.ForeignKey("polls.id", ondelete="SET NULL"), unique=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    community = db.relationship("Community")
    organizer = db.relationship("User")
    poll = db.relationship("Poll", back_populates="meeting")
    attendees = db.relationship("MeetingAttendee", back_populates="meeting", cascade="all, delete-orphan", order_by="MeetingAttendee.id")
    overrides = db.relationship("MeetingOverride", back_populates="meeting", cascade="all, delete-orphan", order_by="MeetingOverride.recurrence_id")
    agenda_items = db.relationship("AgendaItem", back_populates="meeting", cascade="all, delete-orphan")
    follow_ups = db.relationship("FollowUp", back_populates="meeting", cascade="all, delete-orphan", order_by="FollowUp.id")

    @property
    def is_cancelled(self):
        return self.cancelled_at is not None

    @property
    def duration(self):
        return self.end - self.start

    @property
    def is_event(self):
        return self.kind == "event"


class MeetingOverride(db.Model):
    """One occurrence of a recurring meeting, moved or changed (RECURRENCE-ID) or cancelled (EXDATE)."""

    __tablename__ = "meeting_overrides"
    __table_args__ = (sa.UniqueConstraint("meeting_id", "recurrence_id", name="uq_meeting_overrides_meeting_recurrence"),)

    id = sa.Column(sa.Integer, primary_key=True)
    meeting_id = sa.Column(sa.Integer, sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False, index=True)
    recurrence_id = sa.Column(UTCDateTime, nullable=False)
    cancelled = sa.Column(sa.Boolean, nullable=False, default=False)
    start = sa.Column(UTCDateTime)
    end = sa.Column(UTCDateTime)
    title = sa.Column(sa.String(200))
    location = sa.Column(sa.String(300))

    meeting = db.relationship("Meeting", back_populates="overrides")


class MeetingAttendee(db.Model):
    """Someone invited to a meeting by name (a member or a guest by email), or who answered its attendance."""

    __tablename__ = "meeting_attendees"
    __table_args__ = (sa.UniqueConstraint("meeting_id", "user_id", name="uq_meeting_attendees_meeting_user"),)

    id = sa.Column(sa.Integer, primary_key=True)
    meeting_id = sa.Column(sa.Integer, sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False, index=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    email = sa.Column(sa.String(254))
    name = sa.Column(sa.String(120), nullable=False, default="")
    locale = sa.Column(sa.String(10), nullable=False, default="fr_CA")
    invited = sa.Column(sa.Boolean, nullable=False, default=True)
    response = sa.Column(sa.String(10))
    responded_at = sa.Column(UTCDateTime)

    meeting = db.relationship("Meeting", back_populates="attendees")
    user = db.relationship("User")

    @property
    def display_name(self):
        return self.user.display_name if self.user is not None else (self.name or self.email or "")


class AgendaItem(db.Model):
    __tablename__ = "agenda_items"

    id = sa.Column(sa.Integer, primary_key=True)
    meeting_id = sa.Column(sa.Integer, sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False, index=True)
    author_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    title = sa.Column(sa.String(200), nullable=False)
    details = sa.Column(sa.Text, nullable=False, default="")
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    meeting = db.relationship("Meeting", back_populates="agenda_items")
    author = db.relationship("User")
    supports = db.relationship("AgendaSupport", cascade="all, delete-orphan")


class AgendaSupport(db.Model):
    __tablename__ = "agenda_supports"
    __table_args__ = (sa.UniqueConstraint("item_id", "user_id", name="uq_agenda_supports_item_user"),)

    id = sa.Column(sa.Integer, primary_key=True)
    item_id = sa.Column(sa.Integer, sa.ForeignKey("agenda_items.id", ondelete="CASCADE"), nullable=False, index=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)


class FollowUp(db.Model):
    """After a meeting: what is to be done, by whom, by when."""

    __tablename__ = "follow_ups"

    id = sa.Column(sa.Integer, primary_key=True)
    meeting_id = sa.Column(sa.Integer, sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False, index=True)
    what = sa.Column(sa.String(500), nullable=False)
    who = sa.Column(sa.String(200), nullable=False, default="")
    # The member "who" names, when it names exactly one (their "what needs me" and notices).
    assignee_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    due = sa.Column(sa.Date)
    done_at = sa.Column(UTCDateTime)
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    meeting = db.relationship("Meeting", back_populates="follow_ups")
    assignee = db.relationship("User", foreign_keys=[assignee_id])


class ReminderSent(db.Model):
    """Marks a reminder as queued, so each (meeting, occurrence, person) gets one at most."""

    __tablename__ = "meeting_reminders_sent"
    __table_args__ = (sa.UniqueConstraint("meeting_id", "occurrence", "user_id", name="uq_meeting_reminders_sent_key"),)

    id = sa.Column(sa.Integer, primary_key=True)
    meeting_id = sa.Column(sa.Integer, sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False, index=True)
    occurrence = sa.Column(UTCDateTime, nullable=False)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    sent_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)


class CalendarFeed(db.Model):
    """A user's private calendar feed. The URL's token is the stored key and its HMAC with the
    secret key: the database alone does not give the URL, and the URL alone grants the feed."""

    __tablename__ = "calendar_feeds"

    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, unique=True)
    key = sa.Column(sa.String(64), nullable=False, unique=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    last_used_at = sa.Column(UTCDateTime)

    user = db.relationship("User")

    @staticmethod
    def signature(secret, key):
        return hmac.new(str(secret).encode(), key.encode(), hashlib.sha256).hexdigest()[:32]

    def token(self, secret):
        return f"{self.key}.{self.signature(secret, self.key)}"

    @classmethod
    def by_token(cls, secret, raw):
        if not isinstance(raw, str) or len(raw) > 200 or raw.count(".") != 1:
            return None
        key, signature = raw.split(".")
        if not key or not hmac.compare_digest(signature, cls.signature(secret, key)):
            return None
        return db.session.execute(sa.select(cls).where(cls.key == key)).scalar_one_or_none()

    @staticmethod
    def new_key():
        return secrets.token_urlsafe(24)


REMINDER_CHOICES = (0, 1, 2, 24, 48)
DEFAULT_REMINDER_HOURS = 24
REMINDER_WINDOW = timedelta(hours=max(REMINDER_CHOICES))
