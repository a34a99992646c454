import sqlalchemy as sa

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow


class OutgoingEmail(db.Model):
    """One email to send, written in the same transaction as the event that causes it."""

    __tablename__ = "outgoing_emails"

    id = sa.Column(sa.Integer, primary_key=True)
    recipient = sa.Column(sa.String(254), nullable=False)
    subject = sa.Column(sa.String(300), nullable=False)
    body_text = sa.Column(sa.Text, nullable=False)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    next_attempt_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    attempts = sa.Column(sa.Integer, nullable=False, default=0)
    last_error = sa.Column(sa.Text)
    sent_at = sa.Column(UTCDateTime, index=True)
    # One optional attachment, e.g. an iCalendar invitation.
    attachment_name = sa.Column(sa.String(200))
    attachment_type = sa.Column(sa.String(200))
    attachment_content = sa.Column(sa.Text)
    # Extra headers, {name: value}: e.g. List-Id and List-Unsubscribe of notification emails.
    headers = sa.Column(sa.JSON)


EMAIL_CHOICES = ("immediate", "daily", "weekly", "never")
LEVEL_CHOICES = ("watching", "normal", "muted")


class Notification(db.Model):
    """Something a person should know about, shown in their notification centre and, depending on
    their preferences, emailed at once or in a digest."""

    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_user_id_read_at", "user_id", "read_at"),)

    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    community_id = sa.Column(sa.Integer, sa.ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    actor_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    event = sa.Column(sa.String(40), nullable=False)  # "mention", "reply", "new_post", "new_thread", "thread_invitation"
    object_kind = sa.Column(sa.String(20), nullable=False)
    object_id = sa.Column(sa.Integer, nullable=False)
    title = sa.Column(sa.String(300), nullable=False)
    excerpt = sa.Column(sa.String(500), nullable=False, default="")
    url = sa.Column(sa.String(500), nullable=False)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    read_at = sa.Column(UTCDateTime)
    emailed_at = sa.Column(UTCDateTime)  # sent at once or in a digest (or skipped: "never")

    actor = db.relationship("User", foreign_keys=[actor_id])
    community = db.relationship("Community")


class NotificationPreference(db.Model):
    """Per person and community: what to be told about, and how often by email."""

    __tablename__ = "notification_preferences"
    __table_args__ = (sa.UniqueConstraint("user_id", "community_id", name="uq_notification_preferences_user_community"),)

    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    community_id = sa.Column(sa.Integer, sa.ForeignKey("communities.id", ondelete="CASCADE"), nullable=False, index=True)
    level = sa.Column(sa.String(10), nullable=False, default="normal")
    email = sa.Column(sa.String(10), nullable=False, default="immediate")
    last_digest_at = sa.Column(UTCDateTime)


class WeeklySummary(db.Model):
    """Per person: when their weekly email ("This week in your communities") was last sent, and
    whether they stopped it (its one-click unsubscribe link)."""

    __tablename__ = "weekly_summaries"

    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, unique=True)
    last_sent_at = sa.Column(UTCDateTime)
    unsubscribed_at = sa.Column(UTCDateTime)
