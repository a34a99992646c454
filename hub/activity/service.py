"""Reading the activity feed: one query for the reader's communities and roles, one for a page of
items, whatever the page's length; what each item may show is decided inside the query, by each
kind's condition in the registry (hub/kinds.py)."""
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from markupsafe import Markup, escape

from .. import kinds
from ..access import DIRECTORY_ROLES, READING_ROLES
from ..extensions import db
from ..timeutil import utcnow
from .models import ActivityItem

PER_PAGE = 20
PREVIEW = 8  # items on a community's home and the personal home
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_CURSOR = re.compile(r"^(\d{1,17})-(\d{1,10})$")


class BadCursor(ValueError):
    pass


@dataclass
class Viewer:
    """Who reads the feed: their current roles by community (expired guests have none)."""

    user_id: int
    admin: bool = False
    roles: dict = field(default_factory=dict)

    def _communities(self, column, roles):
        if self.admin:
            return sa.true()
        return column.in_(sorted(c for c, role in self.roles.items() if role in roles))

    def moderates(self, community_column):
        """SQL: the viewer facilitates the item's community (sees what is hidden, every poll)."""
        return self._communities(community_column, {"facilitator"})

    def in_directory(self, community_column):
        """SQL: the viewer may read the member directory of the item's community."""
        return self._communities(community_column, DIRECTORY_ROLES)

    @property
    def communities(self):
        return sorted(c for c, role in self.roles.items() if role in READING_ROLES)


def viewer_for(user):
    """The viewer with their current roles, in one query."""
    from ..communities.models import Membership

    rows = db.session.execute(
        sa.select(Membership.community_id, Membership.role, Membership.expires_at).where(Membership.user_id == user.id)
    ).all()
    now = utcnow()
    roles = {row.community_id: row.role for row in rows if row.expires_at is None or row.expires_at > now}
    return Viewer(user.id, bool(getattr(user, "is_admin", False)), roles)


def encode_cursor(at, item_id):
    delta = at - _EPOCH
    return f"{(delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds}-{item_id}"


def decode_cursor(value):
    """``(at, id)`` of a ``before`` cursor; BadCursor when it is not one this feed gave."""
    found = _CURSOR.match(value or "")
    if found is None:
        raise BadCursor(value)
    return _EPOCH + timedelta(microseconds=int(found.group(1))), int(found.group(2))


def parse_kinds(values):
    """The kind names asked for (repeated or comma-separated); unknown names in a second list."""
    names, unknown = [], []
    shown = kinds.in_feed()
    for value in values:
        for name in (value or "").split(","):
            name = name.strip().lower()
            if not name:
                continue
            (names if name in shown else unknown).append(name)
    return sorted(set(names)), sorted(set(unknown))


@dataclass
class Item:
    kind: str
    action: str
    object_id: int
    title: str
    url: str
    community_slug: str
    community_name: str
    actor_id: int
    actor_name: str
    at: datetime
    count: int
    noun: object
    icon: str
    text: object  # the lazy sentence

    def sentence(self, former_member):
        """The sentence as HTML: the actor's name and the object's title (a link) escaped."""
        actor = self.actor_name or former_member
        title = Markup('<a href="%s" data-testid="activity-link">%s</a>') % (self.url, self.title)
        return Markup(escape(str(self.text))) % {"actor": Markup('<strong>%s</strong>') % actor, "title": title, "num": self.count}

    def plain(self, former_member):
        return str(self.text) % {"actor": self.actor_name or former_member, "title": self.title, "num": self.count}


@dataclass
class Page:
    items: list
    next: str = None
    kinds: list = field(default_factory=list)  # the kinds asked for (none: all)


def feed(viewer, community_ids, wanted=(), before=None, limit=PER_PAGE):
    """A page of the items of these communities the viewer may read, newest first: ``wanted`` kind
    names (all when empty), older than the ``before`` cursor ``(at, id)``. One query."""
    from ..accounts.models import User
    from ..communities.models import Community

    shown = kinds.in_feed()
    chosen = [shown[name] for name in (wanted or sorted(shown)) if name in shown]
    if not community_ids or not chosen:
        return Page([], None, list(wanted))
    readable = sa.or_(*[sa.and_(ActivityItem.kind == kind.name, kind.visible(viewer, ActivityItem)) for kind in chosen])
    if before is not None:
        at, item_id = before
        readable = sa.and_(readable, sa.or_(ActivityItem.at < at, sa.and_(ActivityItem.at == at, ActivityItem.id < item_id)))
    # The newest items of each community, each walking its community's index from the newest and
    # stopping at the page's length, then merged: never a sort of everything the communities hold.
    newest = [
        sa.select(ActivityItem.id).where(ActivityItem.community_id == community_id, readable)
        .order_by(ActivityItem.at.desc(), ActivityItem.id.desc()).limit(limit + 1).subquery()
        for community_id in sorted(community_ids)
    ]
    merged = sa.union_all(*[sa.select(part.c.id) for part in newest]) if len(newest) > 1 else sa.select(newest[0].c.id)
    chosen_ids = merged.subquery()
    query = (
        sa.select(
            ActivityItem.id, ActivityItem.kind, ActivityItem.action, ActivityItem.object_id, ActivityItem.page_id,
            ActivityItem.title, ActivityItem.count, ActivityItem.at, ActivityItem.actor_id,
            User.display_name, Community.slug, Community.name,
        )
        .join(chosen_ids, chosen_ids.c.id == ActivityItem.id)
        .join(Community, Community.id == ActivityItem.community_id)
        .outerjoin(User, User.id == ActivityItem.actor_id)
        .order_by(ActivityItem.at.desc(), ActivityItem.id.desc())
        .limit(limit + 1)
    )
    rows = db.session.execute(query).all()
    items = [_item(row, shown[row.kind]) for row in rows[:limit]]
    following = encode_cursor(rows[limit - 1].at, rows[limit - 1].id) if len(rows) > limit else None
    return Page(items, following, list(wanted))


def _item(row, kind):
    return Item(
        kind=row.kind, action=row.action, object_id=row.object_id, title=row.title or row.display_name or "", url=kind.object_url(row.page_id),
        community_slug=row.slug, community_name=row.name, actor_id=row.actor_id, actor_name=row.display_name or "",
        at=row.at, count=row.count, noun=kind.noun, icon=kind.icon, text=kind.sentence(row.action, row.count) or row.action,
    )


def personal(user, wanted=(), before=None, limit=PER_PAGE):
    """The feed across every community the person reads."""
    viewer = viewer_for(user)
    return feed(viewer, viewer.communities, wanted, before, limit)


def of_community(user, community, wanted=(), before=None, limit=PER_PAGE):
    """The feed of one community (the caller checked that the person reads it)."""
    viewer = viewer_for(user)
    if community.id not in viewer.communities and not viewer.admin:
        return Page([], None, list(wanted))
    return feed(viewer, [community.id], wanted, before, limit)


def filters():
    """(name, plural label) of every kind the feed shows, for the filter."""
    return [(name, kind.noun) for name, kind in sorted(kinds.in_feed().items())]


def feed_for_page(community=None):
    """The first items for the personal home (no community) or a community's home."""
    from flask_login import current_user

    if not getattr(current_user, "is_authenticated", False):
        return Page([])
    if community is None:
        return personal(current_user, limit=PREVIEW)
    return of_community(current_user, community, limit=PREVIEW)
