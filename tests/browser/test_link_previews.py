"""A link preview card with its image on a 390 px wide phone: the image loads from the hub (the
Content-Security-Policy allows no other source), fits the screen, and the page passes an axe scan."""
import http.server
import io
import threading

import pytest
from PIL import Image
from playwright.sync_api import expect

from .conftest import log_in
from .test_accessibility import BLOCKING, describe, scan

pytestmark = pytest.mark.browser


def _wide_png():
    out = io.BytesIO()
    Image.new("RGB", (1100, 500), (30, 120, 90)).save(out, "PNG")
    return out.getvalue()


WIDE = _wide_png()
PAGE = b"""<!doctype html><html><head><meta charset="utf-8"><title>Guide de l'approvisionnement responsable</title>
<meta property="og:description" content="Comment une ville ach\xc3\xa8te local et social.">
<meta property="og:image" content="/couverture.png"></head><body>Bonjour</body></html>"""


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        kind, body = ("image/png", WIDE) if self.path == "/couverture.png" else ("text/html; charset=utf-8", PAGE)
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def remote_site():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_preview_image_fits_a_phone_screen(live_server, new_context, remote_site):
    live_server.app.config["LINK_PREVIEW_ALLOW_PRIVATE"] = True  # the "remote" site is on loopback
    factory = live_server.factory()
    _jid, julie = factory.user("Julie Roy", organization="Ville de Lévis")
    slug = factory.community(julie, "CP Économie sociale municipale")

    phone = new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True).new_page()
    log_in(phone, julie)
    phone.goto(f"/c/{slug}/discussions/new")
    form = phone.get_by_test_id("thread-form")
    form.locator("#title").fill("Approvisionnement responsable")
    form.locator("#body").fill(f"Voyez ce guide : {remote_site}/guide")
    with phone.expect_navigation():
        form.locator("[type=submit]").click()
    thread_path = phone.url.replace(live_server.url, "")

    image = phone.get_by_test_id("link-card-image")
    image.scroll_into_view_if_needed()
    expect(image).to_be_visible()
    assert image.get_attribute("alt") == ""
    phone.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    assert image.evaluate("img => img.naturalWidth") == 1100
    box = image.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    checker = new_context(bypass_csp=True, viewport={"width": 390, "height": 844}).new_page()  # only for the axe scan
    log_in(checker, julie)
    checker.goto(thread_path)
    violations = [v for v in scan(checker) if v["impact"] in BLOCKING]
    assert not violations, "\n".join(describe(thread_path, violations))
