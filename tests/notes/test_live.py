"""Live co-editing over Socket.IO with pycrdt clients: join through access, updates relayed and
persisted before the acknowledgement, offline edits merged, revisions when the last editor leaves."""
import pytest
import sqlalchemy as sa
from pycrdt import Doc, Text

from tests.conftest import build_app, login
from tests.notes.conftest import create


class Editor:
    """A Socket.IO test client holding its own pycrdt copy of the note."""

    def __init__(self, app, email, note_id):
        from hub.extensions import socketio

        self.http = app.test_client()
        login(self.http, email)
        self.socket = socketio.test_client(app, flask_test_client=self.http)
        assert self.socket.is_connected()
        self.note_id = note_id
        self.doc = Doc()
        self.text = self.doc.get("body", type=Text)
        self.outbox = []
        self.doc.observe(lambda event: self.outbox.append(event.update))

    def join(self):
        ack = self.socket.emit("note:join", {"note": self.note_id, "client": self.doc.client_id, "sv": self.doc.get_state()}, callback=True)
        if ack.get("ok"):
            self._remote(ack["update"])
            missing = self.doc.get_update(bytes(ack["sv"]))
            if len(missing) > 2 and not ack["readonly"]:
                assert self.socket.emit("note:update", {"note": self.note_id, "update": missing}, callback=True) == {"ok": True}
        return ack

    def _remote(self, update):
        before = len(self.outbox)
        self.doc.apply_update(bytes(update))
        del self.outbox[before:]

    def type(self, index, value, send=True):
        self.text.insert(len(str(self.text)[:index].encode()), value)
        return self.flush() if send else None

    def flush(self):
        acks = [self.socket.emit("note:update", {"note": self.note_id, "update": u}, callback=True) for u in self.outbox]
        self.outbox.clear()
        return acks

    def receive(self):
        for message in self.socket.get_received():
            if message["name"] == "note:update" and message["args"][0]["note"] == self.note_id:
                self._remote(message["args"][0]["update"])

    @property
    def value(self):
        return str(self.text)


def note_row(app, note_id):
    from hub.extensions import db
    from hub.notes.models import Note

    with app.app_context():
        note = db.session.get(Note, note_id)
        db.session.refresh(note)
        return note.body, note.revision, note.crdt_state


def test_two_editors_converge_and_the_last_one_out_makes_a_revision(app, cast):
    note_id = create(app.test_client(), cast, body="Ordre du jour\n", visibility="community")
    sophie = Editor(app, cast.emails["owner"], note_id)
    julie = Editor(app, cast.emails["julie"], note_id)
    assert sophie.join()["ok"] and julie.join()["ok"]
    assert sophie.value == julie.value == "Ordre du jour\n"
    assert sophie.type(len(sophie.value), "1. Habitation\n") == [{"ok": True}]
    assert julie.type(0, "# Rencontre\n") == [{"ok": True}]
    sophie.receive()
    julie.receive()
    assert sophie.value == julie.value
    assert "1. Habitation" in sophie.value and "# Rencontre" in sophie.value
    # Acknowledged means on disk: the stored state holds both contributions.
    from hub.notes import crdt

    _body, revision, state = note_row(app, note_id)
    assert crdt.text_of(state) == sophie.value and revision == 1
    sophie.socket.disconnect()
    assert note_row(app, note_id)[1] == 1  # Julie is still editing
    julie.socket.disconnect()
    body, revision, _state = note_row(app, note_id)
    assert body == sophie.value and revision == 2
    history = Editor(app, cast.emails["owner"], note_id).http.get(f"/notes/{note_id}/history").get_data(as_text=True)
    assert "Sophie Gagnon, Julie Roy" in history or "Julie Roy, Sophie Gagnon" in history


def test_offline_edits_merge_on_reconnect(app, cast):
    note_id = create(app.test_client(), cast, body="Texte commun\n", visibility="community")
    sophie = Editor(app, cast.emails["owner"], note_id)
    julie = Editor(app, cast.emails["julie"], note_id)
    sophie.join()
    julie.join()
    julie.socket.disconnect()
    julie.type(0, "Hors ligne : ", send=False)  # written while offline
    julie.outbox.clear()  # never sent
    sophie.type(len(sophie.value), "En ligne.\n")
    # Back online: a new connection exchanges state vectors.
    from hub.extensions import socketio

    julie.socket = socketio.test_client(app, flask_test_client=julie.http)
    assert julie.join()["ok"]
    sophie.receive()
    assert julie.value == sophie.value == "Hors ligne : Texte commun\nEn ligne.\n"


def test_access_to_the_room(app, cast):
    note_id = create(app.test_client(), cast, body="Privé\n")  # private
    assert Editor(app, cast.emails["julie"], note_id).join() == {"ok": False, "error": "forbidden"}
    assert Editor(app, cast.emails["outsider"], note_id).join() == {"ok": False, "error": "forbidden"}
    app.test_client().post(f"/api/v1/notes/{note_id}/share", json={"visibility": "community"},
                           headers={"Authorization": f"Bearer {cast.tokens['owner']}"})
    observer = Editor(app, cast.emails["observer"], note_id)
    ack = observer.join()
    assert ack["ok"] and ack["readonly"] is True
    assert observer.type(0, "Vandalisme") == [{"ok": False, "error": "forbidden"}]
    assert note_row(app, note_id)[0] == "Privé\n"
    editor = Editor(app, cast.emails["julie"], note_id)
    assert editor.join()["readonly"] is False
    for garbage in ({"note": note_id, "update": b"\xff\x00garbage"}, {"note": note_id, "update": "texte"}, {"note": "x"}, [], None):
        assert editor.socket.emit("note:update", garbage, callback=True)["ok"] is False
    # Withdrawn: Julie is put out of the room and may no longer write.
    app.test_client().post(f"/api/v1/notes/{note_id}/share", json={"visibility": "private"},
                           headers={"Authorization": f"Bearer {cast.tokens['owner']}"})
    assert editor.type(0, "Encore") == [{"ok": False, "error": "forbidden"}]
    assert any(m["name"] == "note:closed" for m in editor.socket.get_received())


def test_form_save_reaches_live_editors_and_conflicts_with_live_work(app, cast):
    note_id = create(app.test_client(), cast, body="Début\n", visibility="community")
    julie = Editor(app, cast.emails["julie"], note_id)
    julie.join()
    julie.type(len(julie.value), "Ajout en direct\n")
    owner = Editor(app, cast.emails["owner"], note_id).http
    # The form started from revision 1; live work since then became revision 2: 409, nothing lost.
    response = owner.post(f"/notes/{note_id}/edit", data={"title": "Compte rendu", "body": "Début\nDu formulaire\n", "base_revision": "1"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Ajout en direct" in page and "Du formulaire" in page
    response = owner.post(f"/notes/{note_id}/edit", data={"title": "Compte rendu", "body": "Début\nAjout en direct\nDu formulaire\n", "base_revision": "2"})
    assert response.status_code == 302
    julie.receive()
    assert julie.value == "Début\nAjout en direct\nDu formulaire\n"


def test_a_restart_loses_nothing_acknowledged(tmp_path, factory, cast, app):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    note_id = create(app.test_client(), cast, body="Avant\n", visibility="community")
    julie = Editor(app, cast.emails["julie"], note_id)
    julie.join()
    assert julie.type(len(julie.value), "Acquitté\n") == [{"ok": True}]
    # A new process on the same database (the old one died without closing the session).
    second = build_app(tmp_path / "second", database_url=url)
    try:
        again = Editor(second, cast.emails["julie"], note_id)
        assert again.join()["ok"]
        assert again.value == "Avant\nAcquitté\n"
        again.socket.disconnect()  # the last one out: the acknowledged text becomes a revision
        body, revision, _state = note_row(second, note_id)
        assert body == "Avant\nAcquitté\n" and revision == 2
    finally:
        from hub.extensions import db

        with second.app_context():
            db.session.remove()
            db.engine.dispose()


def test_two_server_processes_never_overwrite_each_other(tmp_path, cast, app):
    """Editors of one note served by two processes (sticky sessions): the stored state is the union
    of both documents, and the revision holds both contributions."""
    note_id = create(app.test_client(), cast, body="Commun\n", visibility="community")
    other = build_app(tmp_path / "other", database_url=app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        julie = Editor(app, cast.emails["julie"], note_id)
        karim = Editor(other, cast.emails["karim"], note_id)
        assert julie.join()["ok"] and karim.join()["ok"]
        assert julie.type(0, "Julie ici. ") == [{"ok": True}]
        assert karim.type(len(karim.value), "Karim là.\n") == [{"ok": True}]
        from hub.notes import crdt

        stored = crdt.text_of(note_row(app, note_id)[2])
        assert "Julie ici. " in stored and "Karim là." in stored
        julie.socket.disconnect()
        karim.socket.disconnect()
        body = note_row(app, note_id)[0]
        assert "Julie ici. " in body and "Karim là." in body
    finally:
        from hub.extensions import db

        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def test_a_lost_relay_is_caught_by_the_periodic_sync(app, cast):
    note_id = create(app.test_client(), cast, body="Base\n", visibility="community")
    sophie = Editor(app, cast.emails["owner"], note_id)
    julie = Editor(app, cast.emails["julie"], note_id)
    sophie.join()
    julie.join()
    sophie.type(0, "Perdu en route ? ")
    julie.socket.get_received()  # the relay is dropped on the floor
    assert julie.value == "Base\n"
    ack = julie.socket.emit("note:sync", {"note": note_id, "sv": julie.doc.get_state()}, callback=True)
    julie._remote(ack["update"])
    assert julie.value == sophie.value == "Perdu en route ? Base\n"
    outsider = Editor(app, cast.emails["outsider"], note_id)
    assert outsider.socket.emit("note:sync", {"note": note_id, "sv": b"\x00"}, callback=True)["ok"] is False
    assert julie.socket.emit("note:sync", {"note": note_id, "sv": "x"}, callback=True)["ok"] is False
