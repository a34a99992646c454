"""Two people write in the same note at the same time, in two browsers: both end with the same
text holding both contributions, a reload shows it, and the history names both authors."""
import pytest
from playwright.sync_api import expect

from .conftest import log_in

pytestmark = pytest.mark.browser

SOPHIE = "sophie.notes@exemple.ca"
JULIE = "julie.notes@exemple.ca"


@pytest.fixture(scope="module")
def note(live_server):
    factory = live_server.factory()
    factory.user("Sophie Gagnon", email=SOPHIE)
    factory.user("Julie Roy", email=JULIE)
    slug = factory.community(SOPHIE, "CP Économie sociale municipale")
    factory.add_member(slug, JULIE)
    token = factory.token(SOPHIE)
    response = live_server.app.test_client().post(
        f"/api/v1/communities/{slug}/notes", json={"title": "Compte rendu de la rencontre", "body": "Ordre du jour\n", "visibility": "community"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.get_json()
    return {"id": response.get_json()["id"], "slug": slug}


TEXT_OF = r"""(content) => {
  const copy = content.cloneNode(true);
  copy.querySelectorAll(".cm-ySelectionCaret, .cm-ySelectionInfo, .cm-widgetBuffer").forEach((node) => node.remove());
  return [...copy.querySelectorAll(".cm-line")].map((line) => line.textContent.replace(/\u2060/g, "")).join("\n");
}"""


def text_of(content):
    """The document's text, without the other people's cursors and name labels."""
    return content.evaluate(TEXT_OF)


def open_editor(new_context, email, note_id):
    page = new_context().new_page()
    log_in(page, email)
    page.goto(f"/notes/{note_id}/edit")
    editor = page.get_by_test_id("note-editor")
    expect(editor).to_be_visible()
    expect(page.get_by_test_id("note-status")).to_have_attribute("data-state", "live")
    return page, editor.locator(".cm-content")


def test_two_people_type_at_once(new_context, live_server, note):
    note = note["id"]
    sophie, sophie_text = open_editor(new_context, SOPHIE, note)
    julie, julie_text = open_editor(new_context, JULIE, note)
    expect(sophie_text).to_contain_text("Ordre du jour")
    # Each sees the other's name (awareness) once both are connected.
    expect(sophie.get_by_test_id("note-people")).to_contain_text("Julie Roy")
    expect(julie.get_by_test_id("note-people")).to_contain_text("Sophie Gagnon")

    sophie_text.click()
    sophie.keyboard.press("Control+End")
    julie_text.click()
    julie.keyboard.press("Control+Home")
    # Interleaved keystrokes: neither waits for the other's text to arrive.
    for left, right in zip(["Sophie : ", "habitation ", "communautaire. "], ["Julie : ", "clauses ", "sociales. "]):
        sophie.keyboard.type(left)
        julie.keyboard.type(right)

    for text in (sophie_text, julie_text):
        expect(text).to_contain_text("Sophie : habitation communautaire.")
        expect(text).to_contain_text("Julie : clauses sociales.")
    # Julie's cursor shows on Sophie's page, in colour, with her name (styles the CSP lets through).
    julie_text.click()  # Julie's editor has the focus: her cursor is part of what she shares
    julie.keyboard.press("End")
    caret = sophie.get_by_test_id("note-editor").locator(".cm-ySelectionCaret").first
    expect(caret).to_contain_text("Julie Roy", timeout=15_000)
    assert caret.evaluate("e => getComputedStyle(e).backgroundColor") not in ("rgba(0, 0, 0, 0)", "transparent")
    # CodeMirror's own styles apply too: the gutter is beside the text, not above it.
    gutter = sophie.get_by_test_id("note-editor").locator(".cm-gutters")
    assert gutter.evaluate("e => getComputedStyle(e).display") == "flex"
    final = text_of(sophie_text)
    assert text_of(julie_text) == final
    assert "Sophie : habitation communautaire." in final and "Julie : clauses sociales." in final
    sophie.reload()
    reloaded = sophie.get_by_test_id("note-editor").locator(".cm-content")
    expect(reloaded).to_contain_text("Julie : clauses sociales.")
    assert text_of(reloaded) == final

    # Both leave: the last one out makes the revision, signed by both.
    julie.goto("/")
    sophie.goto(f"/notes/{note}/history")
    revisions = sophie.get_by_test_id("note-revisions")
    for _attempt in range(20):
        if "Julie Roy" in revisions.inner_text():
            break
        sophie.wait_for_timeout(500)
        sophie.reload()
    expect(revisions).to_contain_text("Julie Roy")
    expect(revisions).to_contain_text("Sophie Gagnon")
    sophie.goto(f"/notes/{note}")
    expect(sophie.get_by_test_id("note-body")).to_contain_text("Sophie : habitation communautaire.")
    expect(sophie.get_by_test_id("note-body")).to_contain_text("Julie : clauses sociales.")


def test_without_javascript_the_plain_form_saves(new_context, live_server, note):
    note = note["id"]
    page = new_context(java_script_enabled=False).new_page()
    log_in(page, JULIE)
    page.goto(f"/notes/{note}/edit")
    expect(page.get_by_test_id("note-editor")).to_have_count(0)
    body = page.locator("textarea[name=body]")
    body.fill(body.input_value() + "\nAjout sans JavaScript.")
    with page.expect_navigation():
        page.get_by_test_id("note-save").click()
    expect(page.get_by_test_id("note-body")).to_contain_text("Ajout sans JavaScript.")


def test_note_pages_have_no_serious_accessibility_violations(new_context, live_server, note):
    from .test_accessibility import BLOCKING, describe, scan

    page = new_context(bypass_csp=True).new_page()  # axe is injected as an inline script: see test_accessibility
    log_in(page, SOPHIE)
    community, note = f"/c/{note['slug']}", note["id"]
    paths = ["/notes", f"{community}/notes", f"{community}/notes/new", f"/notes/{note}", f"/notes/{note}/history",
             f"/notes/{note}/share", f"/notes/{note}/attach", f"{community}/note-templates", f"/notes/{note}/edit"]
    report = []
    for path in paths:
        response = page.goto(path)
        assert response.status == 200, path
        if path.endswith("/edit"):
            expect(page.get_by_test_id("note-editor")).to_be_visible()
        report += describe(path, [v for v in scan(page) if v["impact"] in BLOCKING])
    assert not report, "\n" + "\n".join(report)


def test_live_editor_saves_the_title_and_the_text_together(new_context, live_server, note):
    page, content = open_editor(new_context, JULIE, note["id"])
    content.click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\nDernier ajout en direct.")
    expect(page.get_by_test_id("note-status")).to_have_attribute("data-state", "live")  # acknowledged
    page.locator("#title").fill("Compte rendu de la rencontre de mars")
    with page.expect_navigation():
        page.get_by_test_id("note-save").click()
    expect(page.get_by_test_id("note-title")).to_have_text("Compte rendu de la rencontre de mars")
    expect(page.get_by_test_id("note-body")).to_contain_text("Dernier ajout en direct.")


def test_toolbar_formats_the_live_text_and_the_preview_shows_it(new_context, note):
    page, content = open_editor(new_context, SOPHIE, note["id"])
    save = page.get_by_test_id("note-save")
    expect(save).to_have_value("Enregistrer le titre et afficher la note")
    content.click()
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    page.keyboard.type("Budget participatif")
    page.keyboard.press("Shift+Home")
    page.get_by_test_id("note-toolbar").get_by_role("button", name="Gras").click()
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.keyboard.type("Parcs")
    page.get_by_test_id("note-toolbar").get_by_role("button", name="Liste").click()
    expect(content).to_contain_text("**Budget participatif**")
    expect(content).to_contain_text("- Parcs")
    page.wait_for_timeout(500)  # the live document reaches the server
    with page.expect_navigation():
        page.get_by_test_id("note-preview-button").click()
    preview = page.get_by_test_id("note-preview")
    expect(preview.locator("strong")).to_have_text("Budget participatif")
    expect(preview.locator("li")).to_have_text("Parcs")
