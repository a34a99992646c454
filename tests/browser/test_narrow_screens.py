"""On a 320 px wide phone, the account pages fit the screen: long French button labels wrap."""
import pytest

from .conftest import log_in

pytestmark = pytest.mark.browser

PHONE = {"width": 320, "height": 640}
EMAIL = "narrow@exemple.ca"


@pytest.fixture(scope="module")
def person(live_server):
    live_server.factory().user("Ana Lima", EMAIL)
    return EMAIL


def horizontal_overflow(page):
    """How many pixels the page is wider than the screen, and the buttons sticking out of it."""
    return page.evaluate("""() => {
        const width = document.documentElement.clientWidth;
        const wider = Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - width;
        const out = [...document.querySelectorAll('button, .button, input[type=submit]')]
            .filter(b => b.getBoundingClientRect().right > width + 0.5)
            .map(b => (b.value || b.textContent).trim());
        return {wider, out};
    }""")


@pytest.mark.parametrize("path", ["/password/reset", "/account/email", "/account/password", "/register", "/login"])
def test_account_pages_have_no_horizontal_scroll_at_320_px(live_server, new_context, person, path):
    page = new_context(viewport=PHONE).new_page()
    if path.startswith("/account"):
        log_in(page, person)
    response = page.goto(path)
    assert response.status == 200
    assert page.locator("html").get_attribute("lang") == "fr-CA"
    assert page.evaluate("document.documentElement.clientWidth") == 320
    found = horizontal_overflow(page)
    assert found == {"wider": 0, "out": []}, f"{path} at 320 px: {found}"


def test_registration_pages_have_no_horizontal_scroll_at_320_px(live_server, new_context):
    from .conftest import fill_registration

    page = new_context(viewport=PHONE).new_page()
    page.goto("/register")
    fill_registration(page, "etroit@exemple.ca", "Étienne Roy")
    assert horizontal_overflow(page) == {"wider": 0, "out": []}, "/register/sent at 320 px"
    mail = [m for m in live_server.outbox() if m["to"] == "etroit@exemple.ca"][-1]
    page.goto(live_server.link_in(mail["body"]))
    assert horizontal_overflow(page) == {"wider": 0, "out": []}, "/register/confirm at 320 px"
