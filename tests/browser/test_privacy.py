"""My data and the privacy policy in a real browser: at 320 px, and without JavaScript."""
import io
import json
import zipfile

import pytest
from playwright.sync_api import expect

from tests.conftest import Factory

from .conftest import log_in

pytestmark = pytest.mark.browser

OWNER = "irene@exemple.ca"
MEMBER = "jacob@exemple.ca"


@pytest.fixture(scope="module")
def people(live_server):
    factory = live_server.factory()
    factory.user("Irène Bouchard", OWNER, organization="Ville de Sherbrooke")
    factory.user("Jacob Pelletier", MEMBER, organization="Ville de Québec")
    slug = factory.community(OWNER, "Habitation et économie sociale")
    factory.add_member(slug, MEMBER)
    return {"slug": slug}


def test_privacy_pages_fit_a_320_px_phone(people, new_context):
    page = new_context(viewport={"width": 320, "height": 700}).new_page()
    log_in(page, OWNER)
    overflowing = []
    for path in ("/privacy", "/account/data"):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 320:
            overflowing.append(f"{path}: {width}px")
    assert not overflowing, overflowing
    expect(page.get_by_test_id("last-facilitator")).to_contain_text("Habitation et économie sociale")


def test_export_and_deletion_without_javascript(people, new_context):
    page = new_context(java_script_enabled=False).new_page()
    log_in(page, MEMBER)
    page.goto("/account")
    page.get_by_test_id("nav-my-data").click()
    with page.expect_download() as info:
        page.get_by_test_id("export-form").locator("[type=submit]").click()
    data = json.loads(zipfile.ZipFile(io.BytesIO(open(info.value.path(), "rb").read())).read("data.json"))
    assert data["account"]["email"] == MEMBER

    form = page.get_by_test_id("delete-account-form")
    form.get_by_label("Les effacer").check()
    form.get_by_label("Mon mot de passe").fill("mauvais mot de passe")
    form.locator("[type=submit]").click()
    expect(page.get_by_test_id("form-errors")).to_be_visible()
    form = page.get_by_test_id("delete-account-form")
    form.get_by_label("Les effacer").check()
    form.get_by_label("Mon mot de passe").fill(Factory.password)
    form.locator("[type=submit]").click()
    expect(page.locator(".alert--success")).to_contain_text("Votre compte est supprimé")
    expect(page.get_by_test_id("nav-profile")).to_have_count(0)  # signed out
