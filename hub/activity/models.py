"""What happened in a community, one row per action (replies grouped per thread): the activity feed."""
import sqlalchemy as sa

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow


class ActivityItem(db.Model):
    """An action on an object of a registered kind (hub/kinds.py), written in the same transaction as
    the action. ``kind`` and ``object_id`` name the object, ``page_id`` the page that shows it (the
    meeting of an agenda topic); ``title`` is its title when the action happened. Replies to a thread
    are one item counting them (``count``), moved to the latest (``at``) while the group is open."""

    __tablename__ = "activity_items"
    __table_args__ = (
        sa.Index("ix_activity_items_community_at", "community_id", "at", "id"),
        sa.Index("ix_activity_items_at", "at", "id"),
        sa.Index("ix_activity_items_object", "kind", "object_id"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    community_id = sa.Column(sa.Integer, sa.ForeignKey("communities.id", ondelete="CASCADE"), nullable=False)
    kind = sa.Column(sa.String(30), nullable=False)
    action = sa.Column(sa.String(30), nullable=False)
    object_id = sa.Column(sa.Integer, nullable=False)
    page_id = sa.Column(sa.Integer, nullable=False)
    actor_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    title = sa.Column(sa.String(300), nullable=False, default="")
    count = sa.Column(sa.Integer, nullable=False, default=1)
    first_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
