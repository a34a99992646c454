"""Link preview images: a page's og:image is fetched through the same guarded fetcher as the page,
kept only when its bytes are a PNG, JPEG, GIF or WebP image within the size cap, stored once in the
instance folder, and served by the hub to those who read the thread. A refused image leaves the
card without one; the post is never lost or held up."""
import hashlib
import http.server
import io
import os
import re
import time
from pathlib import Path

import pytest
from PIL import Image

from tests.discussions.conftest import answer, auth, cast, serve_on_loopback, signed_in, start_thread, thread_page  # noqa: F401  (cast is a fixture)


def _image(fmt, size, color=(30, 120, 90)):
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt)
    return out.getvalue()


PHOTO = _image("PNG", (40, 30))
LARGE = _image("JPEG", (2400, 1600))
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"
HUGE = b"\x89PNG\r\n\x1a\n" + os.urandom(3 * 1024 * 1024)

IMAGES = {
    "/img/photo.png": ("image/png", PHOTO),
    "/img/copy.png": ("image/png", PHOTO),  # the same bytes at another address
    "/img/large.jpg": ("image/jpeg", LARGE),
    "/img/huge.png": ("image/png", HUGE),
    "/img/huge-unsized.png": ("image/png", HUGE),  # sent without Content-Length
    "/img/page.png": ("image/png", HTML),  # an HTML page calling itself image/png
    "/img/drawing.svg": ("image/svg+xml", SVG),
    "/img/drawing.png": ("image/png", SVG),  # SVG calling itself image/png
    "/img/slow.png": ("image/png", PHOTO),  # one byte at a time
}

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Fiche NAME</title>
<meta property="og:description" content="Une bonne pratique municipale.">
<meta property="og:image" content="/img/NAME"></head><body>Bonjour</body></html>"""


class _Handler(http.server.BaseHTTPRequestHandler):
    hits = []

    def do_GET(self):  # noqa: N802
        _Handler.hits.append(self.path)
        if self.path.startswith("/page/"):
            kind, body = "text/html; charset=utf-8", PAGE.replace("NAME", self.path[len("/page/"):]).encode()
        elif self.path in IMAGES:
            kind, body = IMAGES[self.path]
        else:
            self.send_error(404)
            return
        slow = self.path == "/img/slow.png"  # about 10 s for the whole image
        answer(self, body, kind, length=self.path != "/img/huge-unsized.png", drip=0.1 if slow else 0.0)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    yield from serve_on_loopback(_Handler)


def _image_sources(page):
    return re.findall(r'<img class="link-card-image" src="([^"]+)"', page)


def _kept(app):
    folder = Path(app.instance_path) / "link-previews"
    return sorted(p.name for p in folder.glob("*/*") if not p.name.startswith(".")) if folder.is_dir() else []


# Loopback allowed (the "remote" site is a local server), and time enough for a busy test machine.
LOOPBACK = pytest.mark.config(LINK_PREVIEW_ALLOW_PRIVATE=True, LINK_PREVIEW_TIMEOUT=3.0)


@LOOPBACK
def test_the_image_is_kept_and_served_to_those_who_read_the_thread(app, client, cast, server):  # noqa: F811
    thread_id = start_thread(client, cast, body=f"La fiche : {server}/page/photo.png")
    assert _Handler.hits == ["/page/photo.png", "/img/photo.png"]
    page = thread_page(app, cast, thread_id)
    (src,) = _image_sources(page)
    assert re.search(r'<img class="link-card-image" src="[^"]+" alt="" width="40" height="30"', page)
    assert src.startswith("/link-previews/")

    for who in ("karim", "observer", "guest", "facilitator"):
        response = signed_in(app, cast, who).get(src)
        assert response.status_code == 200, who
        assert response.mimetype == "image/png" and response.data == PHOTO
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "private" in response.headers["Cache-Control"] and "max-age=31536000" in response.headers["Cache-Control"]
        assert "sandbox" in response.headers["Content-Security-Policy"]
    again = signed_in(app, cast, "karim").get(src, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert _kept(app) == [hashlib.sha256(PHOTO).hexdigest()]

    assert signed_in(app, cast, "outsider").get(src).status_code == 404  # as for the private community's threads
    assert signed_in(app, cast, "anonymous").get(src).status_code == 404
    attachment_id = int(src.split("/")[2])
    assert signed_in(app, cast, "karim").get(f"/link-previews/{attachment_id + 1000}/image").status_code == 404

    thread = client.get(f"/api/v1/threads/{thread_id}", headers=auth(cast, "karim")).get_json()
    (card,) = thread["posts"][0]["attachments"]
    assert card["image"] == "http://localhost" + src
    outsider = client.get(card["image"].replace("http://localhost", ""), headers=auth(cast, "outsider"))
    assert outsider.status_code == 404


@LOOPBACK
def test_a_large_image_is_scaled_down(app, client, cast, server):  # noqa: F811
    thread_id = start_thread(client, cast, body=f"{server}/page/large.jpg")
    page = thread_page(app, cast, thread_id)
    (src,) = _image_sources(page)
    assert 'width="1200" height="800"' in page
    response = signed_in(app, cast, "julie").get(src)
    assert response.mimetype == "image/jpeg"
    with Image.open(io.BytesIO(response.data)) as image:
        assert image.format == "JPEG" and image.size == (1200, 800)


@LOOPBACK
def test_refused_images_leave_the_card_without_an_image(app, client, cast, server):  # noqa: F811
    oversized = start_thread(client, cast, title="Trop lourd", body=f"{server}/page/huge.png et {server}/page/huge-unsized.png")
    pretending = start_thread(client, cast, title="Déguisés",
                              body=f"{server}/page/page.png {server}/page/drawing.svg {server}/page/drawing.png")
    for name in ("huge.png", "huge-unsized.png", "page.png", "drawing.svg", "drawing.png"):
        assert f"/img/{name}" in _Handler.hits  # asked for, then refused
    for thread_id, cards in ((oversized, 2), (pretending, 3)):
        page = thread_page(app, cast, thread_id)
        assert page.count('data-testid="link-card"') == cards and "Fiche" in page
        assert 'data-testid="link-card-image"' not in page
    assert _kept(app) == []


@pytest.mark.config(LINK_PREVIEW_ALLOW_PRIVATE=True, LINK_PREVIEW_TIMEOUT=1.0)
def test_a_slow_image_does_not_hold_the_post(app, client, cast, server):  # noqa: F811
    started = time.monotonic()
    thread_id = start_thread(client, cast, body=f"{server}/page/slow.png")
    # The page's timeout, then the image's (1 s each), with room for a busy machine; far from the 10 s
    # the image takes to arrive whole.
    assert time.monotonic() - started < 6.0
    page = thread_page(app, cast, thread_id)
    assert 'data-testid="link-card"' in page and "Fiche slow.png" in page and 'data-testid="link-card-image"' not in page


def test_no_image_from_private_addresses_by_default(app, server):
    from hub.discussions import previews

    port = server.rsplit(":", 1)[1]
    with app.test_request_context():
        for url in (f"{server}/img/photo.png", f"http://localhost:{port}/img/photo.png", f"http://[::1]:{port}/img/photo.png",
                    "http://169.254.169.254/latest/meta-data/image.png", "http://10.0.0.1/image.png", "file:///etc/passwd"):
            assert previews.fetch_image(url) is None, url
        assert _Handler.hits == []
        app.config["LINK_PREVIEW_ALLOW_PRIVATE"] = True
        image = previews.fetch_image(f"{server}/img/photo.png")
        assert image is not None and image.mimetype == "image/png" and (image.width, image.height) == (40, 30)


@LOOPBACK
def test_an_image_is_kept_once_and_goes_with_its_last_card(app, client, cast, server, monkeypatch):  # noqa: F811
    from hub.discussions import images

    monkeypatch.setattr(images, "GRACE_SECONDS", 0)
    first = start_thread(client, cast, title="Premier", body=f"{server}/page/photo.png")
    second = start_thread(client, cast, title="Second", body=f"{server}/page/copy.png")
    (first_src,), (second_src,) = _image_sources(thread_page(app, cast, first)), _image_sources(thread_page(app, cast, second))
    assert first_src != second_src and len(_kept(app)) == 1

    first_post = client.get(f"/api/v1/threads/{first}", headers=auth(cast, "julie")).get_json()["posts"][0]
    assert client.delete(f"/api/v1/posts/{first_post['id']}", headers=auth(cast, "julie")).status_code in (200, 204)
    assert signed_in(app, cast, "karim").get(first_src).status_code in (403, 404)
    assert signed_in(app, cast, "karim").get(second_src).status_code == 200
    assert len(_kept(app)) == 1  # the second card still shows it

    reader = signed_in(app, cast, "julie")
    second_post = reader.get(f"/api/v1/threads/{second}", headers=auth(cast, "julie")).get_json()["posts"][0]
    assert reader.post(f"/posts/{second_post['id']}/delete").status_code == 302
    assert _kept(app) == []
    assert 'data-testid="link-card-image"' not in thread_page(app, cast, second)


@LOOPBACK
def test_the_sweep_removes_files_no_card_shows(app, client, cast, server):  # noqa: F811
    from hub.discussions import images

    start_thread(client, cast, body=f"{server}/page/photo.png")
    (shown,) = _kept(app)
    folder = Path(app.instance_path) / "link-previews"
    orphan = folder / "ab" / ("ab" + "0" * 62)
    fresh = folder / "cd" / ("cd" + "1" * 62)
    leftover = folder / "ab" / ".tmp-interrupted"
    for path in (orphan, fresh, leftover):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(PHOTO)
    old = time.time() - images.GRACE_SECONDS - 60
    for path in (orphan, leftover, folder / shown[:2] / shown):
        os.utime(path, (old, old))
    with app.app_context():
        assert images.sweep() == 2
    assert _kept(app) == sorted([shown, fresh.name])  # a recent file may be a post's still being written
    assert not leftover.exists()
