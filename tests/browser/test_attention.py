"""What needs me in a browser: a poll proposed appears in a member's "À faire" and notifications,
and leaves the open page (and the header count) as soon as it is answered elsewhere; axe reports no
serious or critical problem, and nothing scrolls sideways at 320 px."""
import json
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from .conftest import log_in
from .test_accessibility import BLOCKING, describe, scan

pytestmark = pytest.mark.browser


def _api(live_server, token, method, path, body):
    request = urllib.request.Request(live_server(f"/api/v1{path}"), data=json.dumps(body).encode(), method=method,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=20) as response:
        return json.loads(response.read())


def test_a_poll_appears_in_to_do_and_leaves_once_answered(live_server, new_context):
    factory = live_server.factory()
    _aid, ana = factory.user("Ana Lima", organization="Ville de Laval")
    _bid, bruno = factory.user("Bruno Gagnon", organization="Ville de Lévis")
    slug = factory.community(ana, "Économie sociale et municipalités")
    factory.add_member(slug, bruno)
    day = (datetime.now(timezone.utc) + timedelta(days=10)).date().isoformat()
    poll = _api(live_server, factory.token(ana), "POST", f"/communities/{slug}/polls", {
        "title": "Rencontre d'automne", "duration_minutes": 60, "timezone": "America/Toronto",
        "slots": [f"{day}T10:00", f"{day}T14:00"],
    })

    page = new_context(bypass_csp=True).new_page()  # bypass_csp: only for the axe scan
    log_in(page, bruno)
    page.goto("/")
    item = page.locator(f'[data-attention-key="poll-{poll["id"]}"]')
    expect(item).to_be_visible()
    expect(item).to_contain_text("Sondage à répondre")
    expect(page.get_by_test_id("attention-badge")).to_contain_text("1")
    expect(page.get_by_test_id("notification-badge")).to_contain_text("1")
    violations = [v for v in scan(page) if v["impact"] in BLOCKING]
    assert not violations, "\n".join(describe("/", violations))
    page.goto("/notifications")
    expect(page.get_by_test_id("notification").first).to_contain_text("Sondage à répondre")
    page.goto(f"/c/{slug}")
    expect(page.locator(f'[data-attention-key="poll-{poll["id"]}"]')).to_be_visible()
    violations = [v for v in scan(page) if v["impact"] in BLOCKING]
    assert not violations, "\n".join(describe(f"/c/{slug}", violations))

    page.goto("/")
    page.wait_for_function("() => window.io !== undefined")
    page.wait_for_timeout(800)  # the socket connects to the person's room
    _api(live_server, factory.token(bruno), "PUT", f"/polls/{poll['id']}/answers", {"answers": {str(poll["slots"][0]["id"]): "yes"}})
    expect(page.locator(f'[data-attention-key="poll-{poll["id"]}"]')).to_have_count(0)
    expect(page.get_by_test_id("attention-badge")).to_be_hidden()
    expect(page.get_by_test_id("attention").locator("[data-attention-empty]")).to_be_visible()

    narrow = new_context(viewport={"width": 320, "height": 640}).new_page()
    log_in(narrow, ana)
    for path in ("/", f"/c/{slug}", f"/c/{slug}/resources"):
        narrow.goto(path)
        overflow = narrow.evaluate("document.documentElement.scrollWidth") - narrow.evaluate("window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow} px at 320 px"
