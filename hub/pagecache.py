"""Rendered pages kept for the reader who asked, until anything in their community changes.

The busiest pages (a thread, a community's home) are rendered once per reader and served again from
memory while nothing they show has changed. What "changed" means is decided in one place: every
flush that adds, changes or deletes a row belonging to a community (a post, a reaction, a
membership, a meeting, a note…) raises that community's ``generation`` in the same transaction, and
a profile change raises it in each community of that person (the raise itself is written just
before the commit, so the community's row is locked for the commit only). A page's key holds that generation, so
a page is never served after its content changed, whichever process made the change (the
generation is read from the database with the community). The key also holds the reader (id,
session, what they are shown of themselves, what chooses their language and zone, current role), the address, the unread-notifications count and what else the
page shows of the reader (the last post read), all read in one query before anything else; pages with a flashed message are never kept. Entries also expire after
``PAGE_CACHE_SECONDS`` (upcoming meetings move with the clock); 0 turns the cache off.

Writes that bypass the ORM (``UPDATE … WHERE …`` statements) call :func:`touch` themselves.
"""
import hashlib
import threading
import time
from collections import OrderedDict

import sqlalchemy as sa
from flask import current_app, request, session

from .extensions import db
from .security import session_identity
from .timeutil import utcnow

# Rows that change when someone merely reads or is notified: they never make a page stale.
QUIET_TABLES = {
    "thread_reads", "notifications", "notification_preferences", "outgoing_emails", "search_outbox",
    "search_documents", "search_terms", "meeting_reminders_sent", "api_tokens", "calendar_feeds",
}
# Profile fields other people's pages show (author names and pictures).
PROFILE_FIELDS = ("display_name", "avatar_file", "avatar_type", "organization", "is_active_account", "hidden_at")
# Parent rows that carry a community, by the foreign-key column pointing at them.
_PARENTS = {
    "thread_id": "threads", "post_id": "posts", "poll_id": "polls", "meeting_id": "meetings",
    "note_id": "notes", "resource_id": "resources", "category_id": "discussion_categories",
}


_BUMP = sa.text("UPDATE communities SET generation = generation + 1 WHERE id IN :ids").bindparams(sa.bindparam("ids", expanding=True))


class PageCache:
    """A bounded, thread-safe, least-recently-used store of rendered pages with an age limit."""

    def __init__(self, entries, seconds):
        self.entries = entries
        self.seconds = seconds
        self._items = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            stored_at, value = found
            if time.monotonic() - stored_at > self.seconds:
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return value

    def put(self, key, value):
        with self._lock:
            self._items[key] = (time.monotonic(), value)
            self._items.move_to_end(key)
            while len(self._items) > self.entries:
                self._items.popitem(last=False)


def _store():
    return current_app.extensions.get("hub_page_cache")


def _reader_key(identity, state):
    """The key of the current page for the reader ``identity`` and ``state`` (what the page shows about
    the community and the reader, read in one query), or None when the page must not be kept."""
    if state is None or "_flashes" in session:
        return None
    token = session.get("csrf_token")  # the page carries a form token derived from it
    if not token:
        return None
    # What chooses the page's language and zone (hub/i18n.py), as they are, not as they resolve.
    reader = (identity, token, session.get("lang"), request.headers.get("Accept-Language"))
    return hashlib.sha256(repr((request.full_path, reader, tuple(state))).encode()).hexdigest()


# What a page's key needs, in one query each: the reader, checked as security.load_user does (the
# session's version, an active account) with what the page shows of them; the community's generation;
# the reader's role (with its end, for guests); unread notifications; the page's own part. Plain SQL,
# and no ORM load of the reader: a page served again runs this and the session, nothing else.
_READER = """
    SELECT u.display_name, u.avatar_file, u.is_admin, u.locale, u.timezone, c.id, c.generation, m.role, m.expires_at,
           (SELECT count(*) FROM notifications n WHERE n.user_id = :user AND n.read_at IS NULL) AS unread,
           {attention}{extra}
    FROM {source}
    JOIN users u ON u.id = :user AND u.session_version = :version AND u.is_active_account = :active
    LEFT JOIN memberships m ON m.community_id = c.id AND m.user_id = :user
    WHERE {where}
"""
_ROLE, _EXPIRES = 7, 8
# What the header's "To do" count and a home's "To do" list depend on besides unread notifications
# (hub/attention): how many, and which, of each kind of item are open. Counts and sums of ids over
# supersets of the items (the exact list also asks access rules): any change to the list changes them.
_ATTENTION = """
           (SELECT count(*) FROM polls p JOIN memberships pm ON pm.community_id = p.community_id AND pm.user_id = :user
             WHERE p.status = 'open' AND NOT EXISTS (SELECT 1 FROM poll_invitees pi WHERE pi.poll_id = p.id
             AND pi.user_id = :user AND pi.answered_at IS NOT NULL)) AS attention_polls,
           (SELECT coalesce(sum(p.id), 0) FROM polls p JOIN memberships pm ON pm.community_id = p.community_id AND pm.user_id = :user
             WHERE p.status = 'open' AND NOT EXISTS (SELECT 1 FROM poll_invitees pi WHERE pi.poll_id = p.id
             AND pi.user_id = :user AND pi.answered_at IS NOT NULL)) AS attention_poll_ids,
           (SELECT count(*) FROM follow_ups f WHERE f.assignee_id = :user AND f.done_at IS NULL) AS attention_follow_ups,
           (SELECT coalesce(sum(f.id), 0) FROM follow_ups f WHERE f.assignee_id = :user AND f.done_at IS NULL) AS attention_follow_up_ids,
           (SELECT count(*) FROM invitations i WHERE lower(i.email) = lower(u.email) AND i.accepted_at IS NULL
             AND i.revoked_at IS NULL) AS attention_invitations,
           (SELECT count(*) FROM join_requests j JOIN memberships jm ON jm.community_id = j.community_id AND jm.user_id = :user
             AND jm.role = 'facilitator' WHERE j.status = 'pending') AS attention_requests,
           (SELECT coalesce(sum(j.id), 0) FROM join_requests j JOIN memberships jm ON jm.community_id = j.community_id
             AND jm.user_id = :user AND jm.role = 'facilitator' WHERE j.status = 'pending') AS attention_request_ids"""
_THREAD_STATE = _READER.format(
    attention=_ATTENTION, extra=", r.last_read_post_id",
    source="threads t JOIN communities c ON c.id = t.community_id "
           "LEFT JOIN thread_reads r ON r.thread_id = t.id AND r.user_id = :user",
    where="t.id = :thread",
)
_COMMUNITY_STATE = _READER.format(attention=_ATTENTION, extra="", source="communities c", where="c.slug = :slug")
# The personal home shows every community of the reader (with their activity), the listed and public
# ones they could join, and their pending invitations: its key holds the generations of the first, the
# count and generations of the second, the count of the third, and which memberships have expired.
_HOME_STATE = """
    SELECT u.display_name, u.avatar_file, u.is_admin, u.locale, u.timezone, NULL, NULL, NULL, NULL AS expires_at,
           (SELECT count(*) FROM notifications n WHERE n.user_id = :user AND n.read_at IS NULL) AS unread,""" + _ATTENTION + """,
           (SELECT count(*) FROM memberships m WHERE m.user_id = :user) AS memberships,
           (SELECT sum(m.community_id) FROM memberships m WHERE m.user_id = :user) AS community_ids,
           (SELECT sum(c.generation) FROM memberships m JOIN communities c ON c.id = m.community_id WHERE m.user_id = :user) AS mine,
           (SELECT count(*) FROM memberships m WHERE m.user_id = :user AND m.expires_at IS NOT NULL AND m.expires_at <= :now) AS expired,
           (SELECT count(*) FROM communities c WHERE c.visibility IN ('listed', 'public')) AS listed,
           (SELECT sum(c.generation) FROM communities c WHERE c.visibility IN ('listed', 'public')) AS listed_generations,
           (SELECT count(*) FROM invitations i WHERE lower(i.email) = lower(u.email) AND i.accepted_at IS NULL AND i.revoked_at IS NULL) AS invitations
    FROM users u
    WHERE u.id = :user AND u.session_version = :version AND u.is_active_account = :active
"""
_statements = {}


_engine_lock = threading.Lock()


def _engine():
    """Where the state query runs, in autocommit (one read: no transaction to begin or end): the
    hub's pool on SQLite. On PostgreSQL, a pool of its own without the hub's pre-ping, which would
    cost a round trip per view, as much as the query itself: a connection the server dropped makes
    the query fail, is thrown away, and the query runs again."""
    app = current_app._get_current_object()
    engine = app.extensions.get("hub_page_cache_engine")
    if engine is None:
        with _engine_lock:
            engine = app.extensions.get("hub_page_cache_engine")
            if engine is None:
                if db.engine.dialect.name == "sqlite":
                    engine = db.engine.execution_options(isolation_level="AUTOCOMMIT")  # the hub's pool
                else:
                    size = app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}).get("pool_size", 5)
                    engine = sa.create_engine(db.engine.url, pool_size=size, max_overflow=size, pool_pre_ping=False,
                                              isolation_level="AUTOCOMMIT")
                app.extensions["hub_page_cache_engine"] = engine
    return engine


def dispose(app):
    """Close the state query's own connections (PostgreSQL), as when the app stops."""
    engine = app.extensions.pop("hub_page_cache_engine", None)
    if engine is not None and engine.dialect.name != "sqlite":
        engine.dispose()


def _state(identity, name, sql, **params):
    """The state row with an expired membership counted as no role, or None."""
    if name not in _statements:
        from .timeutil import UTCDateTime

        statement = sa.text(sql)
        if ":now" in sql:
            statement = statement.bindparams(sa.bindparam("now", type_=UTCDateTime))
        _statements[name] = statement.columns(expires_at=UTCDateTime)
    user_id, version = identity
    values = {"user": user_id, "version": version, "active": True, **params}
    if ":now" in sql:
        values["now"] = utcnow()
    for attempt in (1, 2):
        try:
            with _engine().connect() as connection:
                row = connection.execute(_statements[name], values).first()
            break
        except sa.exc.DBAPIError as error:  # a connection the server dropped: thrown away, once more on a new one
            if attempt == 2 or not error.connection_invalidated:
                raise
    if row is None:
        return None
    state = list(row)
    if state[_EXPIRES] is not None and state[_EXPIRES] <= utcnow():
        state[_ROLE] = None
    state[_EXPIRES] = None
    return state


def _identity():
    """The reader the session names, when pages may be kept at all; None otherwise."""
    return session_identity() if _store() is not None else None


def thread_page(thread_id):
    """``(key, last_read_post_id)`` for a thread page: key None when it must not be kept."""
    identity = _identity()
    if identity is None or not 0 < thread_id < 2**31:
        return None, None
    state = _state(identity, "thread", _THREAD_STATE, thread=thread_id)
    return _reader_key(identity, state), (state[-1] if state is not None else None)


def community_page(slug):
    """The key of a community's home for the current reader, or None."""
    identity = _identity()
    if identity is None or len(slug) > 60:
        return None
    return _reader_key(identity, _state(identity, "community", _COMMUNITY_STATE, slug=slug))


def home_page():
    """The key of the personal home (with its activity feed) for the current reader, or None."""
    identity = _identity()
    if identity is None:
        return None
    return _reader_key(identity, _state(identity, "home", _HOME_STATE))


def get(key):
    """``(page, extra)`` kept under ``key``, the page as UTF-8 bytes ready to send, or None."""
    return _store().get(key) if key is not None else None


def put(key, page, extra=None):
    """Keep the rendered ``page`` (encoded once, here) with ``extra``, what the view needs to serve it again."""
    if key is not None:
        _store().put(key, (page.encode(), extra))


def touch(*community_ids):
    """Mark communities changed by a statement that bypassed the ORM (same transaction)."""
    ids = sorted({i for i in community_ids if i is not None})
    if ids:
        db.session.execute(_BUMP, {"ids": ids})


# --- which communities a flush changes ----------------------------------------------------------


def _parent_community(connection, table, row_id, memo):
    key = (table, row_id)
    if key not in memo:
        if table == "posts":
            query = "SELECT t.community_id FROM posts p JOIN threads t ON t.id = p.thread_id WHERE p.id = :id"
        else:
            query = f"SELECT community_id FROM {table} WHERE id = :id"
        memo[key] = connection.execute(sa.text(query), {"id": row_id}).scalar()
    return memo[key]


def _communities_of(session, obj, memo, depth=0):
    mapper = sa.inspect(obj).mapper
    table = mapper.local_table.name
    if table == "communities":
        return {obj.id} if obj.id is not None else set()
    if table == "users":
        return _communities_of_person(session, obj, memo)
    if table in QUIET_TABLES or depth > 4:
        return set()
    community_id = getattr(obj, "community_id", None)
    if community_id is not None:
        return {community_id}
    state = sa.inspect(obj)
    for relationship in mapper.relationships:  # parents already in memory (new rows have no keys yet)
        if relationship.direction is sa.orm.MANYTOONE and relationship.mapper.local_table.name != "users":
            parent = state.dict.get(relationship.key)
            if parent is not None:
                found = _communities_of(session, parent, memo, depth + 1)
                if found:
                    return found
    for column, parent_table in _PARENTS.items():
        row_id = getattr(obj, column, None) if column in mapper.columns else None
        if row_id is not None:
            found = _parent_community(session.connection(), parent_table, row_id, memo)
            if found is not None:
                return {found}
    for relationship in mapper.relationships:  # parents still in the database
        if relationship.direction is sa.orm.MANYTOONE and relationship.mapper.local_table.name != "users":
            parent = getattr(obj, relationship.key)
            if parent is not None:
                found = _communities_of(session, parent, memo, depth + 1)
                if found:
                    return found
    return set()


def _communities_of_person(session, user, memo):
    if user.id is None:
        return set()
    state = sa.inspect(user)
    if not state.deleted and not any(state.attrs[name].history.has_changes() for name in PROFILE_FIELDS):
        return set()
    rows = session.connection().execute(sa.text("SELECT community_id FROM memberships WHERE user_id = :id"), {"id": user.id})
    return {row[0] for row in rows}


def _before_flush(session, _context, _instances):
    changed = set()
    memo = {}
    with session.no_autoflush:
        for obj in list(session.new) + list(session.deleted):
            changed |= _communities_of(session, obj, memo)
        for obj in list(session.dirty):
            if session.is_modified(obj, include_collections=False):
                changed |= _communities_of(session, obj, memo)
    if changed:
        session.info.setdefault("hub_changed_communities", set()).update(changed)


def _after_flush(session, _context):
    """The communities this flush changed wait for the commit (``_before_commit``): raising a
    generation locks the community's row until the transaction ends, and taken at the first flush
    that lock would make every other write in the community wait for the whole of this one
    (notifications, emails, search) instead of its commit only. Readers see the new generation at the
    commit either way."""
    changed = session.info.pop("hub_changed_communities", None)
    if changed:
        session.info.setdefault("hub_bump_at_commit", set()).update(changed)


def _before_commit(session):
    if session.info.get("hub_changed_communities") or not session._is_clean():
        session.flush()  # the last changes, whose communities join the others
    changed = session.info.pop("hub_bump_at_commit", None)
    if changed:
        session.connection().execute(_BUMP, {"ids": sorted(changed)})
        from .communities.models import Community

        for community_id in changed:  # a community already loaded in this session must not keep the old value
            loaded = session.identity_map.get(sa.orm.util.identity_key(Community, community_id))
            if loaded is not None:
                session.expire(loaded, ["generation"])


def _forget_bumps(session, previous_transaction):
    if previous_transaction.parent is not None:  # a savepoint: the outer transaction's changes stand (a spare raise is harmless)
        return
    session.info.pop("hub_bump_at_commit", None)
    session.info.pop("hub_changed_communities", None)


def init_app(app):
    seconds = app.config.get("PAGE_CACHE_SECONDS", 60)
    if seconds > 0:
        app.extensions["hub_page_cache"] = PageCache(app.config.get("PAGE_CACHE_ENTRIES", 256), seconds)
    if not getattr(init_app, "_listening", False):  # once per process: the listeners are on every session
        sa.event.listen(sa.orm.Session, "before_flush", _before_flush)
        sa.event.listen(sa.orm.Session, "after_flush", _after_flush)
        sa.event.listen(sa.orm.Session, "before_commit", _before_commit)
        sa.event.listen(sa.orm.Session, "after_soft_rollback", _forget_bumps)
        init_app._listening = True
