"""GET /search (the page) and GET /api/v1/search."""
import pytest

from tests.conftest import login
from tests.search.conftest import utc


@pytest.fixture
def world(app, factory, memo_kind):
    """A member of a private community with memos, an outsider, and a memo in another community."""
    from hub import search
    from hub.communities import service as communities
    from hub.extensions import db

    w = type("World", (), {})()
    _mid, w.member = factory.user("Élodie Côté")
    _oid, w.outsider = factory.user("Olivier Nadeau")
    w.slug = factory.community(w.member, "Économie sociale municipale")
    w.other = factory.community(w.outsider, "Projet secret")
    with app.app_context():
        cid, other_id = communities.by_slug(w.slug).id, communities.by_slug(w.other).id
        w.memo = memo_kind.add("L'économie sociale à Lévis", "Les entreprises d'économie sociale <b>&</b> le développement local.",
                               community_id=cid, updated_at=utc(2024, 1, 5))
        memo_kind.add("Approvisionnement responsable", "Guide d'achat local pour les villes.", community_id=cid, updated_at=utc(2024, 2, 5))
        memo_kind.add("Zorglubement confidentiel", "Économie sociale, zorglubement.", community_id=other_id)
        db.session.commit()
        search.apply_outbox()
    w.member_token = factory.token(w.member)
    w.outsider_token = factory.token(w.outsider)
    return w


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def test_page_needs_an_account(client):
    response = client.get("/search?q=économie")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_page_shows_results_facets_and_snippets(client, world):
    login(client, world.member)
    page = client.get("/search?q=economie")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-testid="search-form"' in html and '<label for="search-q">' in html
    assert html.count('data-testid="search-result"') == 1
    assert "L&#39;économie sociale à Lévis" in html or "L'économie sociale à Lévis" in html
    result = html.split('data-testid="search-result"', 1)[1].split("</li>", 1)[0]
    assert "<mark>" in result and "&amp;" in result and "<b>" not in result  # text escaped (PostgreSQL drops tags)
    assert "Zorglubement" not in html and "Projet secret" not in html
    assert 'data-testid="facet"' in html and "Économie sociale municipale" in html
    assert f'href="/memos/{world.memo}"' in html


def test_page_filters_by_community_facet(client, world):
    login(client, world.member)
    html = client.get(f"/search?q=&community={world.slug}&sort=date").get_data(as_text=True)
    assert html.count('data-testid="search-result"') == 2
    assert html.index("Approvisionnement responsable") < html.index("Lévis"), "newest first"
    assert client.get(f"/search?q=économie&community={world.other}").status_code == 404
    assert client.get("/search?q=économie&community=nulle-part").status_code == 404


def test_page_suggests_and_explains(client, world):
    login(client, world.member)
    html = client.get("/search?q=economi socialle").get_data(as_text=True)
    assert 'data-testid="search-suggestion"' in html and "économie sociale" in html
    html = client.get("/search?q=zorglubemant").get_data(as_text=True)
    assert "search-suggestion" not in html and "zorglubement" not in html.lower()
    assert 'data-testid="search-empty"' in html
    error = client.get("/search?q=type:")
    assert error.status_code == 422 and 'data-testid="search-error"' in error.get_data(as_text=True)
    assert client.get("/search?q=économie&year=xx").status_code == 422
    assert client.get("/search?q=économie&page=abc").status_code == 200


def test_page_is_french_by_default(client, world):
    login(client, world.member)
    html = client.get("/search").get_data(as_text=True)
    assert '<html lang="fr-CA">' in html


def test_api(client, world):
    response = client.get("/api/v1/search?q=economie", headers=auth(world.member_token))
    assert response.status_code == 200
    data = response.get_json()
    assert data["total"] == 1 and data["suggestion"] is None
    [result] = data["results"]
    assert result["kind"] == "memo" and result["id"] == world.memo and result["community"] == world.slug
    assert "<mark>" in result["snippet"] and result["url"] == f"/memos/{world.memo}"
    assert result["updated_at"].startswith("2024-01-05T")
    assert data["facets"]["community"] == {world.slug: 1}
    data = client.get("/api/v1/search?q=economi socialle", headers=auth(world.member_token)).get_json()
    assert data["total"] == 0 and data["suggestion"] == "économie sociale"
    data = client.get(f"/api/v1/search?community={world.slug}&per_page=1&page=2&sort=date", headers=auth(world.member_token)).get_json()
    assert data["total"] == 2 and [r["title"] for r in data["results"]] == ["L'économie sociale à Lévis"]


def test_api_errors(client, world):
    assert client.get("/api/v1/search?q=economie").status_code == 401
    headers = auth(world.member_token)
    for query in ("q=x&page=abc", "q=x&per_page=1000", "q=x&per_page=0", "q=x&year=xx", "q=x&sort=random", "q=" + "x" * 600):
        response = client.get(f"/api/v1/search?{query}", headers=headers)
        assert response.status_code == 422, query
        assert response.get_json()["error"]["code"] == "invalid", query
    response = client.get("/api/v1/search?q=type:", headers=headers)
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "invalid_query"
    assert "type" in response.get_json()["error"]["message"]
    assert client.get(f"/api/v1/search?community={world.other}", headers=headers).status_code == 404


def test_api_outsider_learns_nothing(client, world):
    data = client.get("/api/v1/search?q=zorglubement", headers=auth(world.member_token)).get_json()
    assert data["total"] == 0 and data["results"] == [] and all(not v for v in data["facets"].values())
    data = client.get("/api/v1/search?q=zorglubemant", headers=auth(world.member_token)).get_json()
    assert data["suggestion"] is None
    data = client.get("/api/v1/search?q=zorglubemant", headers=auth(world.outsider_token)).get_json()
    assert data["suggestion"] == "zorglubement"


def test_garbage_never_breaks_the_page_or_the_api(client, world):
    login(client, world.member)
    for query in ("q=%00abc&type=%00&theme=%00&municipality=%00", "q=%22%00%22", "community=%00", "q=municipality:%22%00",
                  "q=%FF%FE", "q=" + "(" * 40 + "x", "q=***", "q=-", "q=" + "é" * 600, "kind=%00&year=2021"):
        response = client.get(f"/search?{query}")
        assert response.status_code in (200, 400, 404, 422), query
        response = client.get(f"/api/v1/search?{query}", headers=auth(world.member_token))
        assert response.status_code in (200, 400, 404, 422), query
        assert "error" in response.get_json() or "total" in response.get_json()


def test_a_year_out_of_range_gets_the_page_with_a_clear_message(client, world):
    login(client, world.member)
    for year in ("99999999999999999999", "2147483648", "-5", "999", "10000", "9" * 4000):
        response = client.get(f"/search?q=economie&year={year}&page=99999999999999999999")
        page = response.get_data(as_text=True)
        assert response.status_code == 422, (year, response.status_code)
        assert 'data-testid="search-error"' in page, year
        assert "L'année doit être comprise entre 1000 et 9999." in page.replace("&#39;", "'"), year
    assert client.get("/search?q=economie&year=2024").status_code == 200
