"""People: search, paging, disable and enable, end sessions, the administrator role — by page and by API."""
import sqlalchemy as sa

from tests.admin.conftest import auth, entries, logged_in


def _user(app, user_id):
    from hub.accounts.models import User
    from hub.extensions import db

    with app.app_context():
        user = db.session.get(User, user_id)
        return {"active": user.is_active_account, "admin": user.is_admin, "version": user.session_version}


def test_search_by_name_or_email_and_paging(app, cast, db):
    from hub.accounts.models import User

    for n in range(55):
        db.session.add(User(email=f"agent{n:02d}@ville-laval.ca", password_hash="x", display_name=f"Agent {n:02d} Laval"))
    db.session.commit()
    client = logged_in(app, cast, "admin")
    page = client.get("/admin/people").get_data(as_text=True)
    assert "59 comptes" in page, page[page.find("role=\"status\""):][:300]
    assert page.count('data-testid="admin-person"') == 50 and "Page 1 sur 2" in page
    second = client.get("/admin/people?page=2").get_data(as_text=True)
    assert second.count('data-testid="admin-person"') == 9
    by_name = client.get("/admin/people", query_string={"q": "julie"}).get_data(as_text=True)
    assert "Julie Tremblay" in by_name and "Sophie Gagnon" not in by_name
    by_email = client.get("/admin/people", query_string={"q": "agent07@ville"}).get_data(as_text=True)
    assert "Agent 07 Laval" in by_email and by_email.count('data-testid="admin-person"') == 1
    assert client.get("/admin/people?page=abc").status_code == 200

    api = app.test_client()
    listing = api.get("/api/v1/admin/users", query_string={"q": "laval", "page": 2}, headers=auth(cast, "admin")).get_json()
    assert (listing["total"], listing["pages"], len(listing["users"])) == (55, 2, 5)
    assert {"id", "email", "display_name", "is_admin", "active"} <= set(listing["users"][0])
    assert api.get("/api/v1/admin/users?page=0", headers=auth(cast, "admin")).status_code == 422


def test_disabling_an_account_by_page_ends_its_sessions_and_its_tokens(app, cast):
    admin = logged_in(app, cast, "admin")
    julie = logged_in(app, cast, "member")
    assert julie.get("/account").status_code == 200
    before = _user(app, cast.ids["member"])["version"]

    response = admin.post(f"/admin/people/{cast.ids['member']}/active", data={"active": "0", "next": "/admin/people?q=julie"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/people?q=julie")
    assert _user(app, cast.ids["member"]) == {"active": False, "admin": False, "version": before + 1}
    assert julie.get("/account").status_code == 302  # signed out
    assert app.test_client().get("/api/v1/me", headers=auth(cast, "member")).status_code == 401
    refused = app.test_client().post("/login", data={"email": cast.emails["member"], "password": "correct horse battery"})
    assert refused.status_code != 302
    assert 'data-testid="badge-disabled"' in admin.get("/admin/people?q=julie").get_data(as_text=True)

    admin.post(f"/admin/people/{cast.ids['member']}/active", data={"active": "1"})
    assert _user(app, cast.ids["member"])["active"] is True
    assert logged_in(app, cast, "member").get("/account").status_code == 200
    assert [e["action"] for e in entries(app, "account.")] == ["account.disable", "account.enable"]
    assert entries(app, "account.")[0]["actor_id"] == cast.ids["admin"] and entries(app, "account.")[0]["target_id"] == cast.ids["member"]


def test_end_sessions_by_page_and_api(app, cast):
    admin = logged_in(app, cast, "admin")
    julie = logged_in(app, cast, "member")
    admin.post(f"/admin/people/{cast.ids['member']}/end-sessions")
    assert julie.get("/account").status_code == 302
    assert _user(app, cast.ids["member"])["active"] is True

    julie = logged_in(app, cast, "member")
    response = app.test_client().post(f"/api/v1/admin/users/{cast.ids['member']}/end-sessions", headers=auth(cast, "admin"))
    assert response.status_code == 204
    assert julie.get("/account").status_code == 302
    assert [e["action"] for e in entries(app, "account.")] == ["account.end_sessions", "account.end_sessions"]


def test_administrator_role_never_yourself_never_the_last(app, cast):
    admin = logged_in(app, cast, "admin")
    admin.post(f"/admin/people/{cast.ids['facilitator']}/admin", data={"admin": "1"})
    assert _user(app, cast.ids["facilitator"])["admin"] is True
    sophie = logged_in(app, cast, "facilitator")
    assert 'data-testid="nav-admin"' in sophie.get("/account").get_data(as_text=True)
    admin.post(f"/admin/people/{cast.ids['facilitator']}/admin", data={"admin": "0"})
    assert _user(app, cast.ids["facilitator"])["admin"] is False

    # Never yourself out: the page offers no button on one's own card, and the action refuses.
    page = admin.get("/admin/people?q=ada").get_data(as_text=True)
    assert "C’est vous." in page or "C'est vous." in page
    response = admin.post(f"/admin/people/{cast.ids['admin']}/admin", data={"admin": "0"}, follow_redirects=True)
    assert "Vous ne pouvez pas retirer votre propre rôle" in response.get_data(as_text=True)
    response = admin.post(f"/admin/people/{cast.ids['admin']}/active", data={"active": "0"}, follow_redirects=True)
    assert "Vous ne pouvez pas désactiver votre propre compte" in response.get_data(as_text=True)
    assert _user(app, cast.ids["admin"]) == {"active": True, "admin": True, "version": 1}

    api = app.test_client()
    self_out = api.patch(f"/api/v1/admin/users/{cast.ids['admin']}", json={"is_admin": False}, headers=auth(cast, "admin"))
    assert self_out.status_code == 409 and self_out.get_json()["error"]["code"] == "not_yourself"
    assert [e["action"] for e in entries(app, "account.")] == ["account.make_admin", "account.remove_admin"]


def test_the_last_administrator_is_kept(app, cast):
    from hub.accounts.models import User
    from hub.admin import service
    from hub.exceptions import ServiceError
    from hub.extensions import db

    with app.test_request_context():
        ada = db.session.get(User, cast.ids["admin"])
        try:
            service.set_admin(None, ada, False)  # e.g. a command run without an actor
        except ServiceError as error:
            assert error.code == "last_admin"
        else:
            raise AssertionError("the last administrator was removed")
        db.session.rollback()


def test_patch_a_user_by_api(app, cast):
    api = app.test_client()
    url = f"/api/v1/admin/users/{cast.ids['member']}"
    response = api.patch(url, json={"active": False, "is_admin": False}, headers=auth(cast, "admin"))
    assert response.status_code == 200 and response.get_json()["active"] is False
    assert api.get("/api/v1/me", headers=auth(cast, "member")).status_code == 401
    assert api.patch(url, json={"active": "non"}, headers=auth(cast, "admin")).status_code == 422
    assert api.patch(url, json={"actif": True}, headers=auth(cast, "admin")).status_code == 422
    assert api.patch(url, data="x", headers=auth(cast, "admin")).status_code == 415
    assert api.patch("/api/v1/admin/users/99999", json={"active": True}, headers=auth(cast, "admin")).status_code == 404
    response = api.patch(url, json={"active": True, "is_admin": True}, headers=auth(cast, "admin"))
    assert response.get_json()["active"] is True and response.get_json()["is_admin"] is True
    assert [e["action"] for e in entries(app, "account.")] == ["account.disable", "account.make_admin", "account.enable"]


def test_a_refused_change_leaves_nothing_half_done(app, cast):
    """is_admin and active in one request: when one is refused, neither is applied nor logged."""
    api = app.test_client()
    response = api.patch(f"/api/v1/admin/users/{cast.ids['admin']}", json={"is_admin": True, "active": False}, headers=auth(cast, "admin"))
    assert response.status_code == 409
    response = api.patch(f"/api/v1/admin/users/{cast.ids['member']}", json={"is_admin": True, "active": "no"}, headers=auth(cast, "admin"))
    assert response.status_code == 422
    assert _user(app, cast.ids["member"])["admin"] is False and entries(app, "account.") == []
