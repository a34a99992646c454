"""Notes through the pages: private first, shared when useful, history, restore, export, 409."""
import re

import sqlalchemy as sa

from tests.conftest import login
from tests.notes.conftest import auth, create


def client_for(app, cast, who):
    client = app.test_client()
    login(client, cast.emails[who])
    return client


def text(response):
    return response.get_data(as_text=True)


def test_create_from_a_template_private_by_default(app, cast):
    owner = client_for(app, cast, "owner")
    page = owner.get(f"/c/{cast.slug}/notes/new")
    assert page.status_code == 200
    assert "Meeting minutes" in text(page) or "Compte rendu de rencontre" in text(page)
    response = owner.post(f"/c/{cast.slug}/notes/new", data={"title": "Récit d'implantation à Laval", "template": "story", "visibility": "private"})
    assert response.status_code == 302
    note_id = int(re.search(r"/notes/(\d+)/edit", response.headers["Location"]).group(1))
    shown = owner.get(f"/notes/{note_id}")
    assert shown.status_code == 200 and "Récit d&#39;implantation à Laval" in text(shown)
    assert "<h2>" in text(shown)  # the template's headings, rendered
    # Private: other members do not even learn it exists; it is not in their list.
    julie = client_for(app, cast, "julie")
    assert julie.get(f"/notes/{note_id}").status_code == 404
    assert "Laval" not in text(julie.get(f"/c/{cast.slug}/notes"))
    assert "Récit d&#39;implantation à Laval" in text(owner.get("/notes"))


def test_share_with_chosen_members_then_withdraw(app, cast):
    note_id = create(app.test_client(), cast)
    owner = client_for(app, cast, "owner")
    julie = client_for(app, cast, "julie")
    karim = client_for(app, cast, "karim")
    response = owner.post(f"/notes/{note_id}/share", data={"visibility": "members", "members": [str(cast.ids["julie"])]})
    assert response.status_code == 302
    assert julie.get(f"/notes/{note_id}").status_code == 200
    assert "Compte rendu" in text(julie.get("/notes"))
    assert julie.get(f"/notes/{note_id}/edit").status_code == 200
    assert karim.get(f"/notes/{note_id}").status_code == 404
    # Only the owner shares.
    assert julie.get(f"/notes/{note_id}/share").status_code == 403
    owner.post(f"/notes/{note_id}/share", data={"visibility": "community"})
    assert karim.get(f"/notes/{note_id}").status_code == 200
    observer = client_for(app, cast, "observer")
    assert observer.get(f"/notes/{note_id}").status_code == 200
    assert observer.get(f"/notes/{note_id}/edit").status_code == 403  # observers read only
    owner.post(f"/notes/{note_id}/share", data={"visibility": "private"})
    assert julie.get(f"/notes/{note_id}").status_code == 404
    assert karim.get(f"/notes/{note_id}").status_code == 404
    outsider = client_for(app, cast, "outsider")
    assert outsider.get(f"/notes/{note_id}").status_code == 404


def test_edit_without_javascript_and_conflict_keeps_both_texts(app, cast):
    note_id = create(app.test_client(), cast, visibility="community")
    owner = client_for(app, cast, "owner")
    julie = client_for(app, cast, "julie")
    form = text(owner.get(f"/notes/{note_id}/edit"))
    assert 'name="base_revision"' in form and 'value="1"' in form
    assert 'data-testid="note-form"' in form
    # Julie saves first, from revision 1.
    response = julie.post(f"/notes/{note_id}/edit", data={"title": "Compte rendu — approvisionnement responsable", "body": "Texte de Julie", "base_revision": "1"})
    assert response.status_code == 302
    # The owner started from revision 1 too: 409, both texts shown, nothing lost.
    response = owner.post(f"/notes/{note_id}/edit", data={"title": "Compte rendu — approvisionnement responsable", "body": "Texte de Sophie", "base_revision": "1"})
    assert response.status_code == 409
    page = text(response)
    assert "Texte de Julie" in page and "Texte de Sophie" in page
    assert 'value="2"' in page  # the form now starts from the latest revision
    response = owner.post(f"/notes/{note_id}/edit", data={"title": "Compte rendu", "body": "Texte de Julie\n\nTexte de Sophie", "base_revision": "2"})
    assert response.status_code == 302
    shown = text(owner.get(f"/notes/{note_id}"))
    assert "Texte de Julie" in shown and "Texte de Sophie" in shown


def test_history_diff_and_restore(app, cast):
    note_id = create(app.test_client(), cast, body="Ligne un\nLigne deux\n", visibility="community")
    owner = client_for(app, cast, "owner")
    julie = client_for(app, cast, "julie")
    julie.post(f"/notes/{note_id}/edit", data={"title": "Compte rendu", "body": "Ligne un\nLigne 2 modifiée\nLigne trois\n", "base_revision": "1"})
    history = text(owner.get(f"/notes/{note_id}/history"))
    assert "Julie Roy" in history and "Sophie Gagnon" in history
    assert "<del>Ligne deux</del>" in history and "<ins>Ligne 2 modifiée</ins>" in history
    compare = text(owner.get(f"/notes/{note_id}/history?a=2&b=1"))
    assert "<ins>Ligne deux</ins>" in compare
    response = owner.post(f"/notes/{note_id}/revisions/1/restore")
    assert response.status_code == 302
    shown = text(owner.get(f"/notes/{note_id}"))
    assert "Ligne deux" in shown and "modifiée" not in shown
    history = text(owner.get(f"/notes/{note_id}/history"))
    assert history.count('data-testid="note-revision"') == 3
    assert text(owner.get(f"/notes/{note_id}/revisions/2")).count("Ligne 2 modifiée") >= 1


def test_export_markdown_and_printable_page(app, cast):
    note_id = create(app.test_client(), cast, body="**Décision** : on continue.\n")
    owner = client_for(app, cast, "owner")
    export = owner.get(f"/notes/{note_id}.md")
    assert export.status_code == 200
    assert export.headers["Content-Type"].startswith("text/markdown")
    assert "attachment" in export.headers["Content-Disposition"]
    assert text(export) == "# Compte rendu — approvisionnement responsable\n\n**Décision** : on continue.\n"
    printed = text(owner.get(f"/notes/{note_id}/print"))
    assert "<strong>Décision</strong>" in printed and "print.css" in printed


def test_markdown_is_sanitized(app, cast):
    note_id = create(app.test_client(), cast, body="<script>alert(1)</script>\n\n[x](javascript:alert(1))\n")
    page = text(client_for(app, cast, "owner").get(f"/notes/{note_id}"))
    assert "<script>alert" not in page and "javascript:alert" not in page


def test_attach_to_a_meeting_lists_it_there_for_readers(app, cast):
    from datetime import timedelta

    from hub.accounts import service as accounts
    from hub.communities import service as communities
    from hub.extensions import db
    from hub.meetings import service as meetings
    from hub.timeutil import utcnow

    with app.test_request_context():
        community = communities.by_slug(cast.slug)
        start = utcnow() + timedelta(days=3)
        meeting = meetings.create_meeting(community, accounts.find_by_email(cast.emails["owner"]), title="Rencontre de novembre",
                                          start=start, end=start + timedelta(hours=1), tz_name="America/Toronto")
        db.session.commit()
        meeting_id = meeting.id
    owner = client_for(app, cast, "owner")
    new_form = text(owner.get(f"/c/{cast.slug}/notes/new?attached_to=meeting:{meeting_id}"))
    assert f'value="meeting:{meeting_id}" selected' in new_form or f'selected value="meeting:{meeting_id}"' in new_form
    response = owner.post(f"/c/{cast.slug}/notes/new", data={
        "title": "Compte rendu de novembre", "template": "minutes", "visibility": "community", "attached_to": f"meeting:{meeting_id}"})
    assert response.status_code == 302
    julie = client_for(app, cast, "julie")
    meeting_page = text(julie.get(f"/meetings/{meeting_id}"))
    assert 'data-testid="meeting-notes"' in meeting_page and "Compte rendu de novembre" in meeting_page
    # A private note attached to the meeting is listed only for its owner.
    private = create(app.test_client(), cast, title="Mes notes perso", attached_to={"kind": "meeting", "id": meeting_id})
    assert "Mes notes perso" not in text(julie.get(f"/meetings/{meeting_id}"))
    assert "Mes notes perso" in text(owner.get(f"/meetings/{meeting_id}"))
    assert private


def test_facilitator_adds_a_community_template(app, cast):
    owner = client_for(app, cast, "owner")  # the community's creator is its facilitator
    response = owner.post(f"/c/{cast.slug}/note-templates", data={"name": "Fiche projet", "body": "## Porteur\n\n## Budget\n"})
    assert response.status_code == 302
    julie = client_for(app, cast, "julie")
    assert julie.get(f"/c/{cast.slug}/note-templates").status_code == 403
    form = text(julie.get(f"/c/{cast.slug}/notes/new"))
    key = re.search(r'<option value="(c\d+)">Fiche projet</option>', form).group(1)
    response = julie.post(f"/c/{cast.slug}/notes/new", data={"title": "Projet de Lévis", "template": key, "visibility": "private"})
    note_id = int(re.search(r"/notes/(\d+)/edit", response.headers["Location"]).group(1))
    assert "Budget" in text(julie.get(f"/notes/{note_id}"))


def test_community_nav_has_notes(app, cast):
    page = text(client_for(app, cast, "julie").get(f"/c/{cast.slug}/notes"))
    assert 'data-testid="nav-notes"' in page


def test_guest_and_observer_cannot_create(app, cast):
    for who in ("guest", "observer"):
        assert client_for(app, cast, who).get(f"/c/{cast.slug}/notes/new").status_code == 403


def test_search_reflects_visibility(app, cast):
    client = app.test_client()
    note_id = create(client, cast, title="Règlement sur l'habitation communautaire", body="Stationnement mutualisé")
    julie = {"Authorization": f"Bearer {cast.tokens['julie']}"}

    def found(headers):
        response = client.get("/api/v1/search?q=stationnement", headers=headers)
        assert response.status_code == 200, response.get_json()
        return [hit["id"] for hit in response.get_json()["results"] if hit["kind"] == "note"]

    assert found(auth(cast, "owner")) == [note_id]
    assert found(julie) == []
    client.post(f"/api/v1/notes/{note_id}/share", json={"visibility": "members", "members": [cast.ids["julie"]]}, headers=auth(cast, "owner"))
    assert found(julie) == [note_id]
    assert found(auth(cast, "karim")) == []
    # Julie leaves the community: the note shared with her by name no longer comes up for her.
    julie_pages = client_for(app, cast, "julie")
    assert julie_pages.post(f"/c/{cast.slug}/leave").status_code == 302
    assert found(julie) == []
    client.post(f"/api/v1/notes/{note_id}/share", json={"visibility": "community"}, headers=auth(cast, "owner"))
    assert found(auth(cast, "karim")) == [note_id]
    assert found(auth(cast, "outsider")) == []


def test_demo_has_minutes_on_the_monthly_meeting_and_a_story(app):
    from hub.extensions import db
    from hub.meetings.models import Meeting

    assert app.test_cli_runner().invoke(args=["hub", "demo"]).exit_code == 0
    client = app.test_client()
    login(client, "julie.roy@exemple.ca", "demo-hub-2026")
    with app.app_context():
        meeting_id = db.session.execute(sa.select(Meeting.id).where(Meeting.rrule.is_not(None))).scalars().first()
    assert "Compte rendu — rencontre mensuelle" in text(client.get(f"/meetings/{meeting_id}"))
    notes = text(client.get("/c/es-municipale/notes"))
    assert "Récit d&#39;implantation" in notes and "Idées pour la prochaine rencontre" not in notes  # Sophie's private note
    found = client.get("/search?q=ressourcerie+encombrants")
    assert "Récit d&#39;implantation" in text(found)


def test_notes_attached_to_a_resource_and_a_thread_are_listed_there(app, cast):
    import io

    from werkzeug.datastructures import FileStorage

    from hub.accounts import service as accounts
    from hub.communities import service as communities
    from hub.discussions import service as discussions
    from hub.extensions import db
    from hub.resources import service as resources

    with app.test_request_context():
        community = communities.by_slug(cast.slug)
        owner = accounts.find_by_email(cast.emails["owner"])
        resource = resources.create(community, owner, {"title": "Politique d'achat", "type": "report", "language": "fr"},
                                    file=FileStorage(io.BytesIO("Achat responsable.".encode()), "politique.txt"))
        thread, _post = discussions.create_thread(community, owner, "Clauses sociales", "Qui a un exemple ?")
        db.session.commit()
        resource_id, thread_id = resource.id, thread.id
    create(app.test_client(), cast, title="Lecture de la politique", visibility="community", attached_to={"kind": "resource", "id": resource_id})
    create(app.test_client(), cast, title="Synthèse de la discussion", visibility="community", attached_to={"kind": "thread", "id": thread_id})
    create(app.test_client(), cast, title="Brouillon privé", attached_to={"kind": "thread", "id": thread_id})
    julie = client_for(app, cast, "julie")
    resource_page = text(julie.get(f"/resources/{resource_id}"))
    assert 'data-testid="attached-notes"' in resource_page and "Lecture de la politique" in resource_page
    thread_page = text(julie.get(f"/threads/{thread_id}"))
    assert "Synthèse de la discussion" in thread_page and "Brouillon privé" not in thread_page
    assert f"attached_to=thread:{thread_id}" in thread_page.replace("%3A", ":")
    shown = text(julie.get(f"/notes/{_note_id(app, 'Synthèse de la discussion')}"))
    assert f"/threads/{thread_id}" in shown  # the note links back to its thread


def _note_id(app, title):
    from hub.extensions import db
    from hub.notes.models import Note

    with app.app_context():
        return db.session.execute(sa.select(Note.id).where(Note.title == title)).scalar_one()


def test_preview_without_javascript_saves_nothing(app, cast):
    note_id = create(app.test_client(), cast, visibility="community")
    owner = client_for(app, cast, "owner")
    body = "## Décisions\n\n- **Adopter** le guide"
    response = owner.post(f"/notes/{note_id}/edit", data={"title": "Compte rendu", "body": body, "base_revision": "1", "preview": "Aperçu"})
    assert response.status_code == 200
    page = text(response)
    preview = page.split('data-testid="note-preview"', 1)[1]
    assert "<h2>Décisions</h2>" in preview and "<strong>Adopter</strong>" in preview
    assert "Aperçu (pas encore enregistré)" in page and "## Décisions" in page.split('data-testid="note-preview"', 1)[0]  # the text stays in the form
    assert "Adopter" not in text(owner.get(f"/notes/{note_id}"))
    assert 'data-testid="note-toolbar"' in page and 'data-label-done="Enregistrer le titre et afficher la note"' in page
