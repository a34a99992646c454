"""Flag a message without JavaScript, review it in the queue: no serious axe violation, no sideways
scroll at 320 px, in French and English."""
import pytest
from playwright.sync_api import expect

from .conftest import log_in
from .test_accessibility import BLOCKING, describe, scan

pytestmark = pytest.mark.browser

FACILITATOR = "helene@exemple.ca"
MEMBER = "yves@exemple.ca"
AUTHOR = "omar@exemple.ca"


@pytest.fixture(scope="module")
def hub(live_server):
    factory = live_server.factory()
    factory.user("Hélène Bouchard", FACILITATOR, organization="Ville de Québec")
    factory.user("Yves Morin", MEMBER, organization="Ville de Sherbrooke", locale="en")
    omar_id, _email = factory.user("Omar Haddad", AUTHOR, organization="CDÉC", bio="Développement économique communautaire")
    slug = factory.community(FACILITATOR, "Revitalisation des artères commerciales")
    factory.add_member(slug, MEMBER)
    factory.add_member(slug, AUTHOR)
    from hub.communities import service as communities
    from hub.discussions import service as discussions
    from hub.extensions import db
    from hub.accounts.models import User

    with live_server.app.test_request_context():
        author = db.session.get(User, omar_id)
        thread, post = discussions.create_thread(communities.by_slug(slug), author, "Commerces vacants", "Visitez mon site de paris en ligne !")
        db.session.commit()
        ids = {"thread": thread.id, "post": post.id, "omar": omar_id}
        db.session.remove()
    return {"slug": slug, **ids}


def overflow(page, width):
    return page.evaluate("document.documentElement.scrollWidth") - width


def test_flag_and_review_without_javascript(hub, new_context):
    member = new_context(locale="en", java_script_enabled=False, bypass_csp=True, viewport={"width": 320, "height": 800}).new_page()
    log_in(member, MEMBER)
    member.goto(f"/threads/{hub['thread']}")
    member.get_by_test_id("flag").click()
    assert overflow(member, 320) <= 0, "the flag form scrolls sideways at 320 px"
    member.get_by_label("Spam or advertising").check()
    member.get_by_label("More details (optional)").fill("Online betting ads")
    with member.expect_navigation():
        member.get_by_role("button", name="Send the flag").click()
    expect(member.locator(".alert").first).to_contain_text("the moderators will look at it")

    facilitator = new_context(java_script_enabled=False, viewport={"width": 320, "height": 800}).new_page()
    log_in(facilitator, FACILITATOR)
    facilitator.goto(f"/c/{hub['slug']}/moderation")
    item = facilitator.get_by_test_id("moderation-item")
    expect(item).to_contain_text("Commerces vacants")
    expect(item).to_contain_text("Online betting ads")
    assert overflow(facilitator, 320) <= 0, "the queue scrolls sideways at 320 px"
    with facilitator.expect_navigation():
        facilitator.get_by_test_id("moderate-hide").click()
    expect(facilitator.get_by_test_id("hidden-badge")).to_be_visible()
    member.goto(f"/threads/{hub['thread']}")
    expect(member.get_by_test_id("hidden-placeholder")).to_contain_text("This content is hidden pending moderation")


def test_moderation_pages_have_no_serious_violations(hub, new_context):
    report = []
    for email, locale, paths in [
        (FACILITATOR, "fr-CA", [f"/c/{hub['slug']}/moderation", f"/flag/profile/{hub['omar']}", f"/flag/post/{hub['post']}"]),
        (MEMBER, "en", [f"/flag/post/{hub['post']}", f"/threads/{hub['thread']}"]),
    ]:
        page = new_context(locale=locale, bypass_csp=True).new_page()  # bypass: see test_accessibility.axe_context
        log_in(page, email)
        for path in paths:
            assert page.goto(path).status == 200, path
            report += describe(path, [v for v in scan(page) if v["impact"] in BLOCKING])
    assert not report, "\n" + "\n".join(report)
