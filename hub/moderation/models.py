"""Flags: a person's report that a post, a resource, a note or a profile needs a facilitator's look."""
import sqlalchemy as sa

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow

REASONS = ("spam", "offensive", "personal", "off_topic", "other")


class Flag(db.Model):
    """One person's flag on one item (``kind`` + ``object_id``); open until the item is reviewed.

    A person flags an item once: flagging it again after a review reopens their own flag."""

    __tablename__ = "moderation_flags"
    __table_args__ = (
        sa.UniqueConstraint("kind", "object_id", "user_id", name="uq_moderation_flags_kind_object_user"),
        sa.Index("ix_moderation_flags_open", "resolved_at", "kind", "object_id"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    kind = sa.Column(sa.String(20), nullable=False)  # "post", "resource", "note", "profile"
    object_id = sa.Column(sa.Integer, nullable=False)
    # The item's community; None for a profile (the instance admins review those).
    community_id = sa.Column(sa.Integer, sa.ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    reason = sa.Column(sa.String(20), nullable=False)
    text = sa.Column(sa.String(1000), nullable=False, default="")
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    resolved_at = sa.Column(UTCDateTime)

    user = db.relationship("User")
