"""Socket.IO: connections need a session (or token); rooms are joined through access."""
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
