"""Flags, hiding pending review, and the moderation queue.

Members flag a post, a resource, a note or a profile; content flagged by
``MODERATION_HIDE_THRESHOLD`` different people is hidden until reviewed. A community's
facilitators review the flags of its content; the instance admins those of profiles. Reviewing
hides, restores (the flags are dismissed) or deletes the item through its feature's own delete
service; the author is told in the hub and by email, in their language, and the audit log keeps
every decision.

Each kind is declared once by an adapter (``register``): how to find the object, its community,
author, title and address, which search kind it has, and how it is deleted. Nothing here touches
``request``.
"""
from collections import Counter
from dataclasses import dataclass
from typing import Callable

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from .. import audit, search
from ..exceptions import ServiceError
from ..extensions import db
from ..timeutil import utcnow
from .models import REASONS, Flag

MAX_TEXT = 1000

REASON_LABELS = {
    "spam": _l("Spam or advertising"),
    "offensive": _l("Offensive or abusive"),
    "personal": _l("Personal information"),
    "off_topic": _l("Off topic"),
    "other": _l("Other"),
}
assert set(REASON_LABELS) == set(REASONS)


@dataclass
class Kind:
    """How moderation handles one kind of content."""

    name: str
    label: object  # lazy string: "message", "resource"…
    load: Callable  # (object_id) -> object or None
    community: Callable  # (obj) -> Community or None
    author: Callable  # (obj) -> User or None
    title: Callable  # (obj) -> str
    url: Callable  # (obj) -> str (the object's page, relative)
    hidden_ids: Callable  # (community_id or None) -> ids of the hidden objects
    read_action: str  # the access rule that lets a person read it
    read_target: Callable  # (obj) -> what that rule is asked about
    search: Callable | None = None  # (obj) -> [(search kind, id)] whose documents show it
    delete: Callable | None = None  # (obj, actor) -> callable to run after commit, or None


KINDS: dict[str, Kind] = {}


def register(kind):
    KINDS[kind.name] = kind


def kind_of(name):
    return KINDS.get(name) if isinstance(name, str) else None


def find(kind_name, object_id):
    """(kind, object) for a kind name and an id, or (None, None) when either does not exist."""
    kind = kind_of(kind_name)
    if kind is None or not isinstance(object_id, int) or isinstance(object_id, bool) or not 0 < object_id < 2**31:
        return None, None
    obj = kind.load(object_id)
    return (kind, obj) if obj is not None else (None, None)


def readable(user, kind, obj):
    """Whether the person may read the item at all (those who may not are told it does not exist)."""
    from .. import access

    return access.can(user, kind.read_action, kind.read_target(obj))


def may_moderate(user, kind, obj):
    """The community's facilitators for its content; the instance admins for profiles."""
    from .. import access

    community = kind.community(obj)
    return access.can(user, "community.moderate", community) if community is not None else access.can(user, "moderation.profiles")


def threshold():
    return current_app.config.get("MODERATION_HIDE_THRESHOLD", 3)


# --- flagging ---------------------------------------------------------------------------------


def _open_flags(kind_name, object_id):
    return sa.select(Flag).where(Flag.kind == kind_name, Flag.object_id == object_id, Flag.resolved_at.is_(None))


def my_flag(kind_name, object_id, user):
    """The person's open flag on the item, or None."""
    return db.session.execute(_open_flags(kind_name, object_id).where(Flag.user_id == user.id)).scalar_one_or_none()


def _already_flagged():
    return ServiceError(_l("You have already flagged this; the moderators will look at it."), status=409, code="already_flagged")


def flag(kind, obj, user, reason, text=""):
    """``user`` flags ``obj``: returns the flag. Once per person: a second flag while the first is
    open is refused (409); after a review, flagging again reopens the person's flag. Hides the item
    when enough different people flagged it. Nothing is committed."""
    if reason not in REASONS:
        raise ServiceError(_l("Choose a reason from the list."), field="reason")
    text = (text or "").strip()
    if len(text) > MAX_TEXT:
        raise ServiceError(_l("At most %(max)d characters.", max=MAX_TEXT), field="text")
    existing = db.session.execute(
        sa.select(Flag).where(Flag.kind == kind.name, Flag.object_id == obj.id, Flag.user_id == user.id)
    ).scalar_one_or_none()
    if existing is not None and existing.resolved_at is None:
        raise _already_flagged()
    community = kind.community(obj)
    if existing is None:
        existing = Flag(kind=kind.name, object_id=obj.id, user_id=user.id)
    existing.community_id = community.id if community is not None else None
    existing.reason, existing.text, existing.created_at, existing.resolved_at = reason, text, utcnow(), None
    try:
        with db.session.begin_nested():  # the same person flagging twice at once: one flag, the other told
            db.session.add(existing)
            db.session.flush()
    except sa.exc.IntegrityError:
        raise _already_flagged() from None
    limit = threshold()
    if obj.hidden_at is None and limit > 0:
        flaggers = db.session.execute(
            sa.select(sa.func.count(sa.distinct(Flag.user_id))).where(
                Flag.kind == kind.name, Flag.object_id == obj.id, Flag.resolved_at.is_(None)
            )
        ).scalar_one()
        if flaggers >= limit:
            _hide(kind, obj, None, automatic=True, flags=flaggers)
    return existing


# --- decisions --------------------------------------------------------------------------------


def _record(action, kind, obj, actor, **details):
    community = kind.community(obj)
    author = kind.author(obj)
    audit.record(
        f"moderation.{action}", actor, target_type=kind.name, target_id=obj.id, target_label=kind.title(obj)[:300],
        community=community, author_id=author.id if author is not None else None, **details,
    )


def _tell_author(event, kind, obj, actor, url=None):
    from ..notifications.service import notify

    author = kind.author(obj)
    if author is None:
        return
    notify(
        event, [author], community=kind.community(obj), actor=actor, object_kind=kind.name, object_id=obj.id,
        title=kind.title(obj), excerpt="", url=url or kind.url(obj),
    )


def _reindex(kind, obj):
    for search_kind, object_id in kind.search(obj) if kind.search else ():
        search.enqueue(search_kind, object_id)


def _resolve_flags(kind, obj):
    now = utcnow()
    flags = db.session.execute(_open_flags(kind.name, obj.id)).scalars().all()
    for found in flags:
        found.resolved_at = now
    return len(flags)


def _hide(kind, obj, actor, automatic=False, **details):
    obj.hidden_at = utcnow()
    _record("hide", kind, obj, actor, automatic=automatic or None, **details)
    _reindex(kind, obj)
    _tell_author("moderation_hidden", kind, obj, actor)


def hide(kind, obj, actor):
    """Hide the item pending review (its open flags stay until it is restored or deleted)."""
    if obj.hidden_at is not None:
        return obj
    _hide(kind, obj, actor)
    return obj


def restore(kind, obj, actor):
    """Show the item again and dismiss its open flags."""
    dismissed = _resolve_flags(kind, obj)
    was_hidden = obj.hidden_at is not None
    obj.hidden_at = None
    _record("restore", kind, obj, actor, dismissed_flags=dismissed)
    if was_hidden:
        _reindex(kind, obj)
        _tell_author("moderation_restored", kind, obj, actor)
    return obj


def delete(kind, obj, actor):
    """Delete the item through its feature's own deletion; returns what to run after the commit."""
    if kind.delete is None:
        raise ServiceError(_l("This cannot be deleted here."), status=409, code="not_deletable")
    community = kind.community(obj)
    dismissed = _resolve_flags(kind, obj)
    _record("delete", kind, obj, actor, dismissed_flags=dismissed)
    # Told before the object goes; the link leads to its community (or the thread, for a message).
    _tell_author("moderation_deleted", kind, obj, actor, url=_after_delete_url(kind, obj, community))
    obj.hidden_at = None
    return kind.delete(obj, actor)


def _after_delete_url(kind, obj, community):
    from flask import url_for

    if kind.name == "post":
        return kind.url(obj)
    return url_for("communities.show", slug=community.slug) if community is not None else url_for("core.index")


# --- the queue --------------------------------------------------------------------------------


@dataclass
class QueueItem:
    kind: Kind
    obj: object
    count: int
    reasons: list  # [(reason, count)], most frequent first
    texts: list  # [str] of the flags that said more
    hidden: bool
    first_at: object

    @property
    def title(self):
        return self.kind.title(self.obj)

    @property
    def url(self):
        return self.kind.url(self.obj)

    @property
    def author(self):
        return self.kind.author(self.obj)


def queue(community=None, kinds=None):
    """Items with open flags or hidden, of ``community`` (or, with None, of no community: profiles),
    most flagged first."""
    community_id = community.id if community is not None else None
    wanted = [k for k in KINDS.values() if (kinds is None or k.name in kinds)]
    if community is None:
        wanted = [k for k in wanted if k.name == "profile"]
    else:
        wanted = [k for k in wanted if k.name != "profile"]
    names = [k.name for k in wanted]
    query = sa.select(Flag).where(Flag.resolved_at.is_(None), Flag.kind.in_(names)).order_by(Flag.id)
    query = query.where(Flag.community_id == community_id) if community_id is not None else query.where(Flag.community_id.is_(None))
    flags = db.session.execute(query).scalars().all()
    grouped = {}
    for found in flags:
        grouped.setdefault((found.kind, found.object_id), []).append(found)
    for kind in wanted:
        for object_id in kind.hidden_ids(community_id):
            grouped.setdefault((kind.name, object_id), [])
    items = []
    for (kind_name, object_id), group in grouped.items():
        kind = KINDS[kind_name]
        obj = kind.load(object_id)
        if obj is None:
            continue
        reasons = Counter(f.reason for f in group)
        items.append(QueueItem(
            kind=kind, obj=obj, count=len(group), reasons=reasons.most_common(), texts=[f.text for f in group if f.text],
            hidden=obj.hidden_at is not None, first_at=min((f.created_at for f in group), default=obj.hidden_at),
        ))
    items.sort(key=lambda i: (-i.count, i.first_at or utcnow()))
    return items
