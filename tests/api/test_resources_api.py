"""The resource repository through /api/v1, every answer checked against openapi.json."""
import fnmatch
import hashlib
import io
from pathlib import Path

import docx
import pytest

from tests.api.spec import assert_matches_spec, document, operation
from tests.conftest import login

API = "/api/v1"
MB = 1024 * 1024
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ELF = b"\x7fELF\x02\x01\x01" + b"\0" * 200


def make_docx(text):
    document_ = docx.Document()
    for paragraph in text.split("\n"):
        document_.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document_.save(buffer)
    return buffer.getvalue()


def _documented(method, template, status):
    path, op = operation(method, template)
    assert status in op["responses"], (
        f"{method.upper()} {path} answered {status}, which is not documented (documented: {', '.join(sorted(op['responses']))})"
    )
    answer = op["responses"][status]
    while "$ref" in answer:
        answer = document()["components"]["responses"][answer["$ref"].rsplit("/", 1)[-1]]
    return answer


def check(response, method, template):
    """assert_matches_spec, also for files: a documented non-JSON body is matched by media range and
    headers. Returns the JSON body, or the bytes of a file."""
    status = str(response.status_code)
    content = _documented(method, template, status).get("content") or {}
    if not content or "application/json" in content:
        return assert_matches_spec(response, method, template)
    answer = _documented(method, template, status)
    assert any(fnmatch.fnmatch(response.mimetype, media_range) for media_range in content), (
        f"{method.upper()} {template} {status} answered {response.mimetype}, documented: {sorted(content)}"
    )
    for media_range, media in content.items():
        assert media["schema"] == {"type": "string", "format": "binary"}, media_range
    for header in answer.get("headers", {}):
        assert header in response.headers, f"{method.upper()} {template} {status}: no {header} header"
    return response.data


def bearer(token):
    return {"Authorization": f"Bearer {token}"} if token else {}


def call(client, method, template, token=None, values=None, **kwargs):
    """Send a request to the API and check the answer against the document; return (status, body)."""
    headers = {**kwargs.pop("headers", {}), **bearer(token)}
    response = client.open(API + template.format(**(values or {})), method=method.upper(), headers=headers, **kwargs)
    return response.status_code, check(response, method, template)


class Person:
    def __init__(self, factory, name):
        self.id, self.email = factory.user(name)
        self.token = factory.token(self.email)


@pytest.fixture
def world(app, factory):
    """A private community with a facilitator, two members and an observer; an outsider; a listed community."""
    w = type("World", (), {})()
    w.app = app
    w.facilitator = Person(factory, "Sophie Gagnon")
    w.member = Person(factory, "Julie Roy")
    w.other_member = Person(factory, "Marc Bouchard")
    w.observer = Person(factory, "Luc Pelletier")
    w.outsider = Person(factory, "Olivier Nadeau")
    w.slug = factory.community(w.facilitator.email, "CP Économie sociale")
    factory.add_member(w.slug, w.member.email)
    factory.add_member(w.slug, w.other_member.email)
    factory.add_member(w.slug, w.observer.email, "observer")
    w.listed = factory.community(w.facilitator.email, "Habitation communautaire", visibility="listed")
    w.public = factory.community(w.facilitator.email, "Revitalisation des artères commerciales", visibility="public")
    return w


def add_themes(app, world, *names):
    """A facilitator adds themes to the community's list through the page."""
    client = app.test_client()
    login(client, world.facilitator.email)
    for name in names:
        assert client.post(f"/c/{world.slug}/themes", data={"name": name}).status_code == 302


def create(client, world, token=None, slug=None, content=None, filename="politique.docx", **fields):
    form = {"title": "Politique d'approvisionnement responsable", "type": "policy", "language": "fr", "municipality": "Ville de Lévis", "year": "2024"}
    form.update(fields)
    if content is not None:
        form["file"] = (io.BytesIO(content), filename)
    return call(client, "post", "/communities/{slug}/resources", token or world.member.token, values={"slug": slug or world.slug},
                data=form, content_type="multipart/form-data")


def stored_files(app):
    return [p for p in Path(app.config["UPLOAD_FOLDER"]).rglob("*") if p.is_file()]


def count_resources(app):
    import sqlalchemy as sa

    from hub.extensions import db
    from hub.resources.models import Resource

    with app.app_context():
        return db.session.execute(sa.select(sa.func.count(Resource.id))).scalar_one()


# --- POST /communities/{slug}/resources --------------------------------------------------


def test_create_with_a_docx(client, world, app):
    add_themes(app, world, "Approvisionnement responsable", "Habitation")
    content = make_docx("La Ville de Lévis achète auprès des entreprises d'économie sociale.\nBons et mauvais coups.")
    status, body = create(client, world, content=content, filename="règlement.docx", summary="Un *règlement* municipal.",
                          themes="approvisionnement responsable, Habitation", tags="achats, économie sociale, achats",
                          source_organization="Chantier de l'économie sociale", licence="CC BY 4.0")
    assert status == 201
    assert body["extraction_status"] == "ok"
    assert body["community"] == world.slug and body["type"] == "policy" and body["language"] == "fr" and body["year"] == 2024
    assert body["themes"] == ["Approvisionnement responsable", "Habitation"]
    assert body["tags"] == ["achats", "économie sociale"]
    assert body["url"] is None and body["municipality"] == "Ville de Lévis" and body["licence"] == "CC BY 4.0"
    assert body["author"]["id"] == world.member.id
    assert "<em>règlement</em>" in body["summary_html"]
    assert body["story"] == {"context": "", "actions": "", "steps": "", "results": "", "lessons": "", "contacts": ""}
    [version] = body["versions"]
    assert version["number"] == 1 and version["filename"] == "règlement.docx" and version["mimetype"] == DOCX
    assert version["size"] == len(content) and version["sha256"] == hashlib.sha256(content).hexdigest()
    assert version["extraction_status"] == "ok" and version["extraction_reason"] is None
    assert version["download_url"] == f"http://localhost/api/v1/resources/{body['id']}/versions/1/download"
    assert body["page_url"] == f"http://localhost/resources/{body['id']}"


def test_create_a_link(client, world):
    status, body = create(client, world, url="https://exemple.ca/programme-soutien", title="Programme de soutien aux coopératives", type="funding", year="")
    assert status == 201
    assert body["url"] == "https://exemple.ca/programme-soutien" and body["type"] == "funding"
    assert body["versions"] == [] and body["extraction_status"] is None and body["year"] is None


def test_create_a_case_study_with_its_story_and_no_file(client, world):
    story = {
        "story_context": "Un parc municipal négligé.", "story_actions": "Entente avec une coopérative de solidarité.",
        "story_steps": "Six mois.", "story_results": "Plus de fréquentation.", "story_lessons": "Prévoir l'entretien d'hiver.",
        "story_contacts": "Isabelle Côté, Ville de Sherbrooke",
    }
    status, body = create(client, world, title="Parc confié à une coopérative", type="case_study", **story)
    assert status == 201
    assert body["story"] == {name.removeprefix("story_"): value for name, value in story.items()}
    assert body["versions"] == [] and body["url"] is None


def test_create_refuses_json_and_executables(client, world, app):
    status, body = call(client, "post", "/communities/{slug}/resources", world.member.token, values={"slug": world.slug},
                        json={"title": "Politique", "url": "https://exemple.ca"})
    assert status == 415 and body["error"]["message"]
    status, body = create(client, world, content=ELF, filename="rapport.pdf")
    assert status == 415 and body["error"]["code"] == "unsupported_type" and "file" in body["error"]["fields"]
    assert count_resources(app) == 0 and stored_files(app) == []


@pytest.mark.config(MAX_UPLOAD_MB=1, MAX_CONTENT_LENGTH=3 * MB)
def test_create_refuses_a_file_over_the_upload_limit(client, world, app):
    status, body = create(client, world, content=b"a" * (2 * MB), filename="gros.txt")  # the body fits, the file does not
    assert status == 413 and body["error"]["code"] == "too_large" and "file" in body["error"]["fields"]
    status, body = create(client, world, content=b"a" * (4 * MB), filename="enorme.txt")  # the body itself is too large
    assert status == 413 and body["error"]["code"] == "too_large"
    assert count_resources(app) == 0 and stored_files(app) == []


@pytest.mark.config(MAX_UPLOAD_MB=1, MAX_CONTENT_LENGTH=1 * MB)
def test_create_over_max_content_length_is_413(client, world, app):
    status, body = create(client, world, content=b"a" * (2 * MB), filename="gros.txt")
    assert status == 413 and body["error"]["message"]
    assert count_resources(app) == 0


INVALID_CREATIONS = [
    ({"type": "poème", "url": "https://exemple.ca"}, "type"),
    ({"language": "de", "url": "https://exemple.ca"}, "language"),
    ({"year": "deux mille", "url": "https://exemple.ca"}, "year"),
    ({"year": "1850", "url": "https://exemple.ca"}, "year"),
    ({"themes": "Zorglub", "url": "https://exemple.ca"}, "themes"),
    ({"title": "  ", "url": "https://exemple.ca"}, "title"),
    ({"title": "x" * 301, "url": "https://exemple.ca"}, "title"),
    ({"url": "pas une adresse"}, "url"),
    ({}, "file"),  # neither a file, a link nor a story
    ({"type": "report", "story_context": "Un récit sans type étude de cas."}, "file"),
]


@pytest.mark.parametrize("fields,field", INVALID_CREATIONS)
def test_create_validates(client, world, app, fields, field):
    status, body = create(client, world, **fields)
    assert status == 422
    assert field in body["error"]["fields"], body
    assert count_resources(app) == 0


def test_create_refuses_a_file_and_a_link_together_and_an_empty_file(client, world, app):
    status, body = create(client, world, content=make_docx("Texte"), url="https://exemple.ca")
    assert status == 422 and "url" in body["error"]["fields"]
    assert stored_files(app) == []
    status, body = create(client, world, content=b"", filename="vide.txt")
    assert status == 422 and "file" in body["error"]["fields"]
    assert count_resources(app) == 0


def test_an_empty_file_leaves_no_blob(client, world, app):
    status, _body = create(client, world, content=b"", filename="vide.txt")
    assert status == 422
    assert stored_files(app) == []


def test_an_empty_version_leaves_no_blob(client, world, app, docx_resource):
    status, body = add_version(client, world.member.token, docx_resource["id"], content=b"", filename="vide.txt")
    assert status == 422 and "file" in body["error"]["fields"]
    assert len(stored_files(app)) == 1


def test_create_refused_to_observers_outsiders_and_anonymous(client, world, app):
    status, _body = create(client, world, token=world.observer.token, url="https://exemple.ca")
    assert status == 403
    status, _body = create(client, world, token=world.outsider.token, url="https://exemple.ca")
    assert status == 404
    status, _body = call(client, "post", "/communities/{slug}/resources", values={"slug": world.slug},
                         data={"title": "Lien", "url": "https://exemple.ca"}, content_type="multipart/form-data")
    assert status == 404, "a private community is not revealed to anonymous callers"
    status, _body = call(client, "post", "/communities/{slug}/resources", values={"slug": world.public},
                         data={"title": "Lien", "url": "https://exemple.ca"}, content_type="multipart/form-data")
    assert status == 401
    status, _body = create(client, world, token=world.member.token, slug="nexiste-pas", url="https://exemple.ca")
    assert status == 404
    status, body = create(client, world, token="hub_pas-un-jeton", url="https://exemple.ca")
    assert status == 401 and body["error"]["code"] == "invalid_token"
    assert count_resources(app) == 0


def test_create_with_a_nul_character_is_400(client, world, app):
    status, _body = create(client, world, url="https://exemple.ca", title="a\x00b")
    assert status == 400
    assert count_resources(app) == 0


# --- GET /communities/{slug}/resources ---------------------------------------------------


@pytest.fixture
def catalogue(client, world, app):
    """Three link resources with different facets; returns their ids by title."""
    add_themes(app, world, "Habitation")
    ids = {}
    for fields in (
        dict(title="A", type="case_study", municipality="Ville de Laval", year="2023", themes="habitation"),
        dict(title="B", type="case_study", municipality="Ville de Lévis", year="2024"),
        dict(title="C", type="report", municipality="Ville de Lévis", year="2024", language="en"),
    ):
        status, body = create(client, world, url=f"https://exemple.ca/{fields['title']}", **fields)
        assert status == 201
        ids[fields["title"]] = body["id"]
    return ids


def listing(client, world, token=None, **query):
    return call(client, "get", "/communities/{slug}/resources", token or world.observer.token, values={"slug": world.slug}, query_string=query)


def titles(body):
    return sorted(r["title"] for r in body["resources"])


def test_list_filters(client, world, catalogue):
    status, body = listing(client, world)
    assert status == 200 and body["total"] == 3 and body["page"] == 1 and body["per_page"] == 20
    assert titles(body) == ["A", "B", "C"]
    assert set(body["resources"][0]) >= {"id", "title", "themes"} and "versions" not in body["resources"][0]
    assert titles(listing(client, world, type="case_study", municipality="Ville de Lévis")[1]) == ["B"]
    assert titles(listing(client, world, theme="HABITATION")[1]) == ["A"]
    assert listing(client, world, theme="Inconnu")[1]["total"] == 0
    assert titles(listing(client, world, year="2024")[1]) == ["B", "C"]
    assert titles(listing(client, world, language="en")[1]) == ["C"]


def test_list_pages(client, world, catalogue):
    seen = []
    for page in (1, 2, 3):
        status, body = listing(client, world, per_page="1", page=str(page))
        assert status == 200 and body["total"] == 3 and body["per_page"] == 1 and body["page"] == page
        seen += [r["id"] for r in body["resources"]]
    assert sorted(seen) == sorted(catalogue.values())
    assert listing(client, world, page="4")[1]["resources"] == []


@pytest.mark.parametrize("query,field", [
    ({"per_page": "1000"}, "per_page"), ({"per_page": "0"}, "per_page"), ({"page": "0"}, "page"), ({"page": "abc"}, "page"),
    ({"page": "-1"}, "page"), ({"page": "²"}, "page"), ({"page": "9" * 5000}, "page"), ({"year": "abc"}, "year"),
    ({"year": "1800"}, "year"), ({"type": "poème"}, "type"), ({"language": "de"}, "language"),
])
def test_list_validates_filters(client, world, query, field):
    status, body = listing(client, world, **query)
    assert status == 422 and field in body["error"]["fields"]


def test_list_access(client, world, factory):
    assert listing(client, world, token=world.outsider.token)[0] == 404
    status, _body = call(client, "get", "/communities/{slug}/resources", values={"slug": world.slug})
    assert status == 404
    status, _body = call(client, "get", "/communities/{slug}/resources", world.outsider.token, values={"slug": world.listed})
    assert status == 403, "a listed community is visible, its resources are not"
    status, _body = call(client, "get", "/communities/{slug}/resources", values={"slug": world.public})
    assert status == 401
    status, _body = call(client, "get", "/communities/{slug}/resources", world.member.token, values={"slug": "nexiste-pas"})
    assert status == 404
    status, _body = call(client, "get", "/communities/{slug}/resources", world.member.token, values={"slug": world.slug}, query_string="q=%00")
    assert status == 400


# --- GET, PUT, DELETE /resources/{resource_id} -------------------------------------------


@pytest.fixture
def docx_resource(client, world):
    content = make_docx("Règlement municipal pour l'habitation en économie sociale")
    status, body = create(client, world, content=content, filename="reglement.docx", summary="Un *règlement*.",
                          municipality="Ville de Québec", year="2022", tags="habitation", licence="CC BY 4.0")
    assert status == 201
    return {"id": body["id"], "content": content}


def get(client, token, rid):
    return call(client, "get", "/resources/{resource_id}", token, values={"resource_id": rid})


def put(client, token, rid, **kwargs):
    return call(client, "put", "/resources/{resource_id}", token, values={"resource_id": rid}, **kwargs)


def delete(client, token, rid):
    return call(client, "delete", "/resources/{resource_id}", token, values={"resource_id": rid})


def test_get_a_resource(client, world, docx_resource):
    status, body = get(client, world.observer.token, docx_resource["id"])
    assert status == 200
    assert body["title"] == "Politique d'approvisionnement responsable" and body["summary"] == "Un *règlement*."
    assert len(body["versions"]) == 1 and body["extraction_status"] == "ok"
    assert get(client, world.member.token, 987654)[0] == 404


def test_update_changes_only_what_is_sent(client, world, app, docx_resource):
    rid = docx_resource["id"]
    add_themes(app, world, "Habitation", "Approvisionnement responsable")
    status, body = put(client, world.member.token, rid, json={"title": "Règlement d'habitation", "year": 2023, "themes": ["habitation"]})
    assert status == 200
    assert body["title"] == "Règlement d'habitation" and body["year"] == 2023 and body["themes"] == ["Habitation"]
    assert body["municipality"] == "Ville de Québec" and body["summary"] == "Un *règlement*." and body["tags"] == ["habitation"]
    assert body["licence"] == "CC BY 4.0" and body["type"] == "policy" and len(body["versions"]) == 1
    status, body = put(client, world.facilitator.token, rid, json={"story_lessons": "Consulter les coopératives tôt.", "summary": "**Adopté** en 2023."})
    assert status == 200 and body["story"]["lessons"] == "Consulter les coopératives tôt."
    assert "<strong>Adopté</strong>" in body["summary_html"] and body["title"] == "Règlement d'habitation" and body["themes"] == ["Habitation"]
    status, body = put(client, world.member.token, rid, json={"themes": ["Approvisionnement responsable", "Habitation"]})
    assert body["themes"] == ["Approvisionnement responsable", "Habitation"]
    status, body = put(client, world.member.token, rid, json={"themes": []})
    assert status == 200 and body["themes"] == [] and body["year"] == 2023 and body["title"] == "Règlement d'habitation"
    assert get(client, world.observer.token, rid)[1] == body


def test_update_removes_the_year_with_null(client, world, docx_resource):
    status, body = put(client, world.member.token, docx_resource["id"], json={"year": None})
    assert status == 200 and body["year"] is None


def test_update_removes_optional_fields_with_null_and_keeps_those_left_out(client, world, app, docx_resource):
    rid = docx_resource["id"]
    add_themes(app, world, "Habitation")
    assert put(client, world.member.token, rid, json={"themes": ["Habitation"], "story_lessons": "Consulter tôt."})[0] == 200
    status, body = put(client, world.member.token, rid, json={
        "municipality": None, "licence": None, "source_organization": None, "summary": None, "tags": None,
        "story_lessons": None, "themes": None, "url": None,
    })
    assert status == 200, body
    assert body["municipality"] is None and body["licence"] is None and body["source_organization"] is None
    assert body["summary"] == "" and body["summary_html"] == "" and body["tags"] == [] and body["themes"] == []
    assert body["story"]["lessons"] == "" and body["url"] is None
    assert body["title"] == "Politique d'approvisionnement responsable" and body["type"] == "policy"
    assert body["language"] == "fr" and body["year"] == 2022 and len(body["versions"]) == 1


@pytest.mark.parametrize("field", ["title", "type", "language"])
def test_update_refuses_null_for_a_required_field(client, world, docx_resource, field):
    rid = docx_resource["id"]
    before = get(client, world.member.token, rid)[1]
    status, body = put(client, world.member.token, rid, json={field: None})
    assert status == 422 and field in body["error"]["fields"], body
    assert get(client, world.member.token, rid)[1] == before


def test_update_removes_a_link_with_null(client, world):
    _status, body = create(client, world, url="https://exemple.ca/ancien", title="Lien", type="case_study", story_context="Contexte.")
    status, body = put(client, world.member.token, body["id"], json={"url": None})
    assert status == 200 and body["url"] is None and body["story"]["context"] == "Contexte."


def test_update_a_link(client, world):
    status, body = create(client, world, url="https://exemple.ca/ancien", title="Lien")
    status, body = put(client, world.member.token, body["id"], json={"url": "https://exemple.ca/nouveau"})
    assert status == 200 and body["url"] == "https://exemple.ca/nouveau"


@pytest.mark.parametrize("payload,field", [
    ({"year": "deux mille"}, "year"), ({"year": "2020"}, "year"), ({"year": True}, "year"), ({"year": 1800}, "year"),
    ({"type": "poème"}, "type"), ({"language": "de"}, "language"), ({"title": ""}, "title"), ({"title": 5}, "title"),
    ({"themes": ["Zorglub"]}, "themes"), ({"themes": 5}, "themes"), ({"themes": [1, 2]}, "themes"),
    ({"url": "https://exemple.ca"}, "url"),  # a file resource takes versions, not a link
])
def test_update_validates(client, world, docx_resource, payload, field):
    rid = docx_resource["id"]
    before = get(client, world.member.token, rid)[1]
    status, body = put(client, world.member.token, rid, json=payload)
    assert status == 422 and field in body["error"]["fields"], body
    assert get(client, world.member.token, rid)[1] == before


def test_update_body_errors(client, world, docx_resource):
    rid = docx_resource["id"]
    assert put(client, world.member.token, rid, data="title=Nouveau", content_type="application/x-www-form-urlencoded")[0] == 415
    assert put(client, world.member.token, rid, data='{"title": "Nouv', content_type="application/json")[0] == 400
    assert put(client, world.member.token, rid, json=["title"])[0] == 400


def test_update_access(client, world, docx_resource):
    rid = docx_resource["id"]
    assert put(client, world.observer.token, rid, json={"title": "Non"})[0] == 403
    assert put(client, world.other_member.token, rid, json={"title": "Non"})[0] == 403, "members edit only their own resources"
    assert put(client, world.outsider.token, rid, json={"title": "Non"})[0] == 404
    assert put(client, None, rid, json={"title": "Non"})[0] == 404
    assert get(client, world.member.token, rid)[1]["title"] == "Politique d'approvisionnement responsable"
    assert put(client, world.facilitator.token, rid, json={"title": "Revu par l'animatrice"})[0] == 200


def test_delete(client, world, app, docx_resource):
    rid = docx_resource["id"]
    assert delete(client, world.observer.token, rid)[0] == 403
    assert delete(client, world.other_member.token, rid)[0] == 403
    assert delete(client, world.outsider.token, rid)[0] == 404
    assert delete(client, None, rid)[0] == 404
    assert stored_files(app)
    status, body = delete(client, world.member.token, rid)
    assert status == 204 and body is None
    assert get(client, world.member.token, rid)[0] == 404
    assert delete(client, world.member.token, rid)[0] == 404
    assert call(client, "get", "/resources/{resource_id}/download", world.member.token, values={"resource_id": rid})[0] == 404
    assert stored_files(app) == [], "no orphan file left"


# --- downloads and versions ----------------------------------------------------------------


def download(client, token, rid, number=None, **kwargs):
    if number is None:
        return call(client, "get", "/resources/{resource_id}/download", token, values={"resource_id": rid}, **kwargs)
    return call(client, "get", "/resources/{resource_id}/versions/{number}/download", token, values={"resource_id": rid, "number": number}, **kwargs)


def test_download(client, world, docx_resource):
    rid, content = docx_resource["id"], docx_resource["content"]
    response = client.get(f"{API}/resources/{rid}/download", headers=bearer(world.observer.token))
    assert check(response, "get", "/resources/{resource_id}/download") == content
    assert response.status_code == 200 and response.mimetype == DOCX
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and "filename=reglement.docx" in disposition
    assert response.headers["ETag"].strip('"') == hashlib.sha256(content).hexdigest()
    status, body = download(client, world.observer.token, rid, 1)
    assert status == 200 and body == content


def test_download_is_conditional_and_ranged(client, world, docx_resource):
    rid, content = docx_resource["id"], docx_resource["content"]
    etag = f'"{hashlib.sha256(content).hexdigest()}"'
    status, body = download(client, world.member.token, rid, headers={"If-None-Match": etag})
    assert status == 304 and body is None
    status, body = download(client, world.member.token, rid, 1, headers={"Range": "bytes=0-9"})
    assert status == 206 and body == content[:10]
    status, body = download(client, world.member.token, rid, headers={"Range": f"bytes={len(content) + 10}-"})
    assert status == 416


def test_download_refusals(client, world, docx_resource):
    rid = docx_resource["id"]
    for number in (None, 1):
        assert download(client, world.outsider.token, rid, number)[0] == 404
        assert download(client, None, rid, number)[0] == 404
        assert download(client, "hub_pas-un-jeton", rid, number)[0] == 401
    assert download(client, world.member.token, rid, 2)[0] == 404
    assert download(client, world.member.token, 987654)[0] == 404
    status, link = create(client, world, url="https://exemple.ca", title="Lien")
    status, body = download(client, world.member.token, link["id"])
    assert status == 404 and body["error"]["message"]


def add_version(client, token, rid, content=None, filename="politique-v2.docx", **kwargs):
    if content is not None:
        kwargs.setdefault("data", {"file": (io.BytesIO(content), filename)})
        kwargs.setdefault("content_type", "multipart/form-data")
    return call(client, "post", "/resources/{resource_id}/versions", token, values={"resource_id": rid}, **kwargs)


def test_versions(client, world, docx_resource):
    rid, first = docx_resource["id"], docx_resource["content"]
    second = make_docx("Version deux, révisée")
    status, version = add_version(client, world.member.token, rid, second)
    assert status == 201 and version["number"] == 2 and version["filename"] == "politique-v2.docx"
    assert version["sha256"] == hashlib.sha256(second).hexdigest() and version["extraction_status"] == "ok"
    assert download(client, world.member.token, rid)[1] == second
    assert download(client, world.member.token, rid, 1)[1] == first
    assert download(client, world.member.token, rid, 2)[1] == second
    body = get(client, world.member.token, rid)[1]
    assert [v["number"] for v in body["versions"]] == [2, 1] and body["versions"][0] == version
    status, third = add_version(client, world.facilitator.token, rid, b"Texte brut, version 3", "v3.txt")
    assert status == 201 and third["number"] == 3 and third["mimetype"].startswith("text/plain")


def test_version_refusals(client, world, app, docx_resource):
    rid = docx_resource["id"]
    files_before = stored_files(app)
    assert add_version(client, world.observer.token, rid, b"Texte")[0] == 403
    assert add_version(client, world.other_member.token, rid, b"Texte")[0] == 403
    assert add_version(client, world.outsider.token, rid, b"Texte")[0] == 404
    assert add_version(client, None, rid, b"Texte")[0] == 404
    status, body = add_version(client, world.member.token, rid, json={"file": "texte"})
    assert status == 415
    status, body = add_version(client, world.member.token, rid, ELF, "programme.docx")
    assert status == 415 and body["error"]["code"] == "unsupported_type"
    status, body = add_version(client, world.member.token, rid, data={"titre": "sans fichier"}, content_type="multipart/form-data")
    assert status == 422 and "file" in body["error"]["fields"]
    assert stored_files(app) == files_before
    status, body = add_version(client, world.member.token, rid, b"", "vide.txt")
    assert status == 422 and "file" in body["error"]["fields"]
    status, link = create(client, world, url="https://exemple.ca", title="Lien")
    status, body = add_version(client, world.member.token, link["id"], b"Texte")
    assert status == 409
    assert [v["number"] for v in get(client, world.member.token, rid)[1]["versions"]] == [1]


@pytest.mark.config(MAX_UPLOAD_MB=1, MAX_CONTENT_LENGTH=3 * MB)
def test_version_over_the_upload_limit(client, world, app):
    status, body = create(client, world, content=b"Version un", filename="note.txt")
    rid = body["id"]
    status, body = add_version(client, world.member.token, rid, b"a" * (2 * MB), "gros.txt")
    assert status == 413 and "file" in body["error"]["fields"]
    status, body = add_version(client, world.member.token, rid, b"a" * (4 * MB), "enorme.txt")
    assert status == 413
    assert len(get(client, world.member.token, rid)[1]["versions"]) == 1
    assert len(stored_files(app)) == 1


def test_every_operation_refuses_a_bad_token(client, world, docx_resource):
    rid = docx_resource["id"]
    token = "hub_revoque-ou-invente"
    for method, template, kwargs in [
        ("get", "/communities/{slug}/resources", {}), ("post", "/communities/{slug}/resources", {"data": {"title": "x"}, "content_type": "multipart/form-data"}),
        ("get", "/resources/{resource_id}", {}), ("put", "/resources/{resource_id}", {"json": {"title": "x"}}),
        ("delete", "/resources/{resource_id}", {}), ("get", "/resources/{resource_id}/download", {}),
        ("get", "/resources/{resource_id}/versions/{number}/download", {}),
        ("post", "/resources/{resource_id}/versions", {"data": {"file": (io.BytesIO(b"x"), "x.txt")}, "content_type": "multipart/form-data"}),
    ]:
        status, body = call(client, method, template, token, values={"slug": world.slug, "resource_id": rid, "number": 1}, **kwargs)
        assert status == 401 and body["error"]["code"] == "invalid_token", template
    assert get(client, world.member.token, rid)[1]["title"] == "Politique d'approvisionnement responsable"


def test_an_unsatisfiable_range_explains_itself(client, world, docx_resource):
    status, body = download(client, world.member.token, docx_resource["id"], headers={"Range": "bytes=99999999-"})
    assert status == 416 and body["error"]["message"]
    assert body["error"]["code"] == "range_not_satisfiable"
    response = client.get(f"{API}/resources/{docx_resource['id']}/download", headers={"Range": "bytes=99999999-", **bearer(world.member.token)})
    assert response.headers["Content-Range"] == f"bytes */{len(docx_resource['content'])}"


@pytest.mark.config(MAX_UPLOAD_MB=1, MAX_CONTENT_LENGTH=1 * MB)
def test_an_oversized_body_is_413_before_anything_else(client, world, docx_resource):
    big = b'{"title": "' + b"x" * (2 * MB) + b'"}'
    rid = docx_resource["id"]
    assert put(client, world.member.token, rid, data=big, content_type="application/json")[0] == 413
    assert put(client, world.member.token, 987654, data=big, content_type="application/json")[0] == 413
    assert add_version(client, world.member.token, rid, data=big, content_type="application/json")[0] == 413
    status, _body = call(client, "post", "/communities/{slug}/resources", world.member.token, values={"slug": world.slug},
                         data=big, content_type="application/json")
    assert status == 413
    assert get(client, world.member.token, rid)[1]["title"] == "Politique d'approvisionnement responsable"
