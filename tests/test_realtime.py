"""Socket.IO: connections need a session (or token); rooms are joined through access."""
import uuid

import pytest

from tests.conftest import login


def _socket(app, flask_client=None, auth=None):
    from hub.extensions import socketio

    return socketio.test_client(app, flask_test_client=flask_client, auth=auth)


def test_anonymous_socket_is_refused(app):
    assert not _socket(app).is_connected()


def test_member_joins_community_room_outsider_cannot(app, factory):
    _fid, facilitator = factory.user()
    _oid, outsider = factory.user()
    slug = factory.community(facilitator)
    member_http = app.test_client()
    login(member_http, facilitator)
    member = _socket(app, member_http)
    assert member.is_connected()
    assert member.emit("join", {"room": f"community:{slug}"}, callback=True) == {"ok": True, "room": f"community:{slug}"}

    outsider_http = app.test_client()
    login(outsider_http, outsider)
    stranger = _socket(app, outsider_http)
    assert stranger.is_connected()
    assert stranger.emit("join", {"room": f"community:{slug}"}, callback=True)["ok"] is False
    assert stranger.emit("join", {"room": 42}, callback=True)["ok"] is False


def test_api_token_authenticates_a_socket(app, factory):
    _id, email = factory.user()
    token = factory.token(email)
    assert _socket(app, auth={"token": token}).is_connected()
    assert not _socket(app, auth={"token": "hub_not-a-token"}).is_connected()


def test_socket_connections_from_another_site_are_refused(app):
    """The page's own origin (whatever host name it was opened with) and the public address
    connect; a page of another site cannot open a socket with the visitor's cookies."""
    from hub import _socket_origin_check

    allowed = _socket_origin_check(app)
    own = {"HTTP_HOST": "localhost:5077", "wsgi.url_scheme": "http"}
    assert allowed("http://localhost:5077", own)
    assert allowed(app.config["BASE_URL"].rstrip("/"), own)
    assert not allowed("http://evil.example", own)
    assert not allowed("https://localhost:5077", own)
    assert not allowed(None, own)
    assert not allowed("http://localhost:5077", {})


def _events(sock, name):
    return [e["args"][0] for e in sock.get_received() if e["name"] == name]


def test_room_events_leave_before_the_unread_counts(app, factory):
    """A post's room hears of it first; the personal events with unread counts follow, all counted
    in one query."""
    from hub.realtime import emit_after_commit
    from hub.extensions import db

    _fid, facilitator = factory.user()
    token = factory.token(facilitator)
    sock = _socket(app, auth={"token": token})
    sock.get_received()
    with app.app_context():
        from hub.accounts import service as accounts

        user_id = accounts.find_by_email(facilitator).id
        emit_after_commit(f"user:{user_id}", "notification", {"title": "Un"}, count_for=user_id)
        emit_after_commit(f"user:{user_id}", "post.new", {"post_id": 1})
        emit_after_commit(f"user:{user_id}", "notification", {"title": "Deux"}, count_for=user_id)
        db.session.commit()
    received = sock.get_received()
    assert [e["name"] for e in received] == ["post.new", "notification", "notification"]
    assert [e["args"][0]["title"] for e in received[1:]] == ["Un", "Deux"]
    assert all(e["args"][0]["unread"] == 0 for e in received[1:])


def test_redis_presence_forgets_a_stopped_process(app):
    """Two processes' entries in one room; the entries of a process whose heartbeat key is gone
    (a crash: the key expires) are left out and removed, and a clean stop removes them at once."""
    from tests.conftest import REDIS_URL, service_missing

    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception:
        service_missing(f"Redis unreachable at {REDIS_URL}")
    from hub.realtime import RedisPresence, present

    room = f"thread:test-{uuid.uuid4().hex}"
    one, two = RedisPresence(REDIS_URL), RedisPresence(REDIS_URL)
    try:
        one.add(room, "sid-a", 1, "Julie Roy")
        two.add(room, "sid-b", 2, "Karim Benali")
        two.add(room, "sid-c", 2, "Karim Benali")  # a second tab: listed once
        assert present(room, one) == present(room, two) == ["Julie Roy", "Karim Benali"]
        two.remove(room, "sid-c")
        assert present(room, one) == ["Julie Roy", "Karim Benali"]
        # A crash: the heartbeat stops and the key expires.
        two._stopped.set()
        one.redis.delete(two._process_key(two.process))
        assert present(room, one) == ["Julie Roy"]
        assert set(one.redis.hkeys(RedisPresence.PREFIX + room)) == {b"sid-a"}
        one.close()
        assert present(room, two) == []
    finally:
        one.close()
        two.close()
        one.redis.delete(RedisPresence.PREFIX + room)
