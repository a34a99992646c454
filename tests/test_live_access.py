"""Losing access reaches open live connections at once: a person removed from a community, whose
role is lowered, whose guest period ends, whose password changes or whose account is closed hears
nothing more from the rooms joined earlier and can no longer write to a live note — in one process,
and through Redis in another."""
import http.cookiejar
import json
import os
import re
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from datetime import timedelta

import pytest
from pycrdt import Doc, Text

from tests.conftest import REDIS_URL, ROOT, auth, login, make_cast, service_missing
from tests.discussions.test_live import SERVERS, _free_port, _redis_available, _wait_for_port


@pytest.fixture
def cast(app, factory):
    people = {
        "owner": factory.user("Sophie Gagnon"),
        "julie": factory.user("Julie Roy"),
        "karim": factory.user("Karim Benali"),
        "guest": factory.user("Nadia Lavoie"),
    }
    return make_cast(factory, people, "owner", "Économie sociale municipale", {"julie": "member", "karim": "member", "guest": "guest"})


def _socket(app, email=None, token=None):
    from hub.extensions import socketio

    if token is not None:
        return socketio.test_client(app, auth={"token": token})
    http = app.test_client()
    login(http, email)
    sock = socketio.test_client(app, flask_test_client=http)
    sock.http = http
    return sock


def _names(sock):
    return [(m["name"], m["args"][0] if m["args"] else None) for m in sock.get_received()]


def _thread(app, cast, who="julie"):
    response = app.test_client().post(f"/api/v1/communities/{cast.slug}/threads", json={"title": "Habitation", "body": "Qui a un règlement ?"}, headers=auth(cast, who))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def _post(app, cast, thread_id, body, who="owner"):
    response = app.test_client().post(f"/api/v1/threads/{thread_id}/posts", json={"body": body}, headers=auth(cast, who))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def _membership_id(app, cast, who):
    from hub.communities.models import Membership
    from hub.extensions import db

    with app.app_context():
        return db.session.execute(db.select(Membership.id).filter_by(user_id=cast.ids[who])).scalar_one()


def _in_thread(app, cast, thread_id, who):
    sock = _socket(app, cast.emails[who])
    assert sock.emit("join", {"room": f"thread:{thread_id}"}, callback=True)["ok"] is True
    sock.get_received()
    return sock


def _posts_heard(sock):
    return [data["post_id"] for name, data in _names(sock) if name == "post.new"]


def test_a_member_removed_hears_nothing_more_from_the_thread(app, cast):
    thread_id = _thread(app, cast)
    julie = _in_thread(app, cast, thread_id, "julie")
    karim = _in_thread(app, cast, thread_id, "karim")
    first = _post(app, cast, thread_id, "Avant")
    assert _posts_heard(julie) == [first] and _posts_heard(karim) == [first]

    owner = app.test_client()
    login(owner, cast.emails["owner"])
    response = owner.post(f"/c/{cast.slug}/members/{_membership_id(app, cast, 'julie')}/remove")
    assert response.status_code == 302
    received = _names(julie)
    assert ("room.closed", {"room": f"thread:{thread_id}"}) in received

    second = _post(app, cast, thread_id, "Après le départ de Julie")
    assert _posts_heard(julie) == []
    assert _posts_heard(karim) == [second]
    # And joining again is refused.
    assert julie.emit("join", {"room": f"thread:{thread_id}"}, callback=True)["ok"] is False


def _note(app, cast):
    response = app.test_client().post(f"/api/v1/communities/{cast.slug}/notes", json={"title": "Compte rendu", "body": "Début\n"}, headers=auth(cast, "owner"))
    note_id = response.get_json()["id"]
    app.test_client().post(f"/api/v1/notes/{note_id}/share", json={"visibility": "community"}, headers=auth(cast, "owner"))
    return note_id


class _Editor:
    def __init__(self, app, email, note_id):
        self.sock = _socket(app, email)
        self.note_id = note_id
        self.doc = Doc()
        self.text = self.doc.get("body", type=Text)
        ack = self.sock.emit("note:join", {"note": note_id, "client": self.doc.client_id, "sv": self.doc.get_state()}, callback=True)
        assert ack["ok"] and not ack["readonly"], ack
        self.doc.apply_update(bytes(ack["update"]))

    def write(self, value):
        before = self.doc.get_state()
        self.text.insert(0, value)
        return self.sock.emit("note:update", {"note": self.note_id, "update": self.doc.get_update(before)}, callback=True)


def _note_body(app, note_id):
    from hub.extensions import db
    from hub.notes import live
    from hub.notes.models import Note

    with app.app_context():
        live.wait_idle()
        note = db.session.get(Note, note_id)
        db.session.refresh(note)
        return live.current_text(note)


def test_a_member_removed_can_no_longer_write_to_a_live_note(app, cast):
    note_id = _note(app, cast)
    julie = _Editor(app, cast.emails["julie"], note_id)
    assert julie.write("Julie écrit. ") == {"ok": True}

    owner = app.test_client()
    login(owner, cast.emails["owner"])
    owner.post(f"/c/{cast.slug}/members/{_membership_id(app, cast, 'julie')}/remove")
    assert ("note:closed", {"note": note_id}) in _names(julie.sock)
    assert julie.write("Encore Julie. ") == {"ok": False, "error": "forbidden"}
    assert "Encore Julie" not in _note_body(app, note_id)


def test_a_member_made_observer_now_only_reads_the_live_note(app, cast):
    note_id = _note(app, cast)
    karim = _Editor(app, cast.emails["karim"], note_id)
    owner = app.test_client()
    login(owner, cast.emails["owner"])
    assert owner.post(f"/c/{cast.slug}/members/{_membership_id(app, cast, 'karim')}/role", data={"role": "observer"}).status_code == 302
    assert karim.write("Karim observe. ") == {"ok": False, "error": "forbidden"}
    assert "Karim observe" not in _note_body(app, note_id)
    assert karim.sock.is_connected()  # still a reader: the note stays open, read only


@pytest.mark.config(REALTIME_EXPIRY_CHECK_SECONDS=0.2)
def test_a_guest_whose_period_ends_leaves_the_room(app, cast):
    from hub.communities.models import Membership
    from hub.discussions.models import ThreadInvitee
    from hub.extensions import db
    from hub.timeutil import utcnow

    thread_id = _thread(app, cast)
    with app.app_context():
        db.session.add(ThreadInvitee(thread_id=thread_id, user_id=cast.ids["guest"]))
        db.session.commit()
    guest = _in_thread(app, cast, thread_id, "guest")
    with app.app_context():
        membership = db.session.get(Membership, _membership_id(app, cast, "guest"))
        membership.expires_at = utcnow() + timedelta(seconds=1.5)
        db.session.commit()
    first = _post(app, cast, thread_id, "Pendant la période")
    assert _posts_heard(guest) == [first]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and ("room.closed", {"room": f"thread:{thread_id}"}) not in _names(guest):
        time.sleep(0.1)
    _post(app, cast, thread_id, "Après la période")
    assert _posts_heard(guest) == []


def test_a_password_change_closes_the_connections_of_the_old_session(app, cast):
    thread_id = _thread(app, cast)
    julie = _in_thread(app, cast, thread_id, "julie")
    by_token = _socket(app, token=cast.tokens["julie"])
    from hub.accounts import service as accounts
    from hub.extensions import db

    with app.app_context():
        accounts.set_password(accounts.find_by_email(cast.emails["julie"]), "un tout nouveau mot de passe")
        db.session.commit()
    assert not julie.is_connected()
    assert by_token.is_connected()  # a token is not a session
    _post(app, cast, thread_id, "Après le changement")


def test_a_closed_account_loses_every_connection(app, cast):
    thread_id = _thread(app, cast)
    by_token = _socket(app, token=cast.tokens["karim"])
    assert by_token.emit("join", {"room": f"thread:{thread_id}"}, callback=True)["ok"]
    from hub.accounts.models import User
    from hub.extensions import db

    with app.app_context():
        db.session.get(User, cast.ids["karim"]).is_active_account = False
        db.session.commit()
    assert not by_token.is_connected()


def test_a_revoked_token_closes_its_connection(app, cast):
    from hub.accounts.models import ApiToken
    from hub.extensions import db
    from hub.timeutil import utcnow

    sock = _socket(app, token=cast.tokens["karim"])
    assert sock.is_connected()
    with app.app_context():
        for token in db.session.execute(db.select(ApiToken).filter_by(user_id=cast.ids["karim"])).scalars():
            token.revoked_at = utcnow()
        db.session.commit()
    assert not sock.is_connected()


@pytest.mark.parametrize("server", sorted(SERVERS))
def test_a_removal_made_through_another_process_reaches_the_connection(app, cast, tmp_path, server):
    """Julie listens on process A; the facilitator removes her through process B: Redis carries
    the change, A puts her out of the room, and a post made afterwards does not reach her."""
    if not _redis_available():
        service_missing(f"Redis unreachable at {REDIS_URL}")
    import socketio as socketio_client

    thread_id = _thread(app, cast)
    room = f"thread:{thread_id}"
    ports = [_free_port(), _free_port()]
    processes = []
    for port in ports:
        env = {
            **os.environ, "HUB_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "HUB_REDIS_URL": REDIS_URL,
            "HUB_SECRET_KEY": app.config["SECRET_KEY"], "HUB_INSTANCE_PATH": str(tmp_path / f"instance-{port}"),
            "HUB_BASE_URL": f"http://127.0.0.1:{port}", "HUB_SEARCH_INDEX_PATH": str(tmp_path / f"index-{port}"),
            "HUB_UPLOAD_FOLDER": str(tmp_path / "uploads"),
        }
        env.pop("HUB_MAIL_SERVER", None)
        processes.append(subprocess.Popen(SERVERS[server](port), cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
    sio = socketio_client.Client(reconnection=False)
    heard, changed = [], threading.Condition()

    def got(name):
        def handler(data):
            with changed:
                heard.append((name, data))
                changed.notify_all()
        return handler

    sio.on("post.new", got("post.new"))
    sio.on("room.closed", got("room.closed"))

    def wait(check, seconds=15):
        with changed:
            assert changed.wait_for(lambda: any(check(item) for item in heard), seconds), heard

    def call(port, method, path, body=None, who="owner"):
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode() if body is not None else None,
                                         method=method, headers={"Content-Type": "application/json", **auth(cast, who)})
        with urllib.request.urlopen(request, timeout=20) as response:
            return json.loads(response.read() or b"null")

    try:
        for port, process in zip(ports, processes):
            _wait_for_port(port, process)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30) as response:
                assert json.loads(response.read())["realtime"]["message_queue"] == "redis"
        sio.connect(f"http://127.0.0.1:{ports[0]}", auth={"token": cast.tokens["julie"]}, transports=["websocket"], wait_timeout=10)
        assert sio.call("join", {"room": room}, timeout=10) == {"ok": True, "room": room}
        before = call(ports[1], "POST", f"/api/v1/threads/{thread_id}/posts", {"body": "Avant"})["id"]
        wait(lambda item: item == ("post.new", item[1]) and item[1]["post_id"] == before)

        # The facilitator removes Julie on process B, through the members page as a person would.
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        base = f"http://127.0.0.1:{ports[1]}"

        def csrf(path):
            page = opener.open(base + path, timeout=20).read().decode()
            return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', page).group(1, 2)

        token = next(t for t in csrf("/login") if t)
        opener.open(base + "/login", data=urllib.parse.urlencode({"email": cast.emails["owner"], "password": "correct horse battery", "csrf_token": token}).encode(), timeout=20)
        token = next(t for t in csrf(f"/c/{cast.slug}/members") if t)
        opener.open(f"{base}/c/{cast.slug}/members/{_membership_id(app, cast, 'julie')}/remove", data=urllib.parse.urlencode({"csrf_token": token}).encode(), timeout=20)
        wait(lambda item: item == ("room.closed", {"room": room}))

        after = call(ports[1], "POST", f"/api/v1/threads/{thread_id}/posts", {"body": "Après"})["id"]
        time.sleep(1.0)  # what would have reached her has had the time to
        with changed:
            assert not [data for name, data in heard if name == "post.new" and data["post_id"] == after]
    finally:
        if sio.connected:
            sio.disconnect()
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
