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
ADMIN = "eloise@exemple.ca"


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
    factory.user("Éloïse Roy", ADMIN, organization="Ville de Sherbrooke", is_admin=True)
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
    paths = ["/", "/login", "/register", "/password/reset", "/communities", f"/c/{hub['slug']}", hub["invitation"], "/privacy", "/no-such-page"]
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
        f"/c/{slug}/activity",
        "/activity",
        "/communities/new",
        "/account",
        "/account/tokens",
        "/account/data",
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
    paths = ["/", f"/c/{hub['slug']}/members", "/account", "/account/data", "/privacy", "/no-such-page"]
    report = scan_pages(page, paths, status={"/no-such-page": 404})
    assert not report, "\n" + "\n".join(report)


FOCUS_CONTRAST_JS = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  // The ring is drawn around the element, over its container: the first ancestor with a background.
  let node = el.parentElement, bg = null;
  while (node) {
    const c = rgb(getComputedStyle(node).backgroundColor);
    if (c.length >= 3 && (c.length < 4 || c[3] > 0)) { bg = c; break; }
    node = node.parentElement;
  }
  bg = bg || [255, 255, 255];
  const ring = rgb(style.outlineColor);
  const [a, b] = [lum(ring), lum(bg)].sort((x, y) => y - x);
  return {what: el.outerHTML.slice(0, 120), width: style.outlineWidth, style: style.outlineStyle, ratio: (a + 0.05) / (b + 0.05)};
}
"""


@pytest.mark.parametrize("who", ["anonymous", "member"])
def test_the_focus_ring_stands_out_on_every_background(hub, new_context, who):
    """Going through the page with the keyboard, every focused element shows a ring of at least
    3:1 against what surrounds it (the green header included)."""
    page = new_context().new_page()
    if who == "member":
        log_in(page, OWNER)
    problems = []
    for path in ["/", f"/c/{hub['slug']}"]:
        page.goto(path)
        for _step in range(40):
            page.keyboard.press("Tab")
            found = page.evaluate(FOCUS_CONTRAST_JS)
            if found is None:
                continue
            if found["style"] == "none" or found["ratio"] < 3:
                problems.append(f"{path}: {found['ratio']:.2f}:1 {found['style']} {found['what']}")
    assert not problems, "\n".join(problems)


def test_registration_and_invitation_pages_have_no_serious_violations(hub, axe_context, live_server):
    """The pages of registering by emailed link, and of an invitation that can no longer be used."""
    from hub.communities.models import Invitation
    from hub.extensions import db
    from hub.timeutil import utcnow

    from .conftest import fill_registration

    page = axe_context.new_page()
    page.goto("/register")
    fill_registration(page, "emma@exemple.ca", "Emma Roy")
    report = describe("/register/sent", [v for v in scan(page) if v["impact"] in BLOCKING])
    mail = [m for m in live_server.outbox() if m["to"] == "emma@exemple.ca"][-1]
    confirm = live_server.link_in(mail["body"])[len(live_server.url):]
    with live_server.app.app_context():  # a withdrawn invitation to the same community
        pending = db.session.execute(db.select(Invitation).filter_by(email="dora@exemple.ca")).scalar_one()
        raw, token_hash = Invitation.new_token()
        db.session.add(Invitation(community_id=pending.community_id, email="eve@exemple.ca", role="member", token_hash=token_hash,
                                  expires_at=pending.expires_at, revoked_at=utcnow()))
        db.session.commit()
        db.session.remove()
    report += scan_pages(page, [confirm, "/register/confirm/not-a-link", f"/invitations/{raw}"],
                         status={"/register/confirm/not-a-link": 400, f"/invitations/{raw}": 410})
    assert not report, "\n" + "\n".join(report)


def admin_paths(hub):
    return [
        "/admin", "/admin/people", "/admin/people?q=ana", "/admin/communities", f"/admin/communities/{hub['slug']}/transfer",
        "/admin/outbox", "/admin/outbox?status=pending", "/admin/search?check=1", "/admin/storage", "/admin/audit",
    ]


def test_admin_pages_have_no_serious_violations_and_fit_a_phone(hub, new_context):
    """The administration pages, scanned by axe and shown 320 px wide without sideways scrolling."""
    page = new_context(bypass_csp=True, viewport={"width": 320, "height": 800}).new_page()  # see axe_context about the CSP
    log_in(page, ADMIN)
    report = scan_pages(page, admin_paths(hub))
    for path in admin_paths(hub):
        page.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            report.append(f"{path}: {overflow} px of sideways scrolling at 320 px")
    assert not report, "\n" + "\n".join(report)
