"""Resources are found by the one search, in French, only by those who may read them."""
import io

import pytest

from tests.conftest import login
from tests.resources.test_resources import make_docx, upload


@pytest.fixture(params=["whoosh", "postgres"])
def search_app(request, backend, tmp_path):
    if request.param == "postgres" and backend != "postgres":
        pytest.skip("the PostgreSQL search backend needs the PostgreSQL database")
    request.node.add_marker(pytest.mark.config(SEARCH_BACKEND=request.param))
    return request.getfixturevalue("app")


def test_uploaded_file_is_found_by_a_word_without_accents_and_only_by_readers(search_app):
    from tests.conftest import Factory

    app = search_app
    factory = Factory(app)
    _fid, facilitator = factory.user()
    _oid, outsider = factory.user()
    slug = factory.community(facilitator, "Réseau habitation")
    client = app.test_client()
    login(client, facilitator)
    content = make_docx("Les approvisionnements responsables de la Ville de Sherbrooke favorisent l'économie sociale.\nUn mot rare : zéphyrinette.")
    assert upload(client, slug, content=content, title="Achats municipaux", municipality="Ville de Sherbrooke").status_code == 302
    found = client.get("/api/v1/search", query_string={"q": "economie approvisionnement responsable"}, headers={"Authorization": f"Bearer {factory.token(facilitator)}"}).get_json()
    assert found["total"] == 1
    hit = found["results"][0]
    assert hit["kind"] == "resource" and hit["title"] == "Achats municipaux" and hit["community"] == slug
    assert "<mark>" in hit["snippet"]
    page = client.get("/search", query_string={"q": "economie"}).get_data(as_text=True)
    assert "Achats municipaux" in page

    stranger = factory.token(outsider)
    for query in ("economie", "zéphyrinette", "zephyrinete", "achats"):
        answer = client.get("/api/v1/search", query_string={"q": query}, headers={"Authorization": f"Bearer {stranger}"}).get_json()
        assert answer["total"] == 0 and answer["results"] == []
        assert "zéphyrinette" not in str(answer) and "zephyrinette" not in str(answer)
        assert all(not counts for counts in answer["facets"].values())
    assert client.get("/api/v1/search", query_string={"q": "economie", "community": slug}, headers={"Authorization": f"Bearer {stranger}"}).status_code in (403, 404)


def test_edits_and_deletions_reach_the_index(search_app):
    from tests.conftest import Factory

    app = search_app
    factory = Factory(app)
    _fid, facilitator = factory.user()
    slug = factory.community(facilitator)
    client = app.test_client()
    login(client, facilitator)
    token = {"Authorization": f"Bearer {factory.token(facilitator)}"}
    response = upload(client, slug, url="https://exemple.ca/gestion-parcs", title="Gestion des parcs par une coopérative", type="good_practice")
    rid = int(response.headers["Location"].rsplit("/", 1)[-1])
    assert client.get("/api/v1/search", query_string={"q": "parc"}, headers=token).get_json()["total"] == 1
    client.post(f"/resources/{rid}/edit", data={"title": "Revitalisation d'une artère commerciale", "type": "good_practice", "language": "fr"})
    assert client.get("/api/v1/search", query_string={"q": "parc"}, headers=token).get_json()["total"] == 0
    assert client.get("/api/v1/search", query_string={"q": "artere"}, headers=token).get_json()["total"] == 1
    client.post(f"/resources/{rid}/delete")
    assert client.get("/api/v1/search", query_string={"q": "artere"}, headers=token).get_json()["total"] == 0


def test_filters_accept_what_people_type_and_facets_keep_themes_apart(search_app):
    import re

    from tests.conftest import Factory

    app = search_app
    factory = Factory(app)
    _fid, facilitator = factory.user()
    slug = factory.community(facilitator)
    client = app.test_client()
    login(client, facilitator)
    client.post(f"/c/{slug}/themes", data={"name": "Parcs"})
    page = client.get(f"/c/{slug}/resources/new").get_data(as_text=True)
    parcs = re.search(r'name="themes" type="checkbox" value="(\d+)"', page).group(1)
    upload(client, slug, url="https://exemple.ca/a", title="Jardins de Rimouski", type="case_study", municipality="Ville de Rimouski",
           themes=parcs, tags="habitation")
    upload(client, slug, url="https://exemple.ca/b", title="Logements de Lévis", type="policy", municipality="Lévis", tags="Habitation")
    token = {"Authorization": f"Bearer {factory.token(facilitator)}"}

    def titles(query):
        found = client.get("/api/v1/search", query_string={"q": query}, headers=token).get_json()
        assert "results" in found, (query, found)
        return sorted(r["title"] for r in found["results"])

    assert titles("type:étude de cas") == ["Jardins de Rimouski"]
    assert titles("type:etude de cas jardins") == ["Jardins de Rimouski"]
    assert titles("type:case study") == ["Jardins de Rimouski"]
    assert titles("type:politique ou règlement") == ["Logements de Lévis"]
    assert titles("municipalité:rimouski") == ["Jardins de Rimouski"]
    assert titles("municipalite:levis") == ["Logements de Lévis"]
    assert titles("thème:parcs") == ["Jardins de Rimouski"]
    assert titles("theme:habitation") == ["Jardins de Rimouski", "Logements de Lévis"]

    facets = client.get("/api/v1/search", query_string={"q": "theme:habitation"}, headers=token).get_json()["facets"]
    assert facets["theme"] == {"Parcs": 1}
    assert list(facets["tag"].values()) == [2] and fold_one(facets["tag"]) == "habitation"

    page = client.get("/search", query_string={"q": "jardins"}).get_data(as_text=True)
    assert "étude de cas" in page.lower() and "bonne pratique" in page.lower()  # the tips list the types


def fold_one(counts):
    (value,) = counts
    return value.lower()
