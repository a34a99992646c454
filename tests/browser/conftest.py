"""Fixtures for the Playwright tests: a live hub on SQLite in a thread, and headless Chromium.

The browser tests run once (not per database backend), with real CSRF protection, against
Debian's /usr/bin/chromium: Playwright never downloads a browser here. When Chromium is absent
they skip with a reason, and fail instead when HUB_TEST_REQUIRE_SERVICES=1.
"""
import re
import threading
from pathlib import Path

import pytest

from tests.conftest import BUILT_APPS, Factory, build_app, service_missing

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 10_000
HERE = Path(__file__).resolve().parent
AXE_JS = HERE / "vendor" / "axe.min.js"


class LiveServer:
    """The hub served by werkzeug in a daemon thread; ``url`` is its base address."""

    def __init__(self, app):
        from werkzeug.serving import WSGIRequestHandler, make_server

        class QuietHandler(WSGIRequestHandler):
            def log_request(self, *args, **kwargs):  # one line per request would drown failure reports
                pass

        self.app = app
        self.server = make_server(host="127.0.0.1", port=0, app=app, threaded=True, request_handler=QuietHandler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        # Links in emails are built from BASE_URL; they must point at this server.
        app.config["BASE_URL"] = self.url
        self.thread = threading.Thread(target=self.server.serve_forever, name=f"live-hub-{self.server.server_port}", daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
        assert not self.thread.is_alive(), "the live server thread did not stop"
        from hub.extensions import db

        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()

    def __call__(self, path=""):
        return self.url + path

    def factory(self):
        return Factory(self.app)

    def outbox(self):
        """Emails queued by the live app, oldest first."""
        import sqlalchemy as sa

        from hub.extensions import db
        from hub.notifications.models import OutgoingEmail

        with self.app.app_context():
            rows = db.session.execute(sa.select(OutgoingEmail).order_by(OutgoingEmail.id)).scalars().all()
            mails = [{"to": m.recipient, "subject": m.subject, "body": m.body_text} for m in rows]
            db.session.remove()
            return mails

    def link_in(self, body):
        """The first link to this server found in an email body."""
        match = re.search(re.escape(self.url) + r"/\S+", body)
        assert match, body
        return match.group(0)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """A fresh hub per test module: SQLite, WTF_CSRF_ENABLED=True, served on a free port."""
    from hub.notes import live

    app = build_app(tmp_path_factory.mktemp("live"), WTF_CSRF_ENABLED=True)
    BUILT_APPS.remove(app)  # it outlives each test of the module: stopped below, at the module's end
    server = LiveServer(app).start()
    yield server
    live.stop(app)
    server.stop()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        service_missing(f"Chromium not found at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        service_missing("the playwright Python package is not installed")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def new_context(request, browser, live_server, tmp_path):
    """Open browser contexts (French Canadian by default); on failure, screenshot every page to tmp_path."""
    contexts = []

    def open_context(locale="fr-CA", **options):
        context = browser.new_context(base_url=live_server.url, locale=locale, **options)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield open_context

    failed = any(getattr(request.node, f"rep_{when}", None) is not None and getattr(request.node, f"rep_{when}").failed for when in ("setup", "call"))
    for number, context in enumerate(contexts):
        if failed:
            for index, page in enumerate(context.pages):
                target = tmp_path / "screenshots" / f"context{number}-page{index}.png"
                try:
                    page.screenshot(path=str(target), full_page=True)
                    print(f"screenshot of {page.url}: {target}")
                except Exception as error:  # a screenshot must never hide the real failure
                    print(f"no screenshot of {page.url}: {error}")
        context.close()


@pytest.fixture
def page(new_context):
    return new_context().new_page()


def register(page, live_server, email, name, organization="", password=Factory.password, next_path=None):
    """Create an account through the registration form, then its emailed link; lands where ``next`` points."""
    page.goto("/register" + (f"?next={next_path}" if next_path else ""))
    fill_registration(page, email, name, organization, password)
    confirm_registration(page, live_server, email)


def fill_registration(page, email, name, organization="", password=Factory.password):
    """Send the registration form of the current page; lands on "check your email"."""
    form = page.get_by_test_id("register-form")
    form.locator("#email").fill(email)
    form.locator("#password").fill(password)
    form.locator("#display_name").fill(name)
    if organization:
        form.locator("#organization").fill(organization)
    with page.expect_navigation():
        form.locator("[type=submit]").click()
    assert page.get_by_test_id("registration-sent").count() == 1, f"registration not sent on {page.url}"


def confirm_registration(page, live_server, email):
    """Open the link emailed to ``email`` and confirm: the account is created and logged in."""
    mail = [m for m in live_server.outbox() if m["to"] == email][-1]
    page.goto(live_server.link_in(mail["body"]))
    with page.expect_navigation():
        page.get_by_test_id("confirm-registration-button").click()


def log_in(page, email, password=Factory.password):
    page.goto("/login")
    form = page.get_by_test_id("login-form")
    form.locator("#email").fill(email)
    form.locator("#password").fill(password)
    with page.expect_navigation():
        form.locator("[type=submit]").click()
    assert page.get_by_test_id("logout").count() == 1, f"login failed on {page.url}"
