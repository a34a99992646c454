"""Socket.IO: connections authenticated by the session (or an API token); rooms joined through access."""
import atexit
import json
import logging
import threading
import time
import uuid

from flask import current_app, request
from flask_login import current_user
from flask_socketio import join_room, leave_room

from . import access
from .communities import service as communities
from .extensions import socketio


# --- rooms ------------------------------------------------------------------------------------
# A room is named "<kind>:<key>". Each feature registers its kinds of room once: how to find the
# object a key names, the access action reading it needs, and what to do when a connection in the
# room loses that access (``on_revoked``) or keeps it after a change (``on_kept``, e.g. a note's
# editor who may now only read).


class RoomKind:
    def __init__(self, lookup, action, on_revoked=None, on_kept=None):
        self.lookup, self.action, self.on_revoked, self.on_kept = lookup, action, on_revoked, on_kept


ROOM_KINDS = {}


def register_room(kind, lookup, action, on_revoked=None, on_kept=None):
    """Declare rooms named ``kind:<key>``: ``lookup(key)`` → the object or None; ``action`` → the
    access rule a connection must pass to join and to stay."""
    ROOM_KINDS[kind] = RoomKind(lookup, action, on_revoked, on_kept)


def room_target(room):
    """The object a room is named for ('community:<slug>'), and the action reading it needs."""
    if not isinstance(room, str) or ":" not in room or len(room) > 200:
        return None, None
    kind, _, key = room.partition(":")
    spec = ROOM_KINDS.get(kind)
    if spec is None:
        return None, None
    return spec.lookup(key), spec.action


def by_id(model):
    """A lookup for rooms keyed by a row's integer id."""

    def lookup(key):
        from .extensions import db

        if not key.isdigit() or not 0 < int(key) < 2**31:
            return None
        return db.session.get(model, int(key))

    return lookup


register_room("community", communities.by_slug, "community.read")


# --- emitting after commit ----------------------------------------------------------------
# A feature queues what to send with the change; it leaves once the transaction commits (never
# for a change that was rolled back). With HUB_REDIS_URL it goes through Redis to every process.


def emit_after_commit(room, event, data, count_for=None):
    """Send ``event`` to ``room`` once the session commits. ``count_for`` (a user id) adds that
    person's unread notification count to the data, read after the commit."""
    from .extensions import db

    db.session.info.setdefault("hub_emits", []).append((room, event, data, count_for))


def _emit_pending(session):
    """What the transaction queued, in order; the events that need an unread count go last, with
    every count read in one query (they must not hold back a thread's room, which may have
    hundreds of open pages waiting for the post)."""
    pending = session.info.pop("hub_emits", None)
    if not pending:
        return
    for room, event, data, count_for in pending:
        if count_for is None:
            _emit(room, event, data)
    # Under gevent (the production server) the pages' writers (or, with Redis, the publication to the
    # other processes) run only when this request yields: let them start on the room's events now,
    # before the counts and the rest of the request.
    socketio.sleep(0)
    counted = [item for item in pending if item[3] is not None]
    if counted:
        try:
            counts = _unread({item[3] for item in counted})
        except Exception:
            logging.getLogger(__name__).exception("Unread counts for live badges failed")
            counts = {}
        for room, event, data, count_for in counted:
            _emit(room, event, {**data, "unread": counts.get(count_for, 0)})


def _emit(room, event, data):
    try:
        socketio.emit(event, data, to=room)
    except Exception:  # a live update is a nicety: never fail the request for it
        logging.getLogger(__name__).exception("Socket.IO emit to %s failed", room)


def _unread(user_ids):
    """{user id: unread notifications} for these people, in one query on a connection of its own
    (the session has just committed)."""
    import sqlalchemy as sa

    from .extensions import db
    from .notifications.models import Notification

    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.select(Notification.user_id, sa.func.count(Notification.id))
            .where(Notification.user_id.in_(sorted(user_ids)), Notification.read_at.is_(None))
            .group_by(Notification.user_id)
        ).all()
    return {user_id: count for user_id, count in rows}


def _discard_pending(session, *args):
    session.info.pop("hub_emits", None)


from sqlalchemy import event as _sa_event  # noqa: E402
from sqlalchemy.orm import Session as _Session  # noqa: E402

_sa_event.listen(_Session, "after_commit", _emit_pending)
_sa_event.listen(_Session, "after_soft_rollback", _discard_pending)


@socketio.on("connect")
def on_connect(auth=None):
    token_id = None
    if not current_user.is_authenticated:
        token = auth.get("token") if isinstance(auth, dict) else None
        if token:
            from .accounts.models import ApiToken

            found = ApiToken.find_active(token)
            if found is not None:
                from flask_login import login_user

                login_user(found.user)
                token_id = found.id
    if not current_user.is_authenticated:
        return False
    _CONNECTIONS[request.sid] = _Connection(current_user.id, current_user.session_version, token_id)
    join_room(f"user:{current_user.id}")
    _start_access_watch(current_app._get_current_object())
    return True


@socketio.on("join")
def on_join(data):
    room = data.get("room") if isinstance(data, dict) else None
    target, action = room_target(room)
    if target is None or not access.can(current_user, action, target):
        return {"ok": False, "error": "forbidden"}
    join_room(room, sid=request.sid)
    if room.startswith("thread:"):
        _JOINED.setdefault(request.sid, set()).add(room)
        try:
            store = _presence()
            store.add(room, request.sid, current_user.id, current_user.display_name)
        except Exception:  # who is here is a nicety: the room is joined all the same
            logging.getLogger(__name__).exception("Presence in %s not recorded", room)
        else:
            _presence_changed(room, store)
    return {"ok": True, "room": room}


# --- who is here ------------------------------------------------------------------------------
# The people with a thread's page open, whichever process their connection reaches. Without Redis
# the process knows them all (a dictionary). With HUB_REDIS_URL each room is a Redis hash, one
# field per connection (sid → user, name and the process holding it); each process keeps a key of
# its own alive with a heartbeat, and the entries of a process whose key is gone (it stopped, or
# crashed) are left out and removed. The list is sent to the room on every join, leave and
# disconnect, at most once per PRESENCE_INTERVAL per room and process: 500 pages opening at once
# would otherwise send 500 lists to up to 500 pages each (125 000 messages for one room).
PRESENCE_INTERVAL = 1.0
_JOINED = {}  # sid → thread rooms it is present in (the connections of this process)


class _Broadcasts:
    """When each room last had its list sent by this process, and which wait for the next one."""

    def __init__(self):
        self.lock = threading.Lock()
        self.last_sent = {}  # room → time.monotonic()
        self.scheduled = set()


class LocalPresence(_Broadcasts):
    """Who is where, for one process."""

    def __init__(self):
        super().__init__()
        self._rooms = {}
        self._lock = threading.Lock()

    def add(self, room, sid, user_id, name):
        with self._lock:
            self._rooms.setdefault(room, {})[sid] = (user_id, name)

    def remove(self, room, sid):
        with self._lock:
            people = self._rooms.get(room)
            if people is not None:
                people.pop(sid, None)
                if not people:
                    del self._rooms[room]

    def entries(self, room):
        with self._lock:
            return list(self._rooms.get(room, {}).values())


class RedisPresence(_Broadcasts):
    """Who is where, for every process sharing a Redis database."""

    PREFIX = "hub:presence:"
    HEARTBEAT = 10  # seconds between two renewals of this process's key
    ALIVE = 30  # a process whose key was not renewed for this long is taken for gone
    ROOM_LIFE = 24 * 3600  # a room's hash is dropped after a day without anyone joining it

    def __init__(self, url):
        import redis

        super().__init__()
        self.redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.process = uuid.uuid4().hex
        self._stopped = threading.Event()
        try:
            self._beat()
        except Exception:  # Redis is away for now: the heartbeat tries again
            logging.getLogger(__name__).warning("Presence heartbeat to Redis failed", exc_info=True)
        threading.Thread(target=self._heartbeat, name="hub-presence-heartbeat", daemon=True).start()
        atexit.register(self.close)

    def _process_key(self, process):
        return f"{self.PREFIX}process:{process}"

    def _beat(self):
        self.redis.set(self._process_key(self.process), "1", ex=self.ALIVE)

    def _heartbeat(self):
        while not self._stopped.wait(self.HEARTBEAT):
            try:
                self._beat()
            except Exception:
                logging.getLogger(__name__).warning("Presence heartbeat to Redis failed", exc_info=True)

    def close(self):
        """On a clean stop this process's people leave every list at once."""
        self._stopped.set()
        try:
            self.redis.delete(self._process_key(self.process))
        except Exception:
            pass

    def add(self, room, sid, user_id, name):
        key = self.PREFIX + room
        with self.redis.pipeline() as pipe:
            pipe.hset(key, sid, json.dumps([user_id, name, self.process]))
            pipe.expire(key, self.ROOM_LIFE)
            pipe.execute()

    def remove(self, room, sid):
        self.redis.hdel(self.PREFIX + room, sid)

    def entries(self, room):
        key = self.PREFIX + room
        fields = {}
        for sid, value in self.redis.hgetall(key).items():
            try:
                user_id, name, process = json.loads(value)
            except (TypeError, ValueError):
                continue
            fields[sid] = (user_id, name, process)
        processes = sorted({process for _u, _n, process in fields.values()})
        alive = {p for p, up in zip(processes, self.redis.mget([self._process_key(p) for p in processes])) if up} if processes else set()
        gone = [sid for sid, (_u, _n, process) in fields.items() if process not in alive]
        if gone:
            self.redis.hdel(key, *gone)
        return [(user_id, name) for user_id, name, process in fields.values() if process in alive]


_stores_lock = threading.Lock()


def _presence(app=None):
    """The application's presence store in this process (Redis when HUB_REDIS_URL is set)."""
    app = app or current_app._get_current_object()
    with _stores_lock:
        store = app.extensions.get("hub_presence")
        if store is None:
            url = app.config.get("REDIS_URL")
            store = app.extensions["hub_presence"] = RedisPresence(url) if url else LocalPresence()
        return store


def present(room, store=None):
    """The names of the people with this room open, in alphabetical order (once each)."""
    names = {}
    for user_id, name in (store or _presence()).entries(room):
        names[user_id] = name
    return sorted(names.values(), key=str.casefold)


def _presence_changed(room, store):
    """Send the room its list now, or once PRESENCE_INTERVAL has passed since the last one."""
    now = time.monotonic()
    with store.lock:
        if room in store.scheduled:
            return
        wait = store.last_sent.get(room, float("-inf")) + PRESENCE_INTERVAL - now
        if wait <= 0:
            store.last_sent[room] = now
            if len(store.last_sent) > 1000:
                for old in [r for r, at in store.last_sent.items() if at < now - PRESENCE_INTERVAL]:
                    del store.last_sent[old]
        else:
            store.scheduled.add(room)
    if wait <= 0:
        _send_presence(room, store)
    else:
        socketio.start_background_task(_send_presence_later, room, store, wait)


def _send_presence_later(room, store, wait):
    socketio.sleep(wait)
    with store.lock:
        store.scheduled.discard(room)
        store.last_sent[room] = time.monotonic()
    _send_presence(room, store)


def _send_presence(room, store):
    try:
        socketio.emit("presence", {"room": room, "people": present(room, store)}, to=room)
    except Exception:
        logging.getLogger(__name__).exception("Presence of %s not sent", room)


def _left(sid, rooms):
    if not rooms:
        return
    try:
        store = _presence()
    except Exception:
        logging.getLogger(__name__).exception("Presence not updated for %s", sid)
        return
    for room in rooms:
        try:
            store.remove(room, sid)
        except Exception:
            logging.getLogger(__name__).exception("Presence in %s not removed", room)
        _presence_changed(room, store)


@socketio.on("who")
def on_who(data):
    room = data.get("room") if isinstance(data, dict) else None
    if not isinstance(room, str) or not room.startswith("thread:") or room not in (socketio.server.rooms(request.sid) or []):
        return {"ok": False, "error": "forbidden"}
    try:
        people = present(room)
    except Exception:
        logging.getLogger(__name__).exception("Presence of %s not read", room)
        return {"ok": False, "error": "unavailable"}
    return {"ok": True, "room": room, "people": people}


@socketio.on("leave")
def on_leave(data):
    room = data.get("room") if isinstance(data, dict) else None
    if isinstance(room, str):
        leave_room(room, sid=request.sid)
        joined = _JOINED.get(request.sid)
        if joined and room in joined:
            joined.discard(room)
            _left(request.sid, [room])
    return {"ok": True}


# --- disconnects ----------------------------------------------------------------------------
# Socket.IO takes one "disconnect" handler: features add theirs here (called with the sid).
DISCONNECT_HOOKS = []


def on_disconnect_call(hook):
    DISCONNECT_HOOKS.append(hook)
    return hook


@on_disconnect_call
def _leave_presence(sid):
    _CONNECTIONS.pop(sid, None)
    _left(sid, _JOINED.pop(sid, ()))


@socketio.on("disconnect")
def on_disconnect(*_args):
    for hook in DISCONNECT_HOOKS:
        try:
            hook(request.sid)
        except Exception:  # one feature's clean-up must not stop the others'
            logging.getLogger(__name__).exception("disconnect hook %r failed", hook)


# --- losing access reaches open connections at once ---------------------------------------------
# A connection is checked when it joins a room; what it was allowed then may end later: the person
# is removed from the community, their role is lowered, their guest period ends, their password
# changes, their account is closed, a note is no longer shared with them. Features declare which
# rows decide access (``watch``); when such a row changes or goes, the people or rooms it concerns
# are checked again right after the commit, in this process and (with HUB_REDIS_URL) in every other
# one: a connection whose session or token is no longer valid is closed, and one that may no longer
# read a room leaves it (the feature's ``on_revoked`` closes what it holds, e.g. a live note), so it
# receives nothing more from it and can send nothing to it.
ACCESS_CHANNEL = "hub:access"
_CONNECTIONS = {}  # sid → _Connection (this process's authenticated connections)
_WATCHED = {}  # model class → affects(obj, deleted) → (user ids, rooms) or None


class _Connection:
    __slots__ = ("user_id", "session_version", "token_id")

    def __init__(self, user_id, session_version, token_id):
        self.user_id, self.session_version, self.token_id = user_id, session_version, token_id


def watch(model, affects):
    """Check open connections again when a row of ``model`` changes or is deleted:
    ``affects(obj, deleted)`` returns the user ids and rooms to check, or None when the change
    cannot reduce anyone's access."""
    _WATCHED[model] = affects


def changed(obj, *names):
    """Whether any of these attributes of ``obj`` changed in the pending flush."""
    state = sa_inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _collect(session, flush_context, instances=None):
    if not _WATCHED:
        return
    users, rooms = session.info.setdefault("hub_recheck", (set(), set()))
    for deleted, objects in ((False, session.dirty), (True, session.deleted)):
        for obj in objects:
            affects = _WATCHED.get(type(obj))
            if affects is None or (not deleted and not session.is_modified(obj)):
                continue
            found = affects(obj, deleted)
            if found:
                users.update(found[0])
                rooms.update(found[1])


def _recheck_after_commit(session):
    pending = session.info.pop("hub_recheck", None)
    if not pending or not (pending[0] or pending[1]):
        return
    users, rooms = sorted(pending[0]), sorted(pending[1])
    try:
        app = current_app._get_current_object()
    except RuntimeError:
        return
    recheck_local(app, users, rooms)
    url = app.config.get("REDIS_URL")
    if url:
        try:
            _publisher(app).publish(ACCESS_CHANNEL, json.dumps({"from": _process_id(app), "users": users, "rooms": rooms}))
        except Exception:
            logging.getLogger(__name__).exception("Access change not published to the other processes")


def _discard_recheck(session, *args):
    session.info.pop("hub_recheck", None)


def recheck_local(app, users=(), rooms=()):
    """Check again this process's connections of these people and in these rooms."""
    wanted = set(users)
    sids = {sid for sid, conn in list(_CONNECTIONS.items()) if conn.user_id in wanted}
    for room in rooms:
        sids.update(_participants(room))
    if not sids:
        return
    from .extensions import db

    # A context of its own: its session reads what was just committed, and the caller's (which may
    # be in the middle of its commit) is left alone.
    with app.app_context():
        try:
            for sid in sorted(sids):
                try:
                    _recheck_sid(sid)
                except Exception:
                    logging.getLogger(__name__).exception("Access of connection %s not checked again", sid)
        finally:
            db.session.remove()


def _participants(room):
    try:
        found = socketio.server.manager.get_participants("/", room)
        return {item[0] if isinstance(item, tuple) else item for item in found}
    except (KeyError, AttributeError):
        return set()


def _valid(conn):
    from .accounts.models import ApiToken, User
    from .extensions import db

    user = db.session.get(User, conn.user_id)
    if user is None or not user.is_active:
        return None
    if conn.token_id is None:
        return user if user.session_version == conn.session_version else None
    token = db.session.get(ApiToken, conn.token_id)
    return user if token is not None and token.revoked_at is None and token.user_id == user.id else None


def _recheck_sid(sid):
    conn = _CONNECTIONS.get(sid)
    if conn is None:
        return
    user = _valid(conn)
    if user is None:  # the session or token is over: the connection goes, with everything it joined
        socketio.server.disconnect(sid, namespace="/")
        return
    for room in list(socketio.server.rooms(sid, namespace="/") or ()):
        if room == sid or room == f"user:{user.id}":
            continue
        kind = room.partition(":")[0]
        spec = ROOM_KINDS.get(kind)
        target, action = room_target(room)
        if spec is not None and target is not None and access.can(user, action, target):
            if spec.on_kept is not None:
                spec.on_kept(sid, user, target)
            continue
        socketio.server.leave_room(sid, room, namespace="/")
        joined = _JOINED.get(sid)
        if joined and room in joined:
            joined.discard(room)
            _left(sid, [room])
        if spec is not None and spec.on_revoked is not None:
            spec.on_revoked(sid, room)
        socketio.emit("room.closed", {"room": room}, to=sid)


def _process_id(app):
    return app.extensions.setdefault("hub_process_id", uuid.uuid4().hex)


def _publisher(app):
    client = app.extensions.get("hub_access_redis")
    if client is None:
        import redis

        client = app.extensions["hub_access_redis"] = redis.Redis.from_url(app.config["REDIS_URL"], socket_timeout=5, socket_connect_timeout=5)
    return client


class _AccessWatch:
    """This process's watch over its connections: access changes published by the other processes
    (with Redis), and guest periods that end while a guest is connected."""

    def __init__(self, app):
        self.app = app
        self.stopped = threading.Event()
        self.interval = float(app.config.get("REALTIME_EXPIRY_CHECK_SECONDS", 30))
        self.last_check = None

    def start(self):
        socketio.start_background_task(self._expiries)
        if self.app.config.get("REDIS_URL"):
            socketio.start_background_task(self._listen)

    def stop(self):
        self.stopped.set()

    def _expiries(self):
        from .timeutil import utcnow

        self.last_check = utcnow()
        while not self.stopped.is_set():
            socketio.sleep(self.interval)
            if self.stopped.is_set():
                return
            now = utcnow()
            try:
                users = self._expired_between(self.last_check, now)
            except Exception:
                logging.getLogger(__name__).exception("Guest periods not checked")
                continue
            self.last_check = now
            if users:
                recheck_local(self.app, users)

    def _expired_between(self, start, end):
        import sqlalchemy as sa

        from .communities.models import Membership
        from .extensions import db

        connected = {conn.user_id for conn in list(_CONNECTIONS.values())}
        if not connected:
            return []
        with self.app.app_context():
            try:
                return list(db.session.execute(
                    sa.select(Membership.user_id).where(
                        Membership.expires_at > start, Membership.expires_at <= end, Membership.user_id.in_(sorted(connected))
                    )
                ).scalars())
            finally:
                db.session.remove()

    def _listen(self):
        import redis

        process = _process_id(self.app)
        while not self.stopped.is_set():
            try:
                client = redis.Redis.from_url(self.app.config["REDIS_URL"], socket_timeout=5, socket_connect_timeout=5)
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(ACCESS_CHANNEL)
                while not self.stopped.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message is None:
                        socketio.sleep(0)
                        continue
                    try:
                        data = json.loads(message["data"])
                    except (TypeError, ValueError):
                        continue
                    if not isinstance(data, dict) or data.get("from") == process:
                        continue
                    users = [u for u in data.get("users", []) if isinstance(u, int)]
                    rooms = [r for r in data.get("rooms", []) if isinstance(r, str)]
                    recheck_local(self.app, users, rooms)
                pubsub.close()
            except Exception:
                logging.getLogger(__name__).warning("Access changes from Redis not received; trying again", exc_info=True)
                self.stopped.wait(2)


def _start_access_watch(app):
    with _stores_lock:
        if app.extensions.get("hub_access_watch") is not None:
            return
        watcher = app.extensions["hub_access_watch"] = _AccessWatch(app)
    watcher.start()


def stop(app):
    """Stop this application's access watch (tests build many applications in one process)."""
    watcher = app.extensions.pop("hub_access_watch", None)
    if watcher is not None:
        watcher.stop()


from sqlalchemy import inspect as sa_inspect  # noqa: E402

_sa_event.listen(_Session, "after_flush", _collect)
_sa_event.listen(_Session, "after_soft_rollback", _discard_recheck)
# Checked before the commit's events leave (registered after them, so insert it first).
_sa_event.listen(_Session, "after_commit", _recheck_after_commit, insert=True)


def _user_affects(user, deleted):
    if deleted or changed(user, "session_version", "is_active_account"):
        return [user.id], []
    return None


def _membership_affects(membership, deleted):
    if deleted or changed(membership, "role", "expires_at"):
        return [membership.user_id], []
    return None


def _token_affects(token, deleted):
    if deleted or changed(token, "revoked_at"):
        return [token.user_id], []
    return None


def _community_affects(community, deleted):
    if deleted or changed(community, "visibility"):
        return [], [f"community:{community.slug}"]
    return None


def _watch_core():
    from .accounts.models import ApiToken, User
    from .communities.models import Community, Membership

    watch(User, _user_affects)
    watch(Membership, _membership_affects)
    watch(ApiToken, _token_affects)
    watch(Community, _community_affects)


_watch_core()
