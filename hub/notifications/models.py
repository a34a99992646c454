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
