"""A community with a facilitator, two members (one reading English), a guest, an observer and an outsider."""

import http.server
import threading
import time

import pytest
import sqlalchemy as sa

from tests.conftest import auth, login, make_cast  # noqa: F401  (auth: for this feature's tests)


@pytest.fixture
def cast(app, factory):
    people = {
        "facilitator": factory.user("Sophie Gagnon", organization="Ville de Montréal"),
        "julie": factory.user("Julie Roy", organization="Ville de Lévis"),
        "karim": factory.user("Karim Benali", organization="Ville de Laval", locale="en"),
        "guest": factory.user("Nadia Lavoie", organization="Ministère de l'Économie"),
        "observer": factory.user("Luc Pelletier", organization="TIESS"),
        "outsider": factory.user("Xavier Roy"),
    }
    return make_cast(factory, people, "facilitator", "CP Économie sociale municipale", {"julie": "member", "karim": "member", "guest": "guest", "observer": "observer"})


def start_thread(client, cast, who="julie", title="Approvisionnement responsable", body="Qui a une politique d'achat ?", **extra):
    response = client.post(f"/api/v1/communities/{cast.slug}/threads", json={"title": title, "body": body, **extra}, headers=auth(cast, who))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["id"]


def post_reply(client, cast, thread_id, body, who="karim"):
    response = client.post(f"/api/v1/threads/{thread_id}/posts", json={"body": body}, headers=auth(cast, who))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["id"]


def emails(app):
    from hub.extensions import db
    from hub.notifications.models import OutgoingEmail

    with app.app_context():
        return [
            {"to": m.recipient, "subject": m.subject, "body": m.body_text}
            for m in db.session.execute(sa.select(OutgoingEmail).order_by(OutgoingEmail.id)).scalars()
        ]


def signed_in(app, cast, who):
    """A browser of its own for one person of the cast (``"anonymous"``: nobody signed in)."""
    client = app.test_client()
    if who != "anonymous":
        login(client, cast.emails[who])
    return client


def thread_page(app, cast, thread_id, who="karim"):
    return signed_in(app, cast, who).get(f"/threads/{thread_id}").get_data(as_text=True)


def answer(handler, body, content_type="text/html; charset=utf-8", length=True, drip=0.0):
    """Send ``body`` with 200 from a request handler: its length announced unless ``length`` is false,
    then all at once or, with ``drip``, a byte every ``drip`` seconds; a client that hung up is fine."""
    handler.send_response(200)
    handler.send_header("Content-Type", content_type)
    if length:
        handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    try:
        if not drip:
            handler.wfile.write(body)
            return
        for index in range(len(body)):
            handler.wfile.write(body[index:index + 1])
            handler.wfile.flush()
            time.sleep(drip)
    except OSError:
        pass


def serve_on_loopback(handler):
    """A real HTTP server on a free loopback port answering with ``handler``: yields its address."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    handler.hits = []
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
