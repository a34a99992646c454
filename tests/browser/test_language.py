"""The interface is French by default; one click switches it to English, and back."""
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def switch_language(page):
    with page.expect_navigation():
        page.get_by_test_id("lang-switch").click()


def test_language_switch_is_remembered_across_pages(page):
    page.goto("/")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "fr-CA")
    switch = page.get_by_test_id("lang-switch")
    expect(switch).to_have_text("English")
    expect(switch).to_have_attribute("lang", "en")

    switch_language(page)
    assert page.url.endswith("/")  # the switch comes back to the same page
    expect(html).to_have_attribute("lang", "en")
    expect(switch).to_have_text("Français")

    page.goto("/login")  # and stays English on the next page
    expect(html).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("login-form")).to_be_visible()

    switch_language(page)
    assert page.url.endswith("/login")
    expect(html).to_have_attribute("lang", "fr-CA")
    expect(switch).to_have_text("English")
    page.goto("/communities")
    expect(html).to_have_attribute("lang", "fr-CA")


def test_language_switch_keeps_the_query_string(page):
    page.goto("/login?next=/communities")
    switch_language(page)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.url.endswith("/login?next=/communities")


def test_english_browser_gets_english_until_it_switches(new_context):
    page = new_context(locale="en-US").new_page()
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    switch_language(page)
    expect(page.locator("html")).to_have_attribute("lang", "fr-CA")
