"""The resource repository in a browser: upload a French PDF (with and without JavaScript), find it
by words typed without accents, open it from the results and download the very same file."""
import io
import os
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .conftest import log_in, register
from .test_accessibility import BLOCKING, describe, scan

pytestmark = pytest.mark.browser

LINES = [
    "Politique d'approvisionnement responsable : l'économie sociale à Sherbrooke",
    "Bilan préparé par la conseillère en développement économique, été 2024.",
]
FILENAME = "politique-économie-sociale-Sherbrooke.pdf"
FACILITATOR = "rosalie@exemple.ca"
RESOURCE_PATH = re.compile(r"/resources/\d+$")


def _pdf_string(text):
    raw = text.encode("cp1252")  # WinAnsiEncoding: é, è, à... are one byte each
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def make_pdf(lines):
    """A small valid one-page PDF: Helvetica, WinAnsiEncoding, one text line per item."""
    content = b"BT /F1 11 Tf 15 TL 56 740 Td " + b" ".join(_pdf_string(line) + b" Tj T*" for line in lines) + b" ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


PDF = make_pdf(LINES)


def pdf_payload(name=FILENAME):
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF}


def test_the_generated_pdf_is_valid_and_keeps_its_accents():
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(PDF), strict=True)
    assert len(reader.pages) == 1
    assert reader.pages[0].extract_text().splitlines() == LINES


@pytest.fixture(scope="module")
def library(live_server):
    """A facilitator, a community and one resource (the PDF), created through the services."""
    from werkzeug.datastructures import FileStorage

    factory = live_server.factory()
    factory.user("Rosalie Bergeron", FACILITATOR, organization="Ville de Sherbrooke")
    slug = factory.community(FACILITATOR, "Approvisionnement responsable en Estrie", visibility="private",
                             mission="Acheter local et social : nos bons et mauvais coups.")
    from hub.accounts import service as accounts
    from hub.communities import service as communities
    from hub.extensions import db
    from hub.resources import service as resources

    data = {"title": "Achats municipaux : le bilan de Sherbrooke", "type": "policy", "municipality": "Ville de Sherbrooke",
            "language": "fr", "year": 2024, "summary": "Une **politique** adoptée par le conseil municipal.", "tags": "achats, économie sociale"}
    # As after a request, the search outbox is applied when this context ends.
    with live_server.app.test_request_context():
        resource = resources.create(communities.by_slug(slug), accounts.find_by_email(FACILITATOR), data,
                                    file=FileStorage(io.BytesIO(PDF), filename=FILENAME, content_type="application/pdf"))
        db.session.commit()
        resource_id = resource.id
    return {"slug": slug, "resource_id": resource_id}


def fill_resource_form(page, title, municipality="Ville de Sherbrooke"):
    form = page.get_by_test_id("resource-form")
    form.locator("#title").fill(title)
    form.locator("#type").select_option("policy")
    form.locator("#municipality").fill(municipality)
    form.locator("#file").set_input_files(pdf_payload())
    return form


def wait_until(page, condition, message, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, message
        page.wait_for_timeout(50)  # lets Playwright deliver its events (route handlers) meanwhile


def test_upload_with_progress_then_find_without_accents_and_download(live_server, new_context):
    title = "Bilan des achats municipaux"
    page = new_context().new_page()
    register(page, live_server, "mathis@exemple.ca", "Mathis Côté", "Ville de Sherbrooke")
    page.get_by_test_id("new-community").click()
    form = page.get_by_test_id("community-form")
    form.locator("#name").fill("Achats responsables en Estrie")
    form.locator("#mission").fill("Partager nos politiques d'approvisionnement.")
    with page.expect_navigation():
        form.locator("[type=submit]").click()
    with page.expect_navigation():
        page.get_by_test_id("nav-resources").click()
    expect(page.get_by_test_id("resource")).to_have_count(0)
    with page.expect_navigation():
        page.get_by_test_id("add-resource").click()
    assert page.url.endswith("/resources/new")

    form = fill_resource_form(page, title)
    progress = page.get_by_test_id("upload-progress")
    expect(progress).to_be_hidden()
    # Hold the upload request: while it is in flight, the page shows the progress bar.
    held = []
    page.route("**/resources/new", lambda route: held.append(route) if route.request.method == "POST" else route.continue_())
    form.locator("[type=submit]").click()
    wait_until(page, lambda: held, "the form was not sent")
    upload = held[0].request
    assert upload.resource_type == "xhr", "the upload did not go through XMLHttpRequest"
    assert upload.headers["content-type"].startswith("multipart/form-data")
    assert PDF in upload.post_data_buffer
    expect(progress).to_be_visible()
    expect(progress.locator("progress")).to_have_attribute("max", "100")
    expect(form.locator("[type=submit]")).to_be_disabled()
    held[0].continue_()
    page.wait_for_url(RESOURCE_PATH)
    page.unroute("**/resources/new")

    resource_url = page.url
    expect(page.get_by_test_id("resource-title")).to_have_text(title)
    expect(page.locator(".flashes .alert--success")).to_have_count(1)  # the confirmation is not lost on the way
    preview = page.get_by_test_id("extract-preview")
    for line in LINES:
        expect(preview).to_contain_text(line)
    expect(page.locator(".facts")).to_contain_text("Ville de Sherbrooke")

    # Search from the search page, without accents: "economie" finds "économie".
    page.goto("/search")
    search = page.get_by_test_id("search-form")
    search.locator("#search-q").fill("economie approvisionnement sherbrooke")
    with page.expect_navigation():
        search.locator("[type=submit]").click()
    results = page.get_by_test_id("search-result")
    expect(results).to_have_count(1)
    expect(page.locator("[data-testid=facet][data-facet=type]")).to_have_text(re.compile(r"^\s*Politique ou règlement\s*\(1\)\s*$"))
    result = results.first
    expect(result).to_contain_text(title)
    marks = result.locator("mark")
    expect(marks.first).to_be_visible()
    marked = {text.casefold() for text in marks.all_inner_texts()}
    assert "économie" in marked, marked  # the snippet shows the document's own spelling
    # French stemming: "economie" also finds "économique" (same stem), and nothing else.
    assert marked <= {"économie", "économique", "approvisionnement", "sherbrooke"}, marked
    with page.expect_navigation():
        result.get_by_role("link", name=title).click()
    assert page.url == resource_url
    expect(page.get_by_test_id("resource-title")).to_have_text(title)

    download_link = page.get_by_test_id("download")
    expect(download_link).to_contain_text(FILENAME)
    with page.expect_download() as info:
        download_link.click()
    download = info.value
    assert download.failure() is None
    assert download.suggested_filename == FILENAME
    assert Path(download.path()).read_bytes() == PDF


def test_upload_without_javascript_posts_the_form(library, new_context):
    title = "Politique d'achat (envoyée sans JavaScript)"
    page = new_context(java_script_enabled=False).new_page()
    log_in(page, FACILITATOR)
    page.goto(f"/c/{library['slug']}/resources/new")
    form = fill_resource_form(page, title, municipality="Ville de Magog")
    with page.expect_navigation():
        form.locator("[type=submit]").click()
    expect(page).to_have_url(RESOURCE_PATH)
    expect(page.get_by_test_id("resource-title")).to_have_text(title)
    expect(page.locator(".flashes .alert--success")).to_have_count(1)
    expect(page.get_by_test_id("extract-preview")).to_contain_text(LINES[0])
    expect(page.get_by_test_id("download")).to_contain_text(FILENAME)

    page.goto(f"/c/{library['slug']}/resources")
    expect(page.get_by_test_id("resource").filter(has_text=title)).to_have_count(1)
    summary = page.get_by_test_id("resource").filter(has_text="Achats municipaux")
    expect(summary).to_contain_text("Une politique adoptée par le conseil municipal.")  # text, not Markdown
    fold = page.get_by_test_id("facets-fold")
    if fold.get_attribute("open") is None:  # without JavaScript the filters stay folded until opened
        fold.locator("summary").click()
    facet = page.get_by_test_id("facet").filter(has_text="Ville de Magog")
    with page.expect_navigation():
        facet.click()
    expect(page.get_by_test_id("resource")).to_have_count(1)
    expect(page.get_by_test_id("resource")).to_contain_text(title)


def resource_pages(library):
    slug = library["slug"]
    return [
        f"/c/{slug}/resources",
        f"/c/{slug}/resources/new",
        f"/resources/{library['resource_id']}",
        "/search?q=economie+sociale",
    ]


def test_resource_pages_have_no_serious_violations(library, new_context):
    # bypass_csp: axe is injected as an inline script (see test_accessibility.py).
    page = new_context(bypass_csp=True).new_page()
    log_in(page, FACILITATOR)
    report = []
    for path in resource_pages(library):
        response = page.goto(path)
        assert response.status == 200, f"{path}: HTTP {response.status}"
        if path.startswith("/search"):
            expect(page.get_by_test_id("search-result")).not_to_have_count(0)
            expect(page.get_by_test_id("search-result").locator("mark").first).to_be_visible()
        report += describe(path, [v for v in scan(page) if v["impact"] in BLOCKING])
    # The upload form with its errors (sent empty).
    page.goto(f"/c/{library['slug']}/resources/new")
    with page.expect_navigation():
        page.get_by_test_id("resource-form").locator("[type=submit]").click()
    expect(page.get_by_test_id("form-errors")).to_be_visible()
    report += describe("/resources/new (errors)", [v for v in scan(page) if v["impact"] in BLOCKING])
    assert not report, "\n" + "\n".join(report)


@pytest.mark.parametrize("width", [390, 1280])
def test_resource_pages_fit_phones_and_desktops(library, new_context, tmp_path, width):
    """No page scrolls sideways; screenshots go to HUB_SCREENSHOT_DIR when set (for a look by eye)."""
    folder = Path(os.environ.get("HUB_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page = new_context(viewport={"width": width, "height": 900}).new_page()
    log_in(page, FACILITATOR)
    overflowing = []
    for number, path in enumerate(resource_pages(library)):
        page.goto(path)
        if path.startswith("/search"):
            expect(page.get_by_test_id("search-result").first).to_be_visible()
        page.screenshot(path=str(folder / f"resources-{number}-{width}.png"), full_page=True)
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        if scroll_width > width:
            overflowing.append(f"{path}: {scroll_width}px wide in a {width}px window")
    assert not overflowing, overflowing
