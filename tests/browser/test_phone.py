"""On a 390 px phone: search and resources show their results first (the filters fold away),
nothing scrolls sideways, and a thread's first message is on the first screen."""
import pytest

from .conftest import log_in
from .test_narrow_screens import horizontal_overflow

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def place(live_server):
    factory = live_server.factory()
    _uid, email = factory.user("Mireille Tremblay-Bouchard", organization="Ville de Rimouski")
    slug = factory.community(email, "CP Économie sociale et municipalités du Bas-Saint-Laurent")
    client = live_server.app.test_client()
    client.post("/login", data={"email": email, "password": factory.password})
    token = {"Authorization": f"Bearer {factory.token(email)}"}
    client.post(f"/c/{slug}/themes", data={"name": "Approvisionnement responsable et achats locaux des municipalités"})
    for number in range(8):
        client.post(f"/api/v1/communities/{slug}/resources", data={
            "url": f"https://exemple.ca/parcs-{number}", "title": f"Gestion des parcs municipaux, fiche {number}", "type": "good_practice",
            "municipality": "Municipalité régionale de comté de La Mitis", "year": "2024", "tags": f"parcs, espaces-verts-communautaires-{number}",
        }, headers=token, content_type="multipart/form-data")
    thread = client.post(f"/api/v1/communities/{slug}/threads", json={
        "title": "Parcs et espaces verts gérés par des organismes d’économie sociale : vos expériences ?",
        "body": "Bonjour à toutes et à tous, qui confie la gestion de ses parcs à une coopérative ?",
    }, headers=token).get_json()["id"]
    return {"email": email, "slug": slug, "thread": thread}


@pytest.mark.parametrize("path", ["/search?q=parcs", "/c/{slug}/resources"])
def test_results_come_first_and_nothing_scrolls_sideways(new_context, place, path):
    page = new_context(viewport=PHONE).new_page()
    log_in(page, place["email"])
    page.goto(path.format(**place))
    first = page.locator("[data-testid=search-result], [data-testid=resource]").first
    first.wait_for()
    assert first.bounding_box()["y"] < PHONE["height"], "the first result is below the first screen"
    fold = page.get_by_test_id("facets-fold")
    assert fold.evaluate("d => d.open") is False
    assert horizontal_overflow(page)["wider"] == 0
    fold.locator("summary").click()
    assert page.get_by_test_id("facet").first.is_visible()
    assert horizontal_overflow(page)["wider"] == 0


def test_filters_are_open_on_a_wide_screen(new_context, place):
    page = new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(page, place["email"])
    page.goto("/search?q=parcs")
    page.wait_for_function("() => document.querySelector('[data-testid=facets-fold]').open")
    assert page.get_by_test_id("facet").first.is_visible()


def test_a_threads_first_message_is_on_the_first_screen(new_context, place):
    page = new_context(viewport=PHONE).new_page()
    log_in(page, place["email"])
    page.goto(f"/threads/{place['thread']}")
    post = page.get_by_test_id("post").first
    box = post.locator(".post-body, p").first.bounding_box()
    assert box["y"] < PHONE["height"], f"the first message starts at {box['y']} px"
    assert horizontal_overflow(page)["wider"] == 0
