"""From nothing to a working community, in two browsers: register (confirming by the emailed link),
create, invite, join, find."""
import re

import pytest
from playwright.sync_api import expect

from .conftest import confirm_registration, fill_registration, register

pytestmark = pytest.mark.browser


def test_register_create_invite_join_and_find_in_directory(live_server, new_context):
    live_server.factory().user("Chloé Tremblay", "chloe@exemple.ca", organization="Ville de Québec")

    # First browser: Ana registers (French interface), creates a community, invites Bruno.
    ana = new_context().new_page()
    register(ana, live_server, "ana@exemple.ca", "Ana Lima", "Ville de Laval")
    expect(ana.locator("html")).to_have_attribute("lang", "fr-CA")
    expect(ana.get_by_test_id("logout")).to_be_visible()
    ana.get_by_test_id("new-community").click()
    form = ana.get_by_test_id("community-form")
    form.locator("#name").fill("Économie sociale et municipalités")
    form.locator("#mission").fill("Partager nos bons et mauvais coups en approvisionnement responsable.")
    form.locator("input[name=visibility][value=private]").check()
    with ana.expect_navigation():
        form.locator("[type=submit]").click()
    expect(ana.get_by_test_id("community-name")).to_have_text("Économie sociale et municipalités")
    assert ana.url.endswith("/c/economie-sociale-et-municipalites")

    ana.get_by_test_id("nav-invitations").click()
    invite = ana.get_by_test_id("invite-form")
    invite.locator("#email").fill("bruno@exemple.ca")
    invite.locator("#role").select_option("member")
    with ana.expect_navigation():
        invite.locator("[type=submit]").click()
    expect(ana.get_by_test_id("pending-invitations")).to_contain_text("bruno@exemple.ca")

    mail = live_server.outbox()[-1]
    assert mail["to"] == "bruno@exemple.ca"
    link = live_server.link_in(mail["body"])
    assert re.fullmatch(re.escape(live_server.url) + r"/invitations/[\w-]+", link), link

    # Second browser: Bruno opens the link, creates his account from there, accepts.
    bruno = new_context().new_page()
    bruno.goto(link)
    expect(bruno.get_by_test_id("invitation")).to_contain_text("Économie sociale et municipalités")
    bruno.get_by_test_id("invitation-register").click()
    assert "next=" in bruno.url
    fill_registration(bruno, "bruno@exemple.ca", "Bruno Gagnon", "Ville de Lévis", "une phrase assez longue")
    # The emailed link names the community; confirming creates the account, which joins by the invitation.
    mail = [m for m in live_server.outbox() if m["to"] == "bruno@exemple.ca"][-1]
    bruno.goto(live_server.link_in(mail["body"]))
    expect(bruno.get_by_test_id("confirm-registration")).to_contain_text("Économie sociale et municipalités")
    confirm_registration(bruno, live_server, "bruno@exemple.ca")
    expect(bruno.get_by_test_id("community-name")).to_have_text("Économie sociale et municipalités")
    assert bruno.url.endswith("/c/economie-sociale-et-municipalites")
    expect(bruno.get_by_test_id("leave")).to_be_visible()

    # First browser again: the directory finds Bruno by his city, written without accents.
    ana.goto("/c/economie-sociale-et-municipalites")
    ana.get_by_test_id("nav-members").click()
    expect(ana.get_by_test_id("member")).to_have_count(2)
    search = ana.get_by_test_id("directory-search")
    search.locator("#q").fill("levis")
    with ana.expect_navigation():
        search.locator("[type=submit]").click()
    assert "q=levis" in ana.url
    members = ana.get_by_test_id("member")
    expect(members).to_have_count(1)
    expect(members.first).to_contain_text("Bruno Gagnon")
    expect(members.first).to_contain_text("Ville de Lévis")
    expect(ana.get_by_test_id("directory")).not_to_contain_text("Ana Lima")
    expect(ana.get_by_test_id("directory")).not_to_contain_text("Chloé Tremblay")
