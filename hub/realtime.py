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


def room_target(room):
    """The object a room is named for ('community:<slug>'), and the action reading it needs."""
    if not isinstance(room, str) or ":" not in room or len(room) > 200:
        return None, None
    kind, _, key = room.partition(":")
    if kind == "community":
        return communities.by_slug(key), "community.read"
    if kind == "thread":
        from .discussions.models import Thread
        from .extensions import db

        if not key.isdigit() or not 0 < int(key) < 2**31:
            return None, None
        return db.session.get(Thread, int(key)), "thread.read"
    return None, None


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
    if not current_user.is_authenticated:
        token = auth.get("token") if isinstance(auth, dict) else None
        if token:
            from .accounts.models import ApiToken

            found = ApiToken.find_active(token)
            if found is not None:
                from flask_login import login_user

                login_user(found.user)
    if not current_user.is_authenticated:
        return False
    join_room(f"user:{current_user.id}")
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
    _left(sid, _JOINED.pop(sid, ()))


@socketio.on("disconnect")
def on_disconnect(*_args):
    for hook in DISCONNECT_HOOKS:
        try:
            hook(request.sid)
        except Exception:  # one feature's clean-up must not stop the others'
            logging.getLogger(__name__).exception("disconnect hook %r failed", hook)
