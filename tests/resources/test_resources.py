"""The resource repository, as members use it through pages and the API."""
import io
import re

import docx
import pytest
import sqlalchemy as sa

from tests.conftest import login


def make_docx(text):
    document = docx.Document()
    for paragraph in text.split("\n"):
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def community(app, factory):
    _fid, facilitator = factory.user("Sophie Gagnon")
    _mid, member = factory.user("Julie Roy")
    _oid, observer = factory.user("Luc Pelletier")
    _xid, outsider = factory.user("Personne Dehors")
    slug = factory.community(facilitator, "CP Économie sociale")
    factory.add_member(slug, member)
    factory.add_member(slug, observer, "observer")
    clients = {}
    for name, email in (("facilitator", facilitator), ("member", member), ("observer", observer), ("outsider", outsider)):
        clients[name] = app.test_client()
        login(clients[name], email)
    clients["anonymous"] = app.test_client()
    return {"slug": slug, "clients": clients, "emails": {"member": member, "facilitator": facilitator}}


def upload(client, slug, data=None, filename="politique.docx", content=None, **fields):
    form = {"title": "Politique d'approvisionnement responsable", "type": "policy", "language": "fr", "municipality": "Ville de Lévis", "year": "2024"}
    form.update(fields)
    if content is not None:
        form["file"] = (io.BytesIO(content), filename)
    return client.post(f"/c/{slug}/resources/new", data=form, content_type="multipart/form-data")


def resource_id(response):
    return int(re.search(r"/resources/(\d+)", response.headers["Location"]).group(1))


def test_member_uploads_a_docx_and_sees_its_extract(community):
    member = community["clients"]["member"]
    content = make_docx("La Ville de Lévis achète auprès des entreprises d'économie sociale.\nBons et mauvais coups.")
    response = upload(member, community["slug"], content=content)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    page = member.get(f"/resources/{resource_id(response)}").get_data(as_text=True)
    assert "Politique d&#39;approvisionnement responsable" in page
    assert "entreprises d&#39;économie sociale" in page  # extract preview
    download = member.get(f"/resources/{resource_id(response)}/download")
    assert download.status_code == 200
    assert download.mimetype == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert "attachment" in download.headers["Content-Disposition"] and "politique.docx" in download.headers["Content-Disposition"]
    assert download.data == content


def test_type_is_decided_from_content_not_name(community):
    member = community["clients"]["member"]
    response = upload(member, community["slug"], content=b"\x7fELF\x02\x01\x01" + b"\0" * 200, filename="rapport.pdf")
    assert response.status_code == 415
    png = upload(member, community["slug"], content=b"\x89PNG\r\n\x1a\n" + b"\0" * 64, filename="carte.pdf")
    assert png.status_code == 302
    download = member.get(f"/resources/{resource_id(png)}/download")
    assert download.mimetype == "image/png"


def test_failed_extraction_keeps_the_file_and_says_why(community, app):
    member = community["clients"]["member"]
    broken = b"%PDF-1.7\n" + b"\x00garbage" * 200
    response = upload(member, community["slug"], content=broken, filename="abime.pdf")
    assert response.status_code == 302
    page = member.get(f"/resources/{resource_id(response)}")
    assert b'data-testid="extraction-failed"' in page.data
    assert member.get(f"/resources/{resource_id(response)}/download").data == broken


@pytest.mark.config(MAX_UPLOAD_MB=1, MAX_CONTENT_LENGTH=1024 * 1024)
def test_upload_over_the_limit_is_413_with_a_clear_message(community, app):
    member = community["clients"]["member"]
    response = upload(member, community["slug"], content=b"a" * (2 * 1024 * 1024), filename="gros.txt")
    assert response.status_code == 413
    assert b'data-testid="error-page"' in response.data
    from hub.extensions import db
    from hub.resources.models import Resource

    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(Resource.id))).scalar_one() == 0


def test_link_resource_and_case_study_without_file(community):
    member = community["clients"]["member"]
    link = upload(member, community["slug"], url="https://exemple.ca/programme", title="Programme de soutien", type="funding")
    assert link.status_code == 302
    story = upload(
        member, community["slug"], title="Parc confié à une coopérative", type="case_study",
        story_context="Un parc municipal négligé.", story_actions="Entente avec une coopérative de solidarité.",
        story_steps="Six mois.", story_results="Plus de fréquentation.", story_lessons="Prévoir l'entretien d'hiver.",
        story_contacts="Isabelle Côté",
    )
    assert story.status_code == 302
    page = member.get(f"/resources/{resource_id(story)}/print").get_data(as_text=True)
    assert "Prévoir l&#39;entretien d&#39;hiver." in page and "Entente avec une coopérative" in page
    nothing = upload(member, community["slug"], title="Vide", type="report")
    assert nothing.status_code == 422


def test_new_versions_keep_the_old_ones(community):
    member = community["clients"]["member"]
    first = make_docx("Version un")
    response = upload(member, community["slug"], content=first)
    rid = resource_id(response)
    second = make_docx("Version deux, révisée")
    added = member.post(f"/resources/{rid}/versions", data={"file": (io.BytesIO(second), "politique-v2.docx")}, content_type="multipart/form-data")
    assert added.status_code == 302
    assert member.get(f"/resources/{rid}/download").data == second
    assert member.get(f"/resources/{rid}/versions/1/download").data == first
    assert "Version deux" in member.get(f"/resources/{rid}").get_data(as_text=True)


def test_only_author_and_facilitators_edit_and_delete(community, app):
    clients = community["clients"]
    response = upload(clients["member"], community["slug"], content=make_docx("Texte"))
    rid = resource_id(response)
    assert clients["observer"].get(f"/resources/{rid}").status_code == 200
    assert clients["observer"].get(f"/resources/{rid}/edit").status_code == 403
    assert clients["outsider"].get(f"/resources/{rid}").status_code == 404
    assert clients["outsider"].get(f"/resources/{rid}/download").status_code == 404
    assert clients["anonymous"].get(f"/resources/{rid}/download").status_code == 404
    edited = clients["facilitator"].post(f"/resources/{rid}/edit", data={"title": "Titre revu", "type": "good_practice", "language": "fr"})
    assert edited.status_code == 302
    assert "Titre revu" in clients["member"].get(f"/resources/{rid}").get_data(as_text=True)
    assert clients["observer"].post(f"/resources/{rid}/delete").status_code == 403
    assert clients["member"].post(f"/resources/{rid}/delete").status_code == 302
    assert clients["member"].get(f"/resources/{rid}").status_code == 404
    from pathlib import Path

    assert [p for p in Path(app.config["UPLOAD_FOLDER"]).rglob("*") if p.is_file()] == []  # no orphan file left


def test_edit_page_removes_a_year_left_blank_and_keeps_fields_it_does_not_send(community):
    member = community["clients"]["member"]
    rid = resource_id(upload(member, community["slug"], content=make_docx("Texte"), licence="CC BY 4.0"))
    form = {"title": "Titre revu", "type": "policy", "language": "fr", "year": "", "municipality": ""}
    assert member.post(f"/resources/{rid}/edit", data=form).status_code == 302
    from hub.extensions import db
    from hub.resources.models import Resource

    with member.application.app_context():
        resource = db.session.get(Resource, rid)
        assert resource.year is None and resource.municipality == "" and resource.title == "Titre revu"
        assert resource.licence == "CC BY 4.0"  # not in the form sent: kept


def test_empty_file_on_the_page_is_refused_and_leaves_nothing(community, app):
    from pathlib import Path

    response = upload(community["clients"]["member"], community["slug"], content=b"", filename="vide.txt")
    assert response.status_code == 422
    assert [p for p in Path(app.config["UPLOAD_FOLDER"]).rglob("*") if p.is_file()] == []


def test_an_unsatisfiable_range_gets_a_localized_page(community):
    member = community["clients"]["member"]
    content = make_docx("Texte")
    rid = resource_id(upload(member, community["slug"], content=content))
    partial = member.get(f"/resources/{rid}/download", headers={"Range": "bytes=0-9"})
    assert partial.status_code == 206 and partial.data == content[:10]
    response = member.get(f"/resources/{rid}/download", headers={"Range": "bytes=99999999-"})
    assert response.status_code == 416 and response.headers["Content-Range"] == f"bytes */{len(content)}"
    page = response.get_data(as_text=True)
    assert 'data-testid="error-page"' in page and "(416)" in page
    assert "Erreur du serveur" not in page and "Server error" not in page


def test_browse_facets_count_and_filter(community):
    member = community["clients"]["member"]
    facilitator = community["clients"]["facilitator"]
    slug = community["slug"]
    facilitator.post(f"/c/{slug}/themes", data={"name": "Habitation"})
    facilitator.post(f"/c/{slug}/themes", data={"name": "Approvisionnement responsable"})
    themes_page = member.get(f"/c/{slug}/resources/new").get_data(as_text=True)
    habitation = re.search(r'value="(\d+)"[^>]*>\s*<label[^>]*>Habitation', themes_page) or re.search(r'id="themes-\d+" name="themes" type="checkbox" value="(\d+)"', themes_page)
    theme_id = habitation.group(1)
    upload(member, slug, url="https://exemple.ca/a", title="A", type="case_study", municipality="Ville de Laval", year="2023", themes=theme_id)
    upload(member, slug, url="https://exemple.ca/b", title="B", type="case_study", municipality="Ville de Lévis", year="2024")
    upload(member, slug, url="https://exemple.ca/c", title="C", type="report", municipality="Ville de Lévis", year="2024", language="en")
    page = member.get(f"/c/{slug}/resources").get_data(as_text=True)
    assert "3 " in page
    filtered = member.get(f"/c/{slug}/resources", query_string={"type": "case_study", "municipality": "Ville de Lévis"}).get_data(as_text=True)
    assert filtered.count('data-testid="resource"') == 1 and ">B</a>" in filtered
    by_theme = member.get(f"/c/{slug}/resources", query_string={"theme": theme_id}).get_data(as_text=True)
    assert by_theme.count('data-testid="resource"') == 1 and ">A</a>" in by_theme
    assert member.get(f"/c/{slug}/resources", query_string={"year": "abc", "theme": "x"}).status_code == 200


def test_summary_markdown_is_sanitized(community):
    member = community["clients"]["member"]
    response = upload(member, community["slug"], url="https://exemple.ca", summary="**Important** <script>alert(1)</script> [x](javascript:alert(1))")
    page = member.get(f"/resources/{resource_id(response)}").get_data(as_text=True)
    assert "<strong>Important</strong>" in page and "<script>alert" not in page and "javascript:" not in page


def test_api_create_list_get_update_download_version_delete(community, factory, app):
    token = factory.token(community["emails"]["member"])
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    slug = community["slug"]
    content = make_docx("Règlement municipal pour l'habitation en économie sociale")
    created = client.post(f"/api/v1/communities/{slug}/resources", headers=headers, content_type="multipart/form-data", data={
        "file": (io.BytesIO(content), "reglement.docx"), "title": "Règlement habitation", "type": "policy",
        "summary": "Un *règlement*.", "municipality": "Ville de Québec", "language": "fr", "year": "2022",
    })
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["extraction_status"] == "ok" and body["versions"][0]["mimetype"].endswith("wordprocessingml.document")
    rid = body["id"]
    listing = client.get(f"/api/v1/communities/{slug}/resources", headers=headers, query_string={"type": "policy"}).get_json()
    assert listing["total"] == 1 and listing["resources"][0]["id"] == rid
    assert client.get(f"/api/v1/communities/{slug}/resources", headers=headers, query_string={"per_page": "1000"}).status_code == 422
    updated = client.put(f"/api/v1/resources/{rid}", headers=headers, json={"title": "Règlement d'habitation", "year": 2023})
    assert updated.status_code == 200 and updated.get_json()["year"] == 2023 and updated.get_json()["municipality"] == "Ville de Québec"
    assert client.put(f"/api/v1/resources/{rid}", headers=headers, json={"year": "deux mille"}).status_code == 422
    assert client.put(f"/api/v1/resources/{rid}", headers=headers, json={"type": "poème"}).status_code == 422
    assert client.get(f"/api/v1/resources/{rid}/download", headers=headers).data == content
    version = client.post(f"/api/v1/resources/{rid}/versions", headers=headers, content_type="multipart/form-data", data={"file": (io.BytesIO(b"Texte brut, version 2"), "v2.txt")})
    assert version.status_code == 201 and version.get_json()["number"] == 2
    outsider_token = factory.token(factory.user()[1])
    assert client.get(f"/api/v1/resources/{rid}", headers={"Authorization": f"Bearer {outsider_token}"}).status_code == 404
    assert client.delete(f"/api/v1/resources/{rid}", headers=headers).status_code == 204
    assert client.get(f"/api/v1/resources/{rid}", headers=headers).status_code == 404
