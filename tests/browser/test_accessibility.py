"""axe-core finds no serious or critical accessibility problem on the main pages.

axe-core comes from npm (package.json at the repo root); `npm ci && npm run build` copies its
browser bundle to tests/browser/vendor/axe.min.js, which is committed so these tests need no Node.
"""
import json

import pytest
from playwright.sync_api import expect

from .conftest import AXE_JS, log_in

pytestmark = pytest.mark.browser

BLOCKING = {"serious", "critical"}
# WCAG 2.0/2.1/2.2 A and AA, plus axe's best practices (landmarks, headings, skip links...).
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]},
    "resultTypes": ["violations"],
}
OWNER = "ana@exemple.ca"


@pytest.fixture(scope="module")
def hub(live_server):
    """One community with a facilitator, two members, a pending invitation and an API token."""
    factory = live_server.factory()
    factory.user("Ana Lima", OWNER, organization="Ville de Laval", job_title="Conseillère en développement économique",
                 expertise="approvisionnement responsable, habitation", bio="Je coordonne la CP.")
    factory.user("Bruno Gagnon", "bruno@exemple.ca", organization="Ville de Lévis", locale="en")
    factory.user("Chloé Tremblay", "chloe@exemple.ca", organization="TIESS")
    slug = factory.community(OWNER, "Économie sociale et municipalités", visibility="public",
                             mission="Partager nos bons et mauvais coups.\nDeux rencontres par saison.",
                             values="Bienveillance, entraide.")
    factory.add_member(slug, "bruno@exemple.ca")
    factory.add_member(slug, "chloe@exemple.ca", role="observer")
    factory.token(OWNER, "Script de synchronisation")
    from hub.accounts import service as accounts
    from hub.communities import service
    from hub.extensions import db

    with live_server.app.test_request_context():  # the invitation link is built with url_for
        owner = accounts.find_by_email(OWNER)
        _invitation, raw, _url = service.invite(service.by_slug(slug), owner, "dora@exemple.ca", "guest", "Bienvenue!")
        db.session.commit()
        owner_id = owner.id
        db.session.remove()
    return {"slug": slug, "owner_id": owner_id, "invitation": f"/invitations/{raw}"}


@pytest.fixture
def axe_context(new_context):
    # The hub's Content-Security-Policy is script-src 'self': Playwright's add_script_tag(path=...)
    # inserts the file as an inline script, which the policy (rightly) blocks. Bypassing the CSP is
    # only done here, for the accessibility scan; the other browser tests run under the real policy.
    return new_context(bypass_csp=True)


def scan(page):
    """axe violations of the current page."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    return result["violations"]


def describe(url, violations):
    lines = []
    for v in violations:
        lines.append(f"{url}: [{v['impact']}] {v['id']} — {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:10]:
            lines.append(f"    target {json.dumps(node['target'])}: {node.get('failureSummary', '').splitlines()[-1:]}")
            lines.append(f"      {node['html'][:200]}")
    return lines


def scan_pages(page, paths, status=None):
    report, minor = [], []
    for path in paths:
        response = page.goto(path)
        expected = (status or {}).get(path, 200)
        assert response.status == expected, f"{path}: HTTP {response.status}"
        violations = scan(page)
        report += describe(path, [v for v in violations if v["impact"] in BLOCKING])
        minor += describe(path, [v for v in violations if v["impact"] not in BLOCKING])
    if minor:
        print("Minor accessibility findings (not failing the test):\n" + "\n".join(minor))
    return report


def test_anonymous_pages_have_no_serious_violations(hub, axe_context):
    page = axe_context.new_page()
    paths = ["/", "/login", "/register", "/password/reset", "/communities", f"/c/{hub['slug']}", hub["invitation"], "/no-such-page"]
    report = scan_pages(page, paths, status={"/no-such-page": 404})
    # A form sent empty shows its errors: the error summary and field messages must be accessible too.
    page.goto("/login")
    with page.expect_navigation():
        page.get_by_test_id("login-form").locator("[type=submit]").click()
    report += describe("/login (errors)", [v for v in scan(page) if v["impact"] in BLOCKING])
    assert not report, "\n" + "\n".join(report)


def member_paths(hub):
    slug = hub["slug"]
    return [
        "/",
        f"/c/{slug}",
        f"/c/{slug}/members",
        f"/c/{slug}/members?q=levis",
        f"/c/{slug}/invitations",
        f"/c/{slug}/settings",
        f"/c/{slug}/moderation",
        "/communities/new",
        "/account",
        "/account/tokens",
        f"/users/{hub['owner_id']}",
        "/c/no-such-community",
    ]


def test_member_pages_have_no_serious_violations(hub, axe_context):
    page = axe_context.new_page()
    log_in(page, OWNER)
    report = scan_pages(page, member_paths(hub), status={"/c/no-such-community": 404})
    assert not report, "\n" + "\n".join(report)


def test_english_pages_have_no_serious_violations(hub, new_context):
    """The same checks in English, on a sample: the language only changes texts and lang attributes."""
    page = new_context(locale="en", bypass_csp=True).new_page()  # see axe_context about the CSP
    log_in(page, "bruno@exemple.ca")  # his preferred language is English
    expect(page.locator("html")).to_have_attribute("lang", "en")
    paths = ["/", f"/c/{hub['slug']}/members", "/account", "/no-such-page"]
    report = scan_pages(page, paths, status={"/no-such-page": 404})
    assert not report, "\n" + "\n".join(report)
