"""The audit log: who did what sensitive thing (roles, removals, deletions, exports, admin actions).

A feature records an entry in the same transaction as the change (``audit.record(...)``), so an
action that rolls back leaves no entry and one that commits always has one. Entries are only ever
added: the ORM refuses to update or delete them, and no page or API offers to.
"""
import sqlalchemy as sa
from flask import has_request_context, request
from sqlalchemy.orm import Session

from .extensions import db
from .timeutil import UTCDateTime, utcnow


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"

    id = sa.Column(sa.Integer, primary_key=True)
    at = sa.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    # The actor's id is kept even when the account is later deleted (no foreign key): the log outlives it.
    actor_id = sa.Column(sa.Integer, index=True)
    actor_label = sa.Column(sa.String(300), nullable=False, default="")
    action = sa.Column(sa.String(60), nullable=False, index=True)
    target_type = sa.Column(sa.String(40), nullable=False, default="")
    target_id = sa.Column(sa.Integer)
    target_label = sa.Column(sa.String(300), nullable=False, default="")
    community_id = sa.Column(sa.Integer, index=True)
    ip = sa.Column(sa.String(45), nullable=False, default="")
    details = sa.Column(sa.JSON, nullable=False, default=dict)


class AuditLogIsAppendOnly(RuntimeError):
    pass


def record(action, actor=None, target=None, *, target_type=None, target_id=None, target_label=None, community=None, **details):
    """Add an entry for ``action`` (e.g. "membership.remove") to the current transaction.

    ``target`` is a model instance (its table name and id are kept) or None with ``target_type`` /
    ``target_id`` given; ``details`` are small JSON values (old and new role, a reason…)."""
    if target is not None:
        target_type = target_type or getattr(target, "__tablename__", type(target).__name__.lower())
        target_id = target_id if target_id is not None else getattr(target, "id", None)
        if target_label is None:
            target_label = _label(target)
    community_id = getattr(community, "id", community)
    entry = AuditEntry(
        at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_label=(f"{actor.display_name} <{actor.email}>" if actor is not None and getattr(actor, "email", None) else "")[:300],
        action=action[:60],
        target_type=(target_type or "")[:40],
        target_id=target_id,
        target_label=(target_label or "")[:300],
        community_id=community_id,
        ip=(request.remote_addr or "")[:45] if has_request_context() else "",
        details={key: value for key, value in details.items() if value is not None},
    )
    db.session.add(entry)
    return entry


def _label(target):
    for name in ("email", "slug", "title", "name", "display_name"):
        value = getattr(target, name, None)
        if isinstance(value, str) and value:
            return value
    return ""


@sa.event.listens_for(Session, "before_flush")
def _refuse_changes(session, flush_context, instances):
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditLogIsAppendOnly("audit entries are never changed or deleted")
