"""Destructive buttons look dangerous; with JavaScript they ask in a dialog, without it on a page."""
import pytest
from playwright.sync_api import expect

from .conftest import log_in
from .test_accessibility import BLOCKING, describe, scan

pytestmark = pytest.mark.browser


@pytest.fixture
def member(live_server):
    factory = live_server.factory()
    _fid, owner = factory.user("Sophie Gagnon")
    _mid, email = factory.user()
    slug = factory.community(owner, "CP Quitter", visibility="public")
    factory.add_member(slug, email)
    return email, slug


def test_with_javascript_a_dialog_asks_then_the_action_is_done(new_context, member):
    email, slug = member
    page = new_context().new_page()
    log_in(page, email)
    page.goto(f"/c/{slug}")
    leave = page.get_by_test_id("leave")
    assert "rgb(164, 22, 26)" == leave.evaluate("b => getComputedStyle(b).backgroundColor")
    page.once("dialog", lambda dialog: dialog.dismiss())
    leave.click()
    page.wait_for_timeout(300)
    assert page.url.endswith(f"/c/{slug}")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        leave.click()
    expect(page.get_by_test_id("leave")).to_have_count(0)
    assert "/confirm" not in page.url


def test_without_javascript_a_page_asks(new_context, member):
    email, slug = member
    page = new_context(java_script_enabled=False).new_page()
    log_in(page, email)
    page.goto(f"/c/{slug}")
    with page.expect_navigation():
        page.get_by_test_id("leave").click()
    assert "/confirm?" in page.url
    expect(page.get_by_test_id("confirm-page")).to_contain_text("Quitter cette communauté?")
    checker = new_context(bypass_csp=True, viewport={"width": 320, "height": 640}).new_page()  # the axe scan, on a narrow screen
    log_in(checker, email)
    checker.goto(page.url)
    assert checker.evaluate("document.documentElement.scrollWidth") <= 320
    violations = [v for v in scan(checker) if v["impact"] in BLOCKING]
    assert not violations, "\n".join(describe(page.url, violations))
    with page.expect_navigation():
        page.get_by_test_id("confirm-button").click()
    page.goto(f"/c/{slug}")
    expect(page.get_by_test_id("leave")).to_have_count(0)
