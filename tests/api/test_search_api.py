"""GET /api/v1/search over resources added through the API, every answer checked against openapi.json.

Runs with the Whoosh search backend on every database, and also with the PostgreSQL search backend
on PostgreSQL.
"""
import io

import docx
import pytest

from tests.api.spec import assert_matches_spec
from tests.conftest import _truncate_all, backends, build_app, stop_built_apps

API = "/api/v1"
FACETS = {"kind", "type", "theme", "category", "tag", "municipality", "year", "language", "community"}

PAIRS = [(database, "whoosh") for database in backends()] + ([("postgres", "postgres")] if "postgres" in backends() else [])
pytestmark = pytest.mark.parametrize(("backend", "engine"), PAIRS, ids=[f"{d}-{e}" for d, e in PAIRS])


@pytest.fixture
def app(request, backend, engine, tmp_path):
    overrides = {"SEARCH_BACKEND": engine}
    url = request.getfixturevalue("postgres_url") if backend == "postgres" else None
    app = build_app(tmp_path, url, **overrides)
    yield app
    if backend == "postgres":
        stop_built_apps()
        _truncate_all(app)
    else:
        from hub.extensions import db

        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def make_docx(text):
    document = docx.Document()
    for paragraph in text.split("\n"):
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def bearer(token):
    return {"Authorization": f"Bearer {token}"} if token else {}


def search(client, token=None, query_string=None):
    """GET /search, checked against the document; returns (status, body)."""
    response = client.get(f"{API}/search", headers=bearer(token), query_string=query_string)
    return response.status_code, assert_matches_spec(response, "get", "/search")


@pytest.fixture
def world(app, factory):
    """A member of a private community who uploaded two resources; an outsider with a community of their own."""
    w = type("World", (), {})()
    _mid, member = factory.user("Élodie Côté")
    _oid, outsider = factory.user("Olivier Nadeau")
    w.slug = factory.community(member, "Économie sociale municipale")
    w.other = factory.community(outsider, "Projet confidentiel")
    w.listed = factory.community(outsider, "Habitation communautaire", visibility="listed")
    w.member, w.outsider = factory.token(member), factory.token(outsider)
    client = app.test_client()
    content = make_docx("La Ville de Lévis achète auprès des entreprises d'économie sociale.\nUn mot rare : zéphyrinette.")
    created = client.post(f"{API}/communities/{w.slug}/resources", headers=bearer(w.member), content_type="multipart/form-data", data={
        "file": (io.BytesIO(content), "politique.docx"), "title": "Politique d'approvisionnement responsable", "type": "policy",
        "municipality": "Ville de Lévis", "language": "fr", "year": "2024", "tags": "achats",
    })
    assert created.status_code == 201, created.get_data(as_text=True)
    w.policy = created.get_json()["id"]
    created = client.post(f"{API}/communities/{w.slug}/resources", headers=bearer(w.member), content_type="multipart/form-data", data={
        "url": "https://exemple.ca/parcs", "title": "Gestion d'un parc par une coopérative", "type": "case_study",
        "summary": "Une coopérative de solidarité et l'économie sociale au service du parc.", "municipality": "Ville de Sherbrooke", "year": "2023",
    })
    assert created.status_code == 201, created.get_data(as_text=True)
    w.park = created.get_json()["id"]
    return w


def test_results_after_uploading_a_resource(client, world):
    status, data = search(client, world.member, {"q": "zephyrinette"})
    assert status == 200
    assert data["total"] == 1 and data["page"] == 1 and data["per_page"] == 20 and data["suggestion"] is None
    [hit] = data["results"]
    assert hit["kind"] == "resource" and hit["id"] == world.policy and hit["community"] == world.slug
    assert hit["title"] == "Politique d'approvisionnement responsable" and hit["url"] == f"/resources/{world.policy}"
    assert "<mark>" in hit["snippet"] and hit["updated_at"]


def test_facets_count_what_matches(client, world):
    status, data = search(client, world.member, {"q": "economie sociale"})
    assert status == 200 and data["total"] == 2
    assert set(data["facets"]) == FACETS
    facets = data["facets"]
    assert facets["kind"] == {"resource": 2}
    assert facets["type"] == {"policy": 1, "case_study": 1}
    assert facets["year"] == {"2024": 1, "2023": 1}
    assert facets["community"] == {world.slug: 2}
    assert facets["municipality"]
    status, data = search(client, world.member, {"q": "economie", "type": "case_study"})
    assert [r["id"] for r in data["results"]] == [world.park]


def test_filters_sort_and_pages(client, world):
    status, data = search(client, world.member, {"community": world.slug, "sort": "date", "per_page": "1"})
    assert status == 200 and data["total"] == 2 and data["per_page"] == 1
    assert [r["id"] for r in data["results"]] == [world.park], "newest first"
    status, data = search(client, world.member, {"community": world.slug, "sort": "date", "per_page": "1", "page": "2"})
    assert data["page"] == 2 and [r["id"] for r in data["results"]] == [world.policy]
    assert search(client, world.member, {"q": "economie", "year": "2024"})[1]["total"] == 1
    assert search(client, world.member, {"kind": "resource"})[1]["total"] == 2
    assert search(client, world.member, {"kind": "thread,note"})[1]["total"] == 0


def test_suggestion_for_a_misspelling(client, world):
    status, data = search(client, world.member, {"q": "economi socialle"})
    assert status == 200 and data["total"] == 0 and data["suggestion"] == "économie sociale"


def test_outsiders_learn_nothing(client, world):
    status, data = search(client, world.outsider, {"q": "economie zephyrinette"})
    assert status == 200 and data["total"] == 0 and data["results"] == []
    assert all(not counts for counts in data["facets"].values())
    assert "zéphyrinette" not in str(data) and "zephyrinette" not in str(data)


def test_needs_a_valid_token(client, world):
    status, data = search(client, None, {"q": "economie"})
    assert status == 401 and data["error"]["message"]
    status, data = search(client, "hub_pas-un-jeton", {"q": "economie"})
    assert status == 401 and data["error"]["code"] == "invalid_token"


@pytest.mark.parametrize("query,field", [
    ({"q": "x", "page": "abc"}, "page"), ({"q": "x", "page": "0"}, "page"), ({"q": "x", "page": "501"}, "page"),
    ({"q": "x", "per_page": "1000"}, "per_page"), ({"q": "x", "per_page": "0"}, "per_page"),
    ({"q": "x", "sort": "bad"}, "sort"), ({"q": "x", "year": "xx"}, "year"), ({"q": "x", "year": "99999"}, "year"),
    ({"q": "x" * 600}, "q"), ({"q": "x", "municipality": "m" * 201}, "municipality"),
])
def test_invalid_parameters_are_422(client, world, query, field):
    status, data = search(client, world.member, query)
    assert status == 422 and data["error"]["code"] == "invalid" and field in data["error"]["fields"]


@pytest.mark.parametrize("q", ["type:", "year:abc", "(" * 40 + "economie"])
def test_queries_the_parser_refuses_are_422(client, world, q):
    status, data = search(client, world.member, {"q": q})
    assert status == 422 and data["error"]["code"] == "invalid_query" and data["error"]["message"]


@pytest.mark.parametrize("q", ["(economie", "economie)", '"economie sociale', "economie OR", "NOT", "-"])
def test_unbalanced_queries_are_understood(client, world, q):
    status, data = search(client, world.member, {"q": q})
    assert status == 200


def test_a_community_the_caller_may_not_read_is_404(client, world):
    for slug in (world.other, world.listed, "nexiste-pas"):
        status, data = search(client, world.member, {"q": "economie", "community": slug})
        assert status == 404 and data["error"]["message"], slug
    status, data = search(client, world.outsider, {"community": world.slug})
    assert status == 404


def test_malformed_query_string_is_400(client, world):
    response = client.get(f"{API}/search?q=%00", headers=bearer(world.member))
    assert response.status_code == 400
    assert_matches_spec(response, "get", "/search")
    response = client.get(f"{API}/search?q=%FF%FE", headers=bearer(world.member))
    assert response.status_code == 400
    assert_matches_spec(response, "get", "/search")
