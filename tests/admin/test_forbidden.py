"""Only instance administrators reach /admin and /api/v1/admin: 403 for the others, a login for anonymous visitors."""
import pytest

from tests.admin.conftest import auth, entries, logged_in

PAGES = ["/admin", "/admin/people", "/admin/communities", "/admin/outbox", "/admin/search", "/admin/search?check=1",
         "/admin/storage", "/admin/audit", "/admin/audit.csv", "/admin/communities/{slug}/transfer"]
ACTIONS = ["/admin/people/{member}/active", "/admin/people/{member}/end-sessions", "/admin/people/{member}/admin",
           "/admin/communities/{slug}/archive", "/admin/communities/{slug}/unarchive", "/admin/communities/{slug}/transfer",
           "/admin/outbox/1/retry", "/admin/outbox/retry-failed", "/admin/search/reindex"]
API = [("get", "/api/v1/admin/users"), ("patch", "/api/v1/admin/users/{member}"), ("post", "/api/v1/admin/users/{member}/end-sessions"),
       ("get", "/api/v1/admin/communities"), ("post", "/api/v1/admin/communities/{slug}/archive"),
       ("post", "/api/v1/admin/communities/{slug}/unarchive"), ("post", "/api/v1/admin/communities/{slug}/transfer"),
       ("get", "/api/v1/admin/outbox"), ("post", "/api/v1/admin/outbox/1/retry"), ("post", "/api/v1/admin/outbox/retry-failed"),
       ("get", "/api/v1/admin/search/check"), ("post", "/api/v1/admin/search/reindex"), ("get", "/api/v1/admin/storage"),
       ("get", "/api/v1/admin/audit"), ("get", "/api/v1/admin/audit.csv")]


def _fill(url, cast):
    return url.format(slug=cast.slug, member=cast.ids["member"])


@pytest.mark.parametrize("who", ["facilitator", "member"])
def test_facilitators_and_members_are_refused(app, cast, who):
    client = logged_in(app, cast, who)
    assert 'data-testid="nav-admin"' not in client.get("/").get_data(as_text=True)
    for url in PAGES:
        assert client.get(_fill(url, cast)).status_code == 403, url
    for url in ACTIONS:
        assert client.post(_fill(url, cast), data={"active": "0", "admin": "1", "email": cast.emails[who]}).status_code == 403, url
    api = app.test_client()
    for method, url in API:
        response = getattr(api, method)(_fill(url, cast), json={"active": False, "email": cast.emails[who]}, headers=auth(cast, who))
        assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden", url
    from hub.communities import service

    with app.app_context():
        assert service.by_slug(cast.slug).archived_at is None
    assert [e for e in entries(app) if e["action"] != "token.create"] == []


def test_anonymous_visitors_log_in_first_and_the_api_answers_401(app, cast):
    client = app.test_client()
    for url in PAGES:
        response = client.get(_fill(url, cast))
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    for url in ACTIONS:
        assert client.post(_fill(url, cast)).status_code in (302, 400), url
    for method, url in API:
        response = getattr(client, method)(_fill(url, cast), json={})
        assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized", url


def test_admins_see_the_link_and_the_pages(app, cast):
    client = logged_in(app, cast, "admin")
    home = client.get("/").get_data(as_text=True)
    assert 'data-testid="nav-admin"' in home and 'href="/admin"' in home
    for url in PAGES:
        response = client.get(_fill(url, cast))
        assert response.status_code == 200, url
    english = client.get("/admin", headers={"Accept-Language": "en"})
    client.post("/language", data={"lang": "en", "next": "/admin"})
    page = client.get("/admin").get_data(as_text=True)
    assert "Administration" in page and "Email outbox" in page and "Audit log" in page
    assert english.status_code == 200
    assert client.get("/admin/audit").get_data(as_text=True).count("aria-current=\"page\"") == 1


def test_every_admin_answer_matches_the_openapi_document(app, cast):
    from tests.api.spec import assert_matches_spec
    from tests.admin.test_operations import _emails

    _sent, _waiting, failed, _other = _emails(app)
    api = app.test_client()
    admin = auth(cast, "admin")
    member = cast.ids["member"]
    calls = [
        ("get", "/api/v1/admin/users?q=julie", "/admin/users", {}),
        ("patch", f"/api/v1/admin/users/{member}", "/admin/users/{user_id}", {"json": {"is_admin": False}}),
        ("patch", f"/api/v1/admin/users/{cast.ids['admin']}", "/admin/users/{user_id}", {"json": {"active": False}}),
        ("patch", f"/api/v1/admin/users/{member}", "/admin/users/{user_id}", {"json": {"active": 1}}),
        ("post", f"/api/v1/admin/users/{member}/end-sessions", "/admin/users/{user_id}/end-sessions", {}),
        ("get", "/api/v1/admin/communities", "/admin/communities", {}),
        ("post", f"/api/v1/admin/communities/{cast.slug}/archive", "/admin/communities/{slug}/archive", {}),
        ("post", f"/api/v1/admin/communities/{cast.slug}/archive", "/admin/communities/{slug}/archive", {}),
        ("post", f"/api/v1/admin/communities/{cast.slug}/unarchive", "/admin/communities/{slug}/unarchive", {}),
        ("post", f"/api/v1/admin/communities/{cast.slug}/transfer", "/admin/communities/{slug}/transfer", {"json": {"email": cast.emails["member"], "demote_facilitators": True}}),
        ("post", "/api/v1/admin/communities/nulle-part/transfer", "/admin/communities/{slug}/transfer", {"json": {"email": cast.emails["member"]}}),
        ("get", "/api/v1/admin/outbox?status=pending", "/admin/outbox", {}),
        ("post", f"/api/v1/admin/outbox/{failed}/retry", "/admin/outbox/{email_id}/retry", {}),
        ("post", "/api/v1/admin/outbox/retry-failed", "/admin/outbox/retry-failed", {}),
        ("get", "/api/v1/admin/search/check", "/admin/search/check", {}),
        ("post", "/api/v1/admin/search/reindex", "/admin/search/reindex", {}),
        ("get", "/api/v1/admin/storage", "/admin/storage", {}),
        ("get", "/api/v1/admin/audit?action=community.", "/admin/audit", {}),
        ("get", "/api/v1/admin/audit?from=demain", "/admin/audit", {}),
    ]
    for method, url, template, kwargs in calls:
        response = getattr(api, method)(url, headers=admin, **kwargs)
        assert_matches_spec(response, method, template)
    for method, url, template, kwargs in calls[:3]:
        assert_matches_spec(getattr(api, method)(url, headers=auth(cast, "member"), **kwargs), method, template)
        assert_matches_spec(getattr(api, method)(url, **kwargs), method, template)
