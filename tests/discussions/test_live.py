"""Live threads over Socket.IO: rooms joined through access, posts pushed to open pages, and with
Redis, a post made through one server process reaching a client connected to another."""
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from tests.conftest import REDIS_URL, ROOT, login, service_missing
from tests.discussions.conftest import auth, cast, post_reply, start_thread  # noqa: F401  (cast is a fixture)


def _socket(app, flask_client=None, auth=None):
    from hub.extensions import socketio

    return socketio.test_client(app, flask_test_client=flask_client, auth=auth)


def _events(sock, name):
    return [e["args"][0] for e in sock.get_received() if e["name"] == name]


def test_outsider_cannot_join_a_private_threads_room(app, client, cast):  # noqa: F811
    thread_id = start_thread(client, cast)
    outsider_http = app.test_client()
    login(outsider_http, cast.emails["outsider"])
    outsider = _socket(app, outsider_http)
    assert outsider.is_connected()
    assert outsider.emit("join", {"room": f"thread:{thread_id}"}, callback=True) == {"ok": False, "error": "forbidden"}
    assert outsider.emit("join", {"room": "thread:999999"}, callback=True)["ok"] is False
    assert outsider.emit("join", {"room": "thread:abc"}, callback=True)["ok"] is False

    observer = _socket(app, auth={"token": cast.tokens["observer"]})
    assert observer.emit("join", {"room": f"thread:{thread_id}"}, callback=True) == {"ok": True, "room": f"thread:{thread_id}"}
    observer.get_received()
    outsider.get_received()

    post_id = post_reply(client, cast, thread_id, "Nouvelle en direct : le règlement est adopté !")
    (event,) = _events(observer, "post.new")
    assert event["post_id"] == post_id and "le règlement est adopté" in event["body_html"] and event["author"] == "Karim Benali"
    assert _events(outsider, "post.new") == []

    # The page fetches the post as the reader sees it.
    observer_http = app.test_client()
    login(observer_http, cast.emails["observer"])
    fragment = observer_http.get(event["fragment_url"])
    assert fragment.status_code == 200 and f'id="post-{post_id}"' in fragment.get_data(as_text=True)
    assert outsider_http.get(event["fragment_url"]).status_code == 404

    client.put(f"/api/v1/posts/{post_id}", json={"body": "Corrigé : le règlement sera adopté en mai."}, headers=auth(cast, "karim"))
    karim_http = app.test_client()
    login(karim_http, cast.emails["karim"])
    karim_http.post(f"/posts/{post_id}/react", data={"emoji": "🎉"})  # Karim reacts to his own news
    received = observer.get_received()
    names = [e["name"] for e in received]
    assert "post.edited" in names and "post.reactions" in names
    reactions = next(e["args"][0] for e in received if e["name"] == "post.reactions")
    assert reactions["reactions"] == {"🎉": {"count": 1, "mine": False}}


def _wait_for(sock, name, check, seconds=5):
    """The first ``name`` event whose data passes ``check``, waiting up to ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for data in _events(sock, name):
            if check(data):
                return data
        time.sleep(0.05)
    raise AssertionError(f"no {name} event as expected within {seconds} s")


def test_who_is_here(app, client, cast, monkeypatch):  # noqa: F811
    from hub import realtime

    monkeypatch.setattr(realtime, "PRESENCE_INTERVAL", 0.2)
    thread_id = start_thread(client, cast)
    room = f"thread:{thread_id}"
    julie = _socket(app, auth={"token": cast.tokens["julie"]})
    assert julie.emit("who", {"room": room}, callback=True)["ok"] is False  # not in the room yet
    julie.emit("join", {"room": room}, callback=True)
    karim = _socket(app, auth={"token": cast.tokens["karim"]})
    karim.emit("join", {"room": room}, callback=True)
    # The list goes to the room on each join (at most once per interval and room).
    _wait_for(julie, "presence", lambda d: d["room"] == room and d["people"] == ["Julie Roy", "Karim Benali"])
    assert julie.emit("who", {"room": room}, callback=True) == {"ok": True, "room": room, "people": ["Julie Roy", "Karim Benali"]}
    karim.disconnect()
    _wait_for(julie, "presence", lambda d: d["people"] == ["Julie Roy"])
    assert julie.emit("who", {"room": room}, callback=True) == {"ok": True, "room": room, "people": ["Julie Roy"]}
    # Leaving the room (the page closed while the socket stays) takes one off the list too.
    luc = _socket(app, auth={"token": cast.tokens["observer"]})
    luc.emit("join", {"room": room}, callback=True)
    _wait_for(julie, "presence", lambda d: d["people"] == ["Julie Roy", "Luc Pelletier"])
    luc.emit("leave", {"room": room}, callback=True)
    _wait_for(julie, "presence", lambda d: d["people"] == ["Julie Roy"])


def test_presence_lists_are_coalesced(app, client, cast, monkeypatch):  # noqa: F811
    """Pages opening together do not each send the list to every open page: the room gets it at once
    for the first, then once per interval (500 pages would otherwise mean 125 000 messages)."""
    from hub import realtime

    monkeypatch.setattr(realtime, "PRESENCE_INTERVAL", 0.3)
    thread_id = start_thread(client, cast)
    room = f"thread:{thread_id}"
    first = _socket(app, auth={"token": cast.tokens["julie"]})
    started = time.monotonic()
    first.emit("join", {"room": room}, callback=True)
    for who in ["karim", "observer"] * 10:
        _socket(app, auth={"token": cast.tokens[who]}).emit("join", {"room": room}, callback=True)
    intervals = (time.monotonic() - started) / realtime.PRESENCE_INTERVAL
    time.sleep(0.6)
    lists = _events(first, "presence")
    assert 2 <= len(lists) <= 2 + intervals, (len(lists), intervals)
    assert lists[-1]["people"] == ["Julie Roy", "Karim Benali", "Luc Pelletier"]


def test_live_unread_badge(app, client, cast):  # noqa: F811
    karim = _socket(app, auth={"token": cast.tokens["karim"]})
    karim.get_received()
    start_thread(client, cast, body="Une question pour @karim-benali")
    (event,) = _events(karim, "notification")
    assert event["unread"] == 1 and event["title"] == "Approvisionnement responsable"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port, process, timeout=40):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server on port {port} stopped: {process.stdout.read().decode(errors='replace')[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"server on port {port} did not start")


def _redis_available():
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
        return True
    except Exception:
        return False


# The two ways the hub is served: `make run` (Werkzeug, a thread per connection) and the README's
# production server (gunicorn's gevent worker, where Socket.IO runs in gevent mode).
SERVERS = {
    "make-run": lambda port: [sys.executable, "-m", "flask", "--app", "wsgi", "hub", "serve", "--host", "127.0.0.1", "--port", str(port)],
    "gunicorn-gevent": lambda port: [sys.executable, "-m", "gunicorn", "--worker-class", "gevent", "--workers", "1",
                                     "--bind", f"127.0.0.1:{port}", "wsgi:app"],
}


@pytest.mark.parametrize("server", sorted(SERVERS))
def test_two_server_processes_share_posts_and_presence_through_redis(app, client, cast, tmp_path, server):  # noqa: F811
    """A post made through one process reaches a client of the other; people connected to either
    process see each other in the thread's "who is here" list, and see one go when it leaves."""
    if not _redis_available():
        service_missing(f"Redis unreachable at {REDIS_URL}")
    import redis
    import socketio as socketio_client

    store = redis.Redis.from_url(REDIS_URL)
    for key in store.scan_iter("hub:presence:*"):  # left by an earlier run's processes (the room names repeat)
        store.delete(key)
    thread_id = start_thread(client, cast)
    room = f"thread:{thread_id}"
    database_url = app.config["SQLALCHEMY_DATABASE_URI"]
    ports = [_free_port(), _free_port()]
    processes = []
    for port in ports:
        env = {
            **os.environ, "HUB_DATABASE_URL": database_url, "HUB_REDIS_URL": REDIS_URL, "HUB_SECRET_KEY": app.config["SECRET_KEY"],
            "HUB_INSTANCE_PATH": str(tmp_path / f"instance-{port}"), "HUB_BASE_URL": f"http://127.0.0.1:{port}",
            "HUB_SEARCH_INDEX_PATH": str(tmp_path / f"index-{port}"), "HUB_UPLOAD_FOLDER": str(tmp_path / "uploads"),
        }
        env.pop("HUB_MAIL_SERVER", None)
        processes.append(subprocess.Popen(
            SERVERS[server](port),
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        ))

    class Listener:
        def __init__(self, token, port):
            self.sio = socketio_client.Client(reconnection=False)
            self.port, self.token = port, token
            self.posts, self.presence = [], []
            self.changed = threading.Condition()
            self.sio.on("post.new", lambda data: self._got(self.posts, data))
            self.sio.on("presence", lambda data: self._got(self.presence, data))

        def _got(self, into, data):
            with self.changed:
                into.append(data)
                self.changed.notify_all()

        def join(self):
            self.sio.connect(f"http://127.0.0.1:{self.port}", auth={"token": self.token}, transports=["websocket"], wait_timeout=10)
            assert self.sio.call("join", {"room": room}, timeout=10) == {"ok": True, "room": room}

        def wait(self, into, check, seconds=15):
            with self.changed:
                assert self.changed.wait_for(lambda: any(check(d) for d in into), seconds), into

    observer = Listener(cast.tokens["observer"], ports[0])  # Luc Pelletier, on the first process
    julie = Listener(cast.tokens["julie"], ports[1])  # on the second
    try:
        import json
        import urllib.request

        for port, process in zip(ports, processes):
            _wait_for_port(port, process)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=20) as response:
                health = json.loads(response.read())
            assert health["realtime"] == {"mode": "gevent" if server == "gunicorn-gevent" else "threading", "message_queue": "redis"}
        observer.join()
        julie.join()
        both = ["Julie Roy", "Luc Pelletier"]
        observer.wait(observer.presence, lambda d: d["room"] == room and d["people"] == both)
        julie.wait(julie.presence, lambda d: d["room"] == room and d["people"] == both)
        assert observer.sio.call("who", {"room": room}, timeout=10) == {"ok": True, "room": room, "people": both}

        request = urllib.request.Request(
            f"http://127.0.0.1:{ports[1]}/api/v1/threads/{thread_id}/posts",
            data=json.dumps({"body": "Envoyé par le second serveur"}).encode(), method="POST",
            headers={"Content-Type": "application/json", **auth(cast, "karim")},
        )
        with urllib.request.urlopen(request, timeout=20) as response:
            assert response.status == 201
            post_id = json.loads(response.read())["id"]
        observer.wait(observer.posts, lambda d: d["post_id"] == post_id)
        assert "Envoyé par le second serveur" in observer.posts[-1]["body_html"]

        with observer.changed:
            del observer.presence[:]  # the list sent when Luc came in alone is not the one after Julie leaves
        julie.sio.disconnect()
        observer.wait(observer.presence, lambda d: d["people"] == ["Luc Pelletier"])
        assert observer.sio.call("who", {"room": room}, timeout=10)["people"] == ["Luc Pelletier"]
    finally:
        for listener in (observer, julie):
            if listener.sio.connected:
                listener.sio.disconnect()
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
