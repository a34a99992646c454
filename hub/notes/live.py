"""Live co-editing: the authoritative document of each open note, kept in memory with pycrdt.

Browsers send Yjs updates; each is applied here and the whole document state is written to the
database *before* the update is acknowledged and relayed, so a restart loses nothing that was
acknowledged. The text becomes a revision (with everyone who wrote since the last one) on a short
interval and when the last editor leaves.
"""
import logging
import threading
import time

import sqlalchemy as sa
from flask import current_app

from ..extensions import db, socketio
from ..timeutil import utcnow
from . import crdt

log = logging.getLogger(__name__)

EXTENSION = "hub_notes_live"


class LiveNote:
    def __init__(self, note_id, state):
        self.note_id = note_id
        self.doc, self.text = crdt.document(state)
        self.lock = threading.RLock()
        self.editors = {}  # sid -> {"user_id", "client_id", "can_edit"}
        self.contributors = []  # user ids who changed the text since the last revision, in order
        self.dirty = False
        self.persist_lock = threading.Lock()
        self.applied = 0  # updates applied in memory
        self.persisted = 0  # of those, how many are in the stored state
        self.written_at = None  # when this process last stored the state

    @property
    def room(self):
        return room(self.note_id)


def room(note_id):
    return f"note:{note_id}"


class Registry:
    """The live notes of one application."""

    def __init__(self, app):
        self.app = app
        self.notes = {}
        self.lock = threading.RLock()
        self.thread = None
        self.stopped = threading.Event()

    def get(self, note_id):
        with self.lock:
            return self.notes.get(note_id)

    def open(self, note):
        with self.lock:
            live = self.notes.get(note.id)
            if live is None:
                state = note.crdt_state if note.crdt_state is not None else crdt.new_state(note.body)
                live = LiveNote(note.id, state)
                # Acknowledged edits of a session cut short (a restart) are in the state but not yet
                # in a revision: the next revision takes them.
                live.dirty = str(live.text) != note.body
                self.notes[note.id] = live
            self._start()
            return live

    def stop(self, timeout=10):
        """Stop persisting (the application is going away): the running pass ends, no other starts."""
        self.stopped.set()
        with self.lock:
            thread = self.thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _start(self):
        if self.stopped.is_set():
            return
        if self.thread is None or not self.thread.is_alive():
            self.thread = threading.Thread(target=self._run, name="notes-live-persist", daemon=True)
            self.thread.start()

    def _run(self):
        interval = float(self.app.config.get("NOTES_PERSIST_SECONDS", 10))
        while not self.stopped.wait(interval):
            try:
                with self.app.app_context():
                    for note_id in list(self.notes):
                        commit_revision(note_id, registry=self)
            except Exception:  # keep persisting the others
                log.exception("persisting live notes failed")
            with self.lock:
                if not self.notes:
                    self.thread = None
                    return


def registry(app=None):
    app = app or current_app._get_current_object()
    found = app.extensions.get(EXTENSION)
    if found is None:
        found = app.extensions[EXTENSION] = Registry(app)
    return found


def init_app(app):
    registry(app)


def stop(app):
    """Stop the application's background persisting, if it started (tests build many applications
    on one database: none may keep a transaction open once its test is over)."""
    found = app.extensions.get(EXTENSION)
    if found is not None:
        found.stop()


# --- editing --------------------------------------------------------------------------------


def join(note, sid, user_id, client_id, can_edit, state_vector=None):
    """Open the note for this connection; returns (the update the client misses, server state vector)."""
    live = registry().open(note)
    with live.lock:
        live.editors[sid] = {"user_id": user_id, "client_id": client_id, "can_edit": can_edit}
        missing = live.doc.get_update(bytes(state_vector)) if state_vector else live.doc.get_update()
        return missing, live.doc.get_state()


def missing(note_id, sid, state_vector):
    """(what a joined connection lacks, server state vector), or None when it has not joined."""
    live = registry().get(note_id)
    if live is None:
        return None
    with live.lock:
        if sid not in live.editors:
            return None
        return live.doc.get_update(bytes(state_vector)), live.doc.get_state()


def editor(note_id, sid):
    live = registry().get(note_id)
    if live is None:
        return None
    return live.editors.get(sid)


def apply(note_id, sid, update):
    """Apply a client's update in memory: returns (live note, its sequence number), or None when
    refused. Call ``persist`` with them before acknowledging the update."""
    live = registry().get(note_id)
    if live is None:
        return None
    with live.lock:
        who = live.editors.get(sid)
        if who is None or not who["can_edit"]:
            return None
        before = str(live.text)
        live.doc.apply_update(bytes(update))
        live.applied += 1
        sequence = live.applied
        if str(live.text) != before:
            live.dirty = True
            if who["user_id"] not in live.contributors:
                live.contributors.append(who["user_id"])
            else:  # the most recent writer last: they sign the revision
                live.contributors.remove(who["user_id"])
                live.contributors.append(who["user_id"])
    return live, sequence


def persist(live, sequence):
    """Store the document state unless a write since covered update ``sequence``. Writers queue
    here and each write covers every update applied before it: one commit for a burst (group commit)."""
    from .models import Note

    with live.persist_lock:
        if live.persisted >= sequence:
            return
        stored = _stored_state(live, lock=True)
        with live.lock:
            _merge(live, stored)
            state, upto = live.doc.get_update(), live.applied
        written = utcnow()
        db.session.execute(sa.update(Note).where(Note.id == live.note_id).values(crdt_state=state, crdt_updated_at=written))
        db.session.commit()
        live.persisted, live.written_at = upto, written


def _stored_state(live, lock=False):
    """The stored state when someone else (another process, a form) wrote it since this process
    did; None otherwise (the common case costs one small read)."""
    from .models import Note

    query = sa.select(Note.crdt_updated_at).where(Note.id == live.note_id)
    if lock and db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    stamp = db.session.execute(query).scalar_one_or_none()
    if stamp is not None and stamp == live.written_at:
        return None
    return db.session.execute(sa.select(Note.crdt_state).where(Note.id == live.note_id)).scalar_one_or_none()


def _merge(live, stored):
    """Take in what another server process stored for this note (CRDT updates merge in any order):
    the stored state is always the union of every process's document, never one overwriting another."""
    if not stored:
        return
    before = str(live.text)
    live.doc.apply_update(bytes(stored))
    if str(live.text) != before:
        live.dirty = True


def edit_live(note, body):
    """When the note is open live here, edit its document into ``body`` and send the change to its
    editors; the caller's transaction stores the state. False when it is not open."""
    live = registry().get(note.id)
    if live is None:
        return False
    stored = note.crdt_state
    with live.persist_lock, live.lock:  # no older state written after this one
        _merge(live, stored)
        update = crdt.replace_text(live.doc, live.text, body)
        note.crdt_state = live.doc.get_update()
        note.crdt_updated_at = utcnow()
    if update:
        socketio.emit("note:update", {"note": note.id, "update": update}, to=live.room)
    return True


def settle(note):
    """Make a revision of what live editors wrote since the last one (before a form or API save
    compares base revisions). Commits."""
    if registry().get(note.id) is not None:
        commit_revision(note.id)
        db.session.refresh(note)


def commit_revision(note_id, registry=None):
    """A revision of the live text if it changed since the last one. Commits."""
    from ..accounts.models import User
    from . import service
    from .models import Note

    live = (registry or globals()["registry"]()).get(note_id)
    if live is None:
        return None
    stored = _stored_state(live)
    with live.lock:
        _merge(live, stored)
        if not live.dirty:
            return None
        text = str(live.text)
        authors = list(live.contributors)
        live.contributors, live.dirty = [], False
        try:
            note = db.session.get(Note, note_id)
            if note is None:
                return None
            people = [u for u in (db.session.get(User, i) for i in authors) if u is not None]
            revision = service.save_live(note, text, people)
            db.session.commit()
            return revision
        except Exception:
            db.session.rollback()
            live.dirty = True
            live.contributors = authors + [a for a in live.contributors if a not in authors]
            raise


def leave(sid):
    """This connection left: forget it in every note; the last one out makes the revision and
    closes the document. Returns [(note_id, client_id)] it was editing."""
    left = []
    reg = registry()
    for note_id, live in list(reg.notes.items()):
        with live.lock:
            who = live.editors.pop(sid, None)
            if who is None:
                continue
            left.append((note_id, who["client_id"]))
            empty = not live.editors
        if empty:
            try:
                commit_revision(note_id)
            finally:
                with reg.lock, live.lock:
                    if not live.editors and not live.dirty:
                        reg.notes.pop(note_id, None)
    return left


def leave_note(note_id, sid):
    live = registry().get(note_id)
    if live is None:
        return None
    with live.lock:
        who = live.editors.pop(sid, None)
        empty = not live.editors
    if empty:
        commit_revision(note_id)
        with registry().lock, live.lock:
            if not live.editors and not live.dirty:
                registry().notes.pop(note_id, None)
    return who


def close(note_id):
    """The note is gone: drop its live document and tell its editors."""
    live = registry().get(note_id)
    if live is None:
        return
    with registry().lock:
        registry().notes.pop(note_id, None)
    socketio.emit("note:closed", {"note": note_id}, to=live.room)


def editors_of(note_id):
    live = registry().get(note_id)
    return dict(live.editors) if live is not None else {}


def wait_idle(timeout=5.0):
    """Tests and benchmarks: until every live note has persisted its revision."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(n.dirty for n in registry().notes.values()):
            return True
        time.sleep(0.05)
    return False


def current_text(note):
    """The live text while people edit (ahead of the last revision by at most the persist interval)."""
    live = registry().get(note.id)
    if live is None:
        return note.body
    with live.lock:
        return str(live.text)
