"""With HUB_WORKER=external the web process posts at once and leaves the link's card to the worker:
the post is saved without waiting for the site, the worker's job reads the card, fills the filed
resource's title, and open pages of the thread hear of it."""
import http.server
import re

import pytest

from tests.discussions.conftest import answer, auth, cast, serve_on_loopback, start_thread, thread_page  # noqa: F401  (cast is a fixture)
from tests.discussions.test_preview_images import PHOTO


class _Site(http.server.BaseHTTPRequestHandler):
    hits = []

    def do_GET(self):  # noqa: N802
        _Site.hits.append(self.path)
        if self.path == "/fiche":
            answer(self, b'<!doctype html><html><head><meta charset="utf-8"><title>Fiche habitation</title>'
                         b'<meta property="og:description" content="Un r\xc3\xa8glement municipal.">'
                         b'<meta property="og:image" content="/photo.png"></head><body>x</body></html>')
        elif self.path == "/photo.png":
            answer(self, PHOTO, "image/png")
        else:
            self.send_error(404)

    def log_message(self, *args):
        pass


@pytest.fixture
def site():
    yield from serve_on_loopback(_Site)


@pytest.mark.config(LINK_PREVIEW_ALLOW_PRIVATE=True, LINK_PREVIEW_TIMEOUT=3.0, WORKER="external")
def test_the_worker_reads_the_card_of_a_posted_link(app, client, cast, site):  # noqa: F811
    from hub import worker
    from hub.extensions import db, socketio
    from tests.conftest import login

    thread_id = start_thread(client, cast, body=f"Voir {site}/fiche")
    assert _Site.hits == []  # the web process did not wait for the site
    page = thread_page(app, cast, thread_id)
    assert f'href="{site}/fiche"' in page and "Fiche habitation" not in page
    resources = client.get(f"/api/v1/communities/{cast.slug}/resources", headers=auth(cast, "julie")).get_json()
    assert [r["title"] for r in resources["resources"]] == [f"{site}/fiche"]

    http_client = app.test_client()
    login(http_client, cast.emails["karim"])
    listener = socketio.test_client(app, flask_test_client=http_client)
    assert listener.emit("join", {"room": f"thread:{thread_id}"}, callback=True)["ok"]
    listener.get_received()

    with app.app_context():
        ran = worker.run_due(app, {})
        db.session.remove()
    assert "link-previews" in ran
    assert _Site.hits == ["/fiche", "/photo.png"]
    page = thread_page(app, cast, thread_id)
    assert "Fiche habitation" in page and "Un règlement municipal." in page
    assert re.search(r'<img class="link-card-image" src="/link-previews/\d+/image', page)
    resources = client.get(f"/api/v1/communities/{cast.slug}/resources", headers=auth(cast, "julie")).get_json()
    assert [r["title"] for r in resources["resources"]] == ["Fiche habitation"]
    assert [m["name"] for m in listener.get_received()] == ["post.edited"]

    with app.app_context():  # read once: the next pass has nothing to fetch
        worker.run_due(app, {})
        db.session.remove()
    assert _Site.hits == ["/fiche", "/photo.png"]


@pytest.mark.config(LINK_PREVIEW_ALLOW_PRIVATE=True, LINK_PREVIEW_TIMEOUT=3.0)
def test_a_web_process_running_its_own_jobs_reads_the_card_with_the_post(app, client, cast, site):  # noqa: F811
    thread_id = start_thread(client, cast, body=f"Voir {site}/fiche")
    assert _Site.hits == ["/fiche", "/photo.png"]
    assert "Fiche habitation" in thread_page(app, cast, thread_id)
