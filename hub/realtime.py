"""Socket.IO: connections authenticated by the session (or an API token); rooms joined through access."""
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
    return None, None


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
    return {"ok": True, "room": room}


@socketio.on("leave")
def on_leave(data):
    room = data.get("room") if isinstance(data, dict) else None
    if isinstance(room, str):
        leave_room(room, sid=request.sid)
    return {"ok": True}
