"""Two people on the same thread: one posts with a mention, the other sees it appear without
reloading and gets the notification badge; an axe scan of the thread page."""
import pytest
from playwright.sync_api import expect

from .conftest import log_in
from .test_accessibility import BLOCKING, describe, scan

pytestmark = pytest.mark.browser


def test_a_post_with_a_mention_appears_live_with_the_badge(live_server, new_context):
    factory = live_server.factory()
    _jid, julie = factory.user("Julie Roy", organization="Ville de Lévis")
    _kid, karim = factory.user("Karim Benali", organization="Ville de Laval")
    slug = factory.community(julie, "CP Économie sociale municipale")
    factory.add_member(slug, karim)

    writer = new_context().new_page()
    log_in(writer, julie)
    writer.goto(f"/c/{slug}/discussions/new")
    form = writer.get_by_test_id("thread-form")
    form.locator("#title").fill("Achats responsables")
    form.locator("#body").fill("Qui a une politique d’achat local ?")
    with writer.expect_navigation():
        form.locator("[type=submit]").click()
    thread_path = writer.url.replace(live_server.url, "")

    reader = new_context().new_page()
    log_in(reader, karim)
    reader.goto(thread_path)
    expect(reader.get_by_test_id("post")).to_have_count(1)
    expect(reader.get_by_test_id("notification-badge")).to_be_hidden()
    reader.wait_for_function("() => window.io !== undefined")
    reader.wait_for_timeout(800)  # the socket connects and joins the thread's room

    box = writer.get_by_test_id("reply-form").locator("textarea")
    box.fill("Bonjour @kar")
    suggestion = writer.locator(".mention-suggestions button", has_text="Karim Benali")
    expect(suggestion).to_be_visible()
    suggestion.click()
    box.press("End")
    box.type("voici notre politique.")
    assert "@karim-benali voici notre politique." in box.input_value()
    with writer.expect_navigation():
        writer.get_by_test_id("send").click()

    expect(reader.get_by_test_id("post")).to_have_count(2)
    expect(reader.get_by_test_id("post").nth(1)).to_contain_text("voici notre politique.")
    expect(reader.get_by_test_id("post").nth(1).locator("a", has_text="@Karim Benali")).to_be_visible()
    expect(reader.get_by_test_id("notification-badge")).to_be_visible()
    expect(reader.get_by_test_id("notification-badge")).to_contain_text("1")

    checker = new_context(bypass_csp=True).new_page()  # only for the axe scan
    log_in(checker, karim)
    checker.goto(thread_path)
    violations = [v for v in scan(checker) if v["impact"] in BLOCKING]
    assert not violations, "\n".join(describe(thread_path, violations))


def test_mention_suggestions_are_chosen_with_the_keyboard(live_server, new_context):
    factory = live_server.factory()
    _jid, julie = factory.user("Julie Roy")
    slug = factory.community(julie, "CP Mentions au clavier")
    for name in ("Karim Benali", "Karine Tremblay"):
        _id, email = factory.user(name)
        factory.add_member(slug, email)
    page = new_context().new_page()
    log_in(page, julie)
    page.goto(f"/c/{slug}/discussions/new")
    box = page.get_by_test_id("thread-form").locator("#body")
    box.click()
    box.type("Bonjour @kar")
    expect(page.locator(".mention-suggestions button")).to_have_count(2)
    box.press("ArrowDown")
    expect(page.locator(".mention-suggestions button.is-active")).to_have_count(1)
    chosen = page.locator(".mention-suggestions button.is-active").inner_text().split(" — ")[0]
    box.press("Enter")
    expected = "karim-benali" if chosen == "Karim Benali" else "karine-tremblay"
    assert box.input_value() == f"Bonjour @{expected} "
    expect(page.locator(".mention-suggestions")).to_be_hidden()
