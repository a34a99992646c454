"""The calendar feed's Copy button puts the address on the clipboard."""
import pytest
from playwright.sync_api import expect

from .conftest import log_in

pytestmark = pytest.mark.browser


def test_copy_button_copies_the_feed_address(live_server, new_context):
    factory = live_server.factory()
    _uid, email = factory.user("Rémi Ouellet")
    factory.community(email, "CP Parcs")
    context = new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    log_in(page, email)
    page.goto("/account/calendar")
    with page.expect_navigation():
        page.get_by_test_id("feed-create").click()
    address = page.get_by_test_id("feed-url").input_value()
    page.get_by_test_id("feed-copy").click()
    expect(page.locator("[data-copy-status]")).to_have_text("Adresse copiée.")
    assert page.evaluate("navigator.clipboard.readText()") == address
