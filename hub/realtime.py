"""Socket.IO: connections authenticated by the session (or an API token); rooms joined through access."""
import logging

from flask import request
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
        _PEOPLE[request.sid] = (current_user.id, current_user.display_name)
        socketio.emit("presence", {"room": room, "people": present(room)}, to=room)
    return {"ok": True, "room": room}


# --- who is here ------------------------------------------------------------------------------
# The people with a thread's page open, as this process sees them (with several processes, each
# knows its own connections). Names are kept per connection; a closed connection leaves its rooms,
# so it drops out of the list the next time someone asks.
_PEOPLE = {}


def present(room):
    sids = [sid for sid, _eio in socketio.server.manager.get_participants("/", room)]
    for sid in list(_PEOPLE):
        if not socketio.server.manager.is_connected(sid, "/"):
            _PEOPLE.pop(sid, None)
    names = {}
    for sid in sids:
        if sid in _PEOPLE:
            user_id, name = _PEOPLE[sid]
            names[user_id] = name
    return sorted(names.values(), key=str.casefold)


@socketio.on("who")
def on_who(data):
    room = data.get("room") if isinstance(data, dict) else None
    if not isinstance(room, str) or not room.startswith("thread:") or room not in (socketio.server.rooms(request.sid) or []):
        return {"ok": False, "error": "forbidden"}
    return {"ok": True, "room": room, "people": present(room)}


@socketio.on("leave")
def on_leave(data):
    room = data.get("room") if isinstance(data, dict) else None
    if isinstance(room, str):
        leave_room(room, sid=request.sid)
    return {"ok": True}


# --- disconnects ----------------------------------------------------------------------------
# Socket.IO takes one "disconnect" handler: features add theirs here (called with the sid).
DISCONNECT_HOOKS = []


def on_disconnect_call(hook):
    DISCONNECT_HOOKS.append(hook)
    return hook


@socketio.on("disconnect")
def on_disconnect(*_args):
    import logging

    for hook in DISCONNECT_HOOKS:
        try:
            hook(request.sid)
        except Exception:  # one feature's clean-up must not stop the others'
            logging.getLogger(__name__).exception("disconnect hook %r failed", hook)
