"""Nothing shared is lost: links get preview cards (read server-side, carefully) and, like files
dropped in, are filed in the community's resources pointing back to the discussion."""
import http.server
import io
import threading
import time

import pytest

from tests.conftest import login
from tests.discussions.conftest import answer, auth, cast, serve_on_loopback, start_thread, thread_page  # noqa: F401  (cast is a fixture)

PAGE = """<!doctype html><html><head><meta charset="utf-8">
<title>Titre de secours</title>
<meta property="og:title" content="Guide de l&#39;approvisionnement responsable">
<meta property="og:description" content="Comment une ville achète local et social.">
<meta property="og:image" content="/images/couverture.png">
</head><body>Bonjour</body></html>"""


class _Handler(http.server.BaseHTTPRequestHandler):
    hits = []
    release = threading.Event()  # what /held waits for (10 s at most)

    def do_GET(self):  # noqa: N802
        _Handler.hits.append(self.path)
        if self.path == "/slow":
            time.sleep(3)
        if self.path == "/held":
            _Handler.release.wait(10)
        if self.path == "/drip":  # the headers at once, then the page a byte at a time
            answer(self, PAGE.encode(), drip=0.05)
            return
        if self.path == "/huge":
            body = b"<html><head>" + b" " * (800 * 1024) + b"<title>Trop loin</title></head></html>"
        elif self.path == "/redirect-private":
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:1/secret")
            self.end_headers()
            return
        else:
            body = PAGE.encode()
        answer(self, body)

    def log_message(self, *args):
        pass


@pytest.fixture
def page_server():
    yield from serve_on_loopback(_Handler)


def test_no_request_to_loopback_addresses_by_default(app, client, cast, page_server):  # noqa: F811
    thread_id = start_thread(client, cast, body=f"Lien interne : {page_server}/guide")
    assert _Handler.hits == []
    page = thread_page(app, cast, thread_id)
    assert 'data-testid="link-card"' in page and "Guide de" not in page and f"{page_server}/guide" in page


@pytest.mark.config(LINK_PREVIEW_ALLOW_PRIVATE=True, LINK_PREVIEW_TIMEOUT=1.0)
def test_link_preview_card_and_the_link_filed_as_a_resource(app, client, cast, page_server):  # noqa: F811
    thread_id = start_thread(client, cast, body=f"Voyez ce guide : {page_server}/guide.")
    assert _Handler.hits == ["/guide", "/images/couverture.png"]  # the image is an HTML page here: no image on the card
    page = thread_page(app, cast, thread_id)
    assert "Guide de l&#39;approvisionnement responsable" in page and "Comment une ville achète local et social." in page
    assert f'href="{page_server}/guide"' in page
    resources = client.get(f"/api/v1/communities/{cast.slug}/resources", headers=auth(cast, "karim")).get_json()
    (filed,) = [r for r in resources["resources"] if r.get("url") == f"{page_server}/guide"] if "resources" in resources else [None]
    assert filed is not None and filed["title"] == "Guide de l'approvisionnement responsable"
    full = client.get(f"/api/v1/resources/{filed['id']}", headers=auth(cast, "karim")).get_json()
    assert f"http://localhost/threads/{thread_id}" in full["summary"]

    started = time.monotonic()
    slow = start_thread(client, cast, title="Lent", body=f"{page_server}/slow et {page_server}/huge et {page_server}/redirect-private")
    assert time.monotonic() - started < 3.0 + 2.5
    page = thread_page(app, cast, slow)
    assert page.count('data-testid="link-card"') == 3 and "Trop loin" not in page


@pytest.mark.config(LINK_PREVIEW_ALLOW_PRIVATE=True, LINK_PREVIEW_TIMEOUT=1.0)
def test_a_page_sent_a_byte_at_a_time_does_not_hold_the_post(app, client, cast, page_server):  # noqa: F811
    started = time.monotonic()
    thread_id = start_thread(client, cast, body=f"Voyez {page_server}/drip")
    # The whole request is bounded by the 1 s timeout, not each read: far from the 17 s the page takes
    # to arrive whole, with room for a busy machine.
    assert time.monotonic() - started < 6.0
    page = thread_page(app, cast, thread_id)
    assert 'data-testid="link-card"' in page and "Guide de" not in page


@pytest.mark.config(LINK_PREVIEW_ALLOW_PRIVATE=True, LINK_PREVIEW_TIMEOUT=8.0)
def test_a_post_waiting_for_a_slow_site_does_not_hold_the_others(app, client, cast, page_server):  # noqa: F811
    """Link cards are read before the post writes anything: while one waits for a slow site, the
    others post (SQLite writes one at a time; on PostgreSQL they would wait on the community)."""
    other = start_thread(client, cast, title="Autre sujet")
    _Handler.release.clear()
    outcome = {}

    def slow_post():
        outcome["slow"] = app.test_client().post(f"/api/v1/communities/{cast.slug}/threads", headers=auth(cast, "julie"),
                                                 json={"title": "Lien lent", "body": f"Voyez {page_server}/held"}).status_code

    waiting = threading.Thread(target=slow_post)
    waiting.start()
    try:
        deadline = time.monotonic() + 10
        while "/held" not in _Handler.hits and time.monotonic() < deadline:
            time.sleep(0.02)
        assert "/held" in _Handler.hits
        response = app.test_client().post(f"/api/v1/threads/{other}/posts", json={"body": "Pendant ce temps, à Lévis…"}, headers=auth(cast, "karim"))
        assert response.status_code == 201
        assert waiting.is_alive(), "the slow post was still waiting for its link"
        again = app.test_client().post(f"/api/v1/threads/{other}/posts", json={"body": "Et à Gatineau ?"}, headers=auth(cast, "karim"))
        assert again.status_code == 201 and waiting.is_alive()
    finally:
        _Handler.release.set()
        waiting.join(20)
    assert outcome["slow"] == 201
    assert "Pendant ce temps" in thread_page(app, cast, other)


def test_files_dropped_in_are_attached_and_filed(app, cast):  # noqa: F811
    client = app.test_client()
    login(client, cast.emails["julie"])
    form = client.get(f"/c/{cast.slug}/discussions/new").get_data(as_text=True)
    import re

    category = re.search(r'<option[^>]*value="(\d+)"', form).group(1)
    created = client.post(f"/c/{cast.slug}/discussions/new", content_type="multipart/form-data", data={
        "title": "Bilan 2025", "body": "Le bilan est joint.", "category": category,
        "files": [(io.BytesIO("Bilan annuel de l’économie sociale à Lévis.".encode()), "bilan-2025.txt")],
    })
    assert created.status_code == 302, created.get_data(as_text=True)[:2000]
    page = client.get(created.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="file-card"' in page and "bilan-2025.txt" in page
    download = re.search(r'href="(/resources/\d+/download)"', page).group(1)
    assert "Bilan annuel" in client.get(download).get_data(as_text=True)
    filed = client.get(f"/api/v1/communities/{cast.slug}/resources", headers=auth(cast, "julie")).get_json()["resources"]
    bad = client.post(created.headers["Location"] + "/reply", content_type="multipart/form-data", data={
        "body": "Et ceci", "files": [(io.BytesIO("Compte rendu".encode()), "compte-rendu.txt"), (io.BytesIO(b"\x00\x01\x02binary"), "virus.exe")],
    })
    assert bad.status_code in (415, 422) and "Et ceci" in bad.get_data(as_text=True)
    # Nothing of the refused message is kept, not even its first file's resource.
    assert client.get(f"/api/v1/communities/{cast.slug}/resources", headers=auth(cast, "julie")).get_json()["resources"] == filed
    assert "compte-rendu.txt" not in client.get(created.headers["Location"]).get_data(as_text=True)


def test_a_guest_files_nothing_in_the_resources(app, cast):  # noqa: F811
    """Guests may not add resources: invited to a thread, their links get a card but are not filed,
    and their files are refused with a message saying why (nothing is stored)."""
    import re
    from pathlib import Path

    def resources():
        return client.get(f"/api/v1/communities/{cast.slug}/resources", headers=auth(cast, "julie")).get_json()["resources"]

    client = app.test_client()
    thread_id = start_thread(client, cast)
    julie = app.test_client()
    login(julie, cast.emails["julie"])
    assert julie.post(f"/threads/{thread_id}/invite", data={"invite-user": str(cast.ids["guest"])}).status_code == 302
    before = resources()
    uploads = Path(app.config["UPLOAD_FOLDER"])
    files_before = sorted(uploads.rglob("*")) if uploads.exists() else []

    link = "http://127.0.0.1:9/fiche-achat-local"  # a private address: a bare card, no request made
    posted = client.post(f"/api/v1/threads/{thread_id}/posts", json={"body": f"Notre fiche : {link}"}, headers=auth(cast, "guest"))
    assert posted.status_code == 201, posted.get_data(as_text=True)
    assert resources() == before
    (attachment,) = posted.get_json()["attachments"]
    assert attachment["kind"] == "link" and attachment["url"] == link and attachment["resource_id"] is None

    guest = app.test_client()
    login(guest, cast.emails["guest"])
    page = guest.get(f"/threads/{thread_id}").get_data(as_text=True)
    assert 'data-testid="reply-form"' in page and 'name="files"' not in page
    assert 'data-testid="link-card"' in page and "/resources/" not in page.split('data-testid="link-card"', 1)[1].split("</li>", 1)[0]

    refused = guest.post(f"/threads/{thread_id}/reply", content_type="multipart/form-data", data={
        "body": "Le compte rendu est joint.", "files": [(io.BytesIO("Compte rendu de la rencontre".encode()), "compte-rendu.txt")],
    })
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "Le compte rendu est joint." in text and "ressources de la communauté" in text
    assert resources() == before
    assert (sorted(uploads.rglob("*")) if uploads.exists() else []) == files_before
    assert "Le compte rendu est joint." not in guest.get(f"/threads/{thread_id}").get_data(as_text=True)

    # A member's link and file are filed as before.
    page = julie.get(f"/threads/{thread_id}").get_data(as_text=True)
    assert 'name="files"' in page
    sent = julie.post(f"/threads/{thread_id}/reply", content_type="multipart/form-data", data={
        "body": f"Voici la mienne : {link}", "files": [(io.BytesIO("Bilan de Lévis".encode()), "bilan.txt")],
    })
    assert sent.status_code == 302
    assert len(resources()) == len(before) + 2
    assert re.search(r'href="/resources/\d+/download">bilan.txt', julie.get(sent.headers["Location"], follow_redirects=True).get_data(as_text=True))
