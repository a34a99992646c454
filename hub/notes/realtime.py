"""Socket.IO events of the live note editor, in the room ``note:<id>`` (joined through access).

- ``note:join`` {note, client, sv?} → ack {ok, update, sv, readonly}: the update holds what the
  client's state vector lacks; the client answers with what the server lacks (offline edits).
- ``note:update`` {note, update} → ack {ok}: applied and persisted before the ack, then relayed.
- ``note:sync`` {note, sv} → ack {ok, update, sv}: the same exchange for a joined client, now and then.
- ``note:awareness`` {note, update}: cursors and names, relayed as is.
- ``note:leave`` {note}. The server sends ``note:update``, ``note:awareness``, ``note:joined``,
  ``note:left`` {note, clients} and ``note:closed``.
"""
import logging

from flask import request
from flask_login import current_user
from flask_socketio import emit, join_room, leave_room

from .. import access, realtime
from ..realtime import on_disconnect_call
from ..extensions import db, socketio
from . import live
from .models import Note, NoteShare

MAX_UPDATE = 2 * 1024 * 1024
log = logging.getLogger(__name__)


def _note_id(data):
    value = data.get("note") if isinstance(data, dict) else None
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31:
        return value
    return None


def _bytes(data, name):
    value = data.get(name)
    if isinstance(value, (bytes, bytearray)) and len(value) <= MAX_UPDATE:
        return bytes(value)
    if isinstance(value, list) and len(value) <= MAX_UPDATE and all(isinstance(b, int) and 0 <= b < 256 for b in value):
        return bytes(value)
    return None


def _note(note_id):
    from . import service
    from .models import Note

    return service.get(Note, note_id) if note_id else None


@socketio.on("note:join")
def on_join(data):
    note_id = _note_id(data)
    note = _note(note_id)
    if note is None or not current_user.is_authenticated or not access.can(current_user, "note.read", note):
        return {"ok": False, "error": "forbidden"}
    client_id = data.get("client")
    client_id = client_id if isinstance(client_id, int) and not isinstance(client_id, bool) else None
    state_vector = _bytes(data, "sv") if "sv" in data else None
    can_edit = access.can(current_user, "note.edit", note)
    try:
        missing, server_vector = live.join(note, request.sid, current_user.id, client_id, can_edit, state_vector)
    except Exception:  # a state vector that is not one
        return {"ok": False, "error": "invalid"}
    join_room(live.room(note.id), sid=request.sid)
    emit("note:joined", {"note": note.id}, to=live.room(note.id), include_self=False)
    return {"ok": True, "update": missing, "sv": server_vector, "readonly": not can_edit, "revision": note.revision}


@socketio.on("note:sync")
def on_sync(data):
    """A joined client's periodic check: what it lacks, by its state vector (a relay that never
    arrived is caught here), and the server's state vector so it sends what the server lacks."""
    note_id = _note_id(data)
    state_vector = _bytes(data, "sv") if note_id else None
    if state_vector is None:
        return {"ok": False, "error": "invalid"}
    try:
        found = live.missing(note_id, request.sid, state_vector)
    except Exception:  # not a state vector
        return {"ok": False, "error": "invalid"}
    if found is None:
        return {"ok": False, "error": "forbidden"}
    missing, server_vector = found
    return {"ok": True, "update": missing, "sv": server_vector}


@socketio.on("note:update")
def on_update(data):
    note_id = _note_id(data)
    update = _bytes(data, "update") if note_id else None
    if update is None:
        return {"ok": False, "error": "invalid"}
    try:
        applied = live.apply(note_id, request.sid, update)
    except Exception:  # not a Yjs update
        return {"ok": False, "error": "invalid"}
    if not applied:
        return {"ok": False, "error": "forbidden"}
    # Relayed at once; acknowledged once stored (a client resends what was not acknowledged).
    emit("note:update", {"note": note_id, "update": update}, to=live.room(note_id), include_self=False)
    try:
        live.persist(*applied)
    except Exception:
        log.exception("storing the live document of note %s failed", note_id)
        db.session.rollback()
        return {"ok": False, "error": "unavailable"}
    return {"ok": True}


@socketio.on("note:awareness")
def on_awareness(data):
    note_id = _note_id(data)
    update = _bytes(data, "update") if note_id else None
    if update is None or live.editor(note_id, request.sid) is None or len(update) > 64 * 1024:
        return {"ok": False}
    emit("note:awareness", {"note": note_id, "update": update}, to=live.room(note_id), include_self=False)
    return {"ok": True}


@socketio.on("note:leave")
def on_leave(data):
    note_id = _note_id(data)
    if note_id is None:
        return {"ok": False}
    who = live.leave_note(note_id, request.sid)
    leave_room(live.room(note_id), sid=request.sid)
    if who is not None and who.get("client_id") is not None:
        emit("note:left", {"note": note_id, "clients": [who["client_id"]]}, to=live.room(note_id))
    return {"ok": True}


@on_disconnect_call
def on_disconnect(sid):
    for note_id, client_id in live.leave(sid):
        if client_id is not None:
            socketio.emit("note:left", {"note": note_id, "clients": [client_id]}, to=live.room(note_id))


# --- access: a note's room is read through "note.read"; losing it closes the note for that connection


def _revoked(sid, room):
    note_id = int(room.partition(":")[2])
    who = live.leave_note(note_id, sid)
    socketio.emit("note:closed", {"note": note_id}, to=sid)
    if who is not None and who.get("client_id") is not None:
        socketio.emit("note:left", {"note": note_id, "clients": [who["client_id"]]}, to=live.room(note_id))


def _kept(sid, user, note):
    """Still a reader: editing follows the current right (a member made observer now only reads)."""
    who = live.editors_of(note.id).get(sid)
    if who is not None:
        who["can_edit"] = access.can(user, "note.edit", note)


def _note_affects(note, deleted):
    if not deleted and realtime.changed(note, "visibility", "owner_id", "community_id", "hidden_at"):
        return [], [live.room(note.id)]
    return None


def _share_affects(share, deleted):
    return ([], [live.room(share.note_id)]) if deleted else None


realtime.register_room("note", realtime.by_id(Note), "note.read", on_revoked=_revoked, on_kept=_kept)
realtime.watch(Note, _note_affects)
realtime.watch(NoteShare, _share_affects)
