"""The activity feed in a browser without JavaScript, 320 px wide, in French and English: filtered by
kind, paged, with no serious axe violation and no sideways scroll."""
import pytest
from playwright.sync_api import expect

from .conftest import log_in
from .test_accessibility import BLOCKING, describe, scan

pytestmark = pytest.mark.browser

FACILITATOR = "ginette@exemple.ca"
MEMBER = "paul@exemple.ca"


@pytest.fixture(scope="module")
def hub(live_server):
    factory = live_server.factory()
    factory.user("Ginette Lachance", FACILITATOR, organization="Ville de Rimouski")
    factory.user("Paul Gauthier", MEMBER, organization="MRC de La Mitis", locale="en")
    slug = factory.community(FACILITATOR, "Habitation communautaire en région")
    factory.add_member(slug, MEMBER)
    from hub.accounts import service as accounts
    from hub.communities import service as communities
    from hub.discussions import service as discussions
    from hub.extensions import db
    from hub.resources import service as resources

    with live_server.app.test_request_context():
        community, author = communities.by_slug(slug), accounts.find_by_email(FACILITATOR)
        for i in range(23):
            thread, _post = discussions.create_thread(
                community, author, f"Règlement de zonage pour les coopératives d'habitation, épisode {i}", "Qui a un exemple ?")
        resources.create(community, author, {"title": "Guide des programmes de financement en habitation communautaire", "type": "tool",
                                             "language": "fr"}, url="https://exemple.ca/guide")
        db.session.commit()
        db.session.remove()
    return {"slug": slug}


def overflow(page, width):
    return page.evaluate("document.documentElement.scrollWidth") - width


@pytest.mark.parametrize("who, locale", [(FACILITATOR, "fr-CA"), (MEMBER, "en")])
def test_the_feed_filters_and_pages_without_javascript_on_a_phone(hub, new_context, who, locale):
    scanned = new_context(locale=locale, bypass_csp=True, viewport={"width": 320, "height": 800}).new_page()  # axe runs in the page
    log_in(scanned, who)
    report = []
    for path in ("/", f"/c/{hub['slug']}", "/activity", f"/c/{hub['slug']}/activity"):
        scanned.goto(path)
        expect(scanned.get_by_test_id("activity-item").first).to_be_visible()
        report += describe(path, [v for v in scan(scanned) if v["impact"] in BLOCKING])
        if overflow(scanned, 320) > 0:
            report.append(f"{path}: {overflow(scanned, 320)} px of sideways scrolling at 320 px")
    page = new_context(locale=locale, java_script_enabled=False, viewport={"width": 320, "height": 800}).new_page()
    log_in(page, who)
    page.goto(f"/c/{hub['slug']}")
    page.get_by_test_id("activity-filter").locator("select").select_option("resource")
    with page.expect_navigation():
        page.get_by_test_id("activity-filter").locator("button").click()
    expect(page.get_by_test_id("activity-item")).to_have_count(1)
    expect(page.get_by_test_id("activity-item")).to_contain_text("Guide des programmes")
    page.goto("/activity")
    expect(page.get_by_test_id("activity-item")).to_have_count(20)
    with page.expect_navigation():
        page.get_by_test_id("activity-older").click()
    expect(page.get_by_test_id("activity-item")).to_have_count(4)
    expect(page.get_by_test_id("activity-item").last).to_contain_text("épisode 0")
    assert not report, "\n" + "\n".join(report)
