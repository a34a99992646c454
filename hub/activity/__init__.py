"""The activity feed: what happened in each community, for those who may read it.

Features record what they do through one seam, in the same transaction as the change:
``activity.record(kind, object, action, actor)``. The feed reads the registry of content kinds
(hub/kinds.py) for what each kind's items say, where they lead and who may read them (an SQL
condition per kind), so a new kind of content appears in the feed by registering itself, without
the feed importing any feature's models.
"""
from datetime import timedelta

GROUP_HOURS = 24  # replies to a thread within this time of the first one are one item
SWEEP_SECONDS = 60 * 60


def record(kind, obj, action, actor=None, community=None, title=None, group=False):
    """Add an item to the current transaction: ``actor`` (by default the person of the request) did
    ``action`` to ``obj`` of the registered ``kind``. With ``group``, the same action on the same object
    within GROUP_HOURS counts in the open item instead of adding one ("3 new messages in …")."""
    import sqlalchemy as sa

    from .. import kinds
    from ..extensions import db
    from ..timeutil import utcnow
    from .models import ActivityItem

    registered = kinds.get(kind)
    if registered is None or action not in registered.actions:
        raise ValueError(f"no activity {action!r} for the kind {kind!r}")
    if obj.id is None:
        db.session.flush()
    actor_id = getattr(actor if actor is not None else _current_actor(), "id", None)
    community_id = getattr(community, "id", community) if community is not None else registered.community_of(obj)
    title = (title if title is not None else registered.label(obj) or "")[:300]
    now = utcnow()
    if group:
        item = db.session.execute(
            sa.select(ActivityItem).where(
                ActivityItem.kind == kind, ActivityItem.object_id == obj.id, ActivityItem.action == action,
                ActivityItem.first_at > now - timedelta(hours=GROUP_HOURS),
            ).order_by(ActivityItem.id.desc()).limit(1)
        ).scalar_one_or_none()
        if item is not None:
            item.count += 1
            item.at, item.actor_id, item.title = now, actor_id, title
            return item
    item = ActivityItem(
        community_id=community_id, kind=kind, action=action, object_id=obj.id, page_id=registered.page_id(obj),
        actor_id=actor_id, title=title, count=1, first_at=now, at=now,
    )
    db.session.add(item)
    return item


def _current_actor():
    from flask import has_request_context
    from flask_login import current_user

    if has_request_context() and getattr(current_user, "is_authenticated", False):
        return current_user
    return None


def sweep(_app=None):
    """Remove the items whose object was deleted (the feed already leaves them out): what they kept of
    it (its title) goes too. The worker runs it every SWEEP_SECONDS; returns how many went."""
    import sqlalchemy as sa

    from .. import kinds
    from ..extensions import db
    from .models import ActivityItem

    removed = 0
    for name, kind in kinds.in_feed().items():
        gone = ~sa.exists().where(kind.model.id == ActivityItem.object_id)
        removed += db.session.execute(sa.delete(ActivityItem).where(ActivityItem.kind == name, gone)).rowcount or 0
    db.session.commit()
    return removed


def init_app(app):
    from .. import worker
    from . import service

    app.jinja_env.globals["activity_feed"] = service.feed_for_page
    app.jinja_env.globals["activity_kinds"] = service.filters
    worker.register("activity-sweep", sweep, SWEEP_SECONDS)
