"""/api/v1/me/export, DELETE /api/v1/me and membership management, checked against openapi.json."""
import io
import json
import zipfile

import pytest
import sqlalchemy as sa

from tests.api.spec import assert_matches_spec
from tests.conftest import Factory, auth, make_cast


@pytest.fixture
def cast(app, factory):
    people = {
        "sophie": factory.user("Sophie Gagnon", organization="Ville de Montréal"),
        "marc": factory.user("Marc Tremblay", organization="Ville de Gatineau"),
        "julie": factory.user("Julie Roy", organization="Ville de Lévis"),
        "nadia": factory.user("Nadia Lavoie", organization="Ministère de l'Économie"),
        "outsider": factory.user("Xavier Roy"),
    }
    return make_cast(factory, people, "sophie", "CP Économie sociale municipale", {"marc": "member", "julie": "member", "nadia": "guest"})


def call(client, cast, who, method, template, path=None, **kwargs):
    headers = auth(cast, who) if who else {}
    response = client.open("/api/v1" + (path or template), method=method.upper(), headers=headers, **kwargs)
    return response.status_code, assert_matches_spec(response, method, template)


MEMBER = "/communities/{slug}/members/{user_id}"


def member_path(cast, who):
    return f"/communities/{cast.slug}/members/{cast.ids[who]}"


def roles(app, cast):
    from hub.communities import service

    with app.app_context():
        return {m.user.display_name: m.role for m in service.members(service.by_slug(cast.slug))}


def audit(app, prefix=""):
    """The audit entries whose action starts with ``prefix``, oldest first."""
    from hub.audit import AuditEntry
    from hub.extensions import db

    with app.app_context():
        entries = db.session.execute(sa.select(AuditEntry).where(AuditEntry.action.startswith(prefix)).order_by(AuditEntry.id)).scalars()
        return [(e.action, e.actor_id, e.target_id, e.details) for e in entries]


# --- membership management ---------------------------------------------------------------------


def test_a_facilitator_changes_a_role_and_it_is_audited(app, client, cast):
    status, data = call(client, cast, "sophie", "patch", MEMBER, member_path(cast, "marc"), json={"role": "facilitator"})
    assert status == 200 and data["role"] == "facilitator" and data["user"]["id"] == cast.ids["marc"]
    assert roles(app, cast)["Marc Tremblay"] == "facilitator"
    assert ("membership.role_change", cast.ids["sophie"], cast.ids["marc"], {"old_role": "member", "new_role": "facilitator"}) in audit(app)


def test_a_guest_gets_an_end_date(app, client, cast):
    status, data = call(client, cast, "sophie", "patch", MEMBER, member_path(cast, "nadia"), json={"expires_at": "2099-06-30T17:00:00-04:00"})
    assert status == 200 and data["role"] == "guest" and data["expires_at"].startswith("2099-06-30T21:00:00")
    status, data = call(client, cast, "sophie", "patch", MEMBER, member_path(cast, "nadia"), json={"role": "member"})
    assert status == 200 and data["expires_at"] is None


@pytest.mark.parametrize("body, field", [
    ({"role": "owner"}, "role"),
    ({"role": 3}, "role"),
    ({"expires_at": "2099-01-01T00:00:00Z"}, "expires_at"),  # Julie is a member: no end date
    ({"role": "guest", "expires_at": "demain"}, "expires_at"),
    ({"role": "guest", "expires_at": "2099-01-01T00:00:00"}, "expires_at"),
    ({"role": "guest", "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
    ({"surprise": True}, "surprise"),
])
def test_bad_role_changes_are_refused_with_the_field(app, client, cast, body, field):
    status, data = call(client, cast, "sophie", "patch", MEMBER, member_path(cast, "julie"), json=body)
    assert status == 422 and field in data["error"]["fields"]
    assert roles(app, cast)["Julie Roy"] == "member"


def test_role_changes_are_for_facilitators(app, client, cast):
    status, _ = call(client, cast, "marc", "patch", MEMBER, member_path(cast, "julie"), json={"role": "observer"})
    assert status == 403
    status, _ = call(client, cast, "outsider", "patch", MEMBER, member_path(cast, "julie"), json={"role": "observer"})
    assert status == 404  # a private community does not exist for outsiders
    status, _ = call(client, cast, None, "patch", MEMBER, member_path(cast, "julie"), json={"role": "observer"})
    assert status == 404  # nor for anonymous callers
    status, _ = call(client, cast, "sophie", "patch", MEMBER, member_path(cast, "outsider"), json={"role": "observer"})
    assert status == 404
    status, _ = call(client, cast, "sophie", "patch", MEMBER, f"/communities/{cast.slug}/members/999999", json={"role": "observer"})
    assert status == 404
    status, _ = call(client, cast, "sophie", "patch", MEMBER, member_path(cast, "julie"), data="role=observer")
    assert status == 415


def test_the_last_facilitator_is_kept(app, client, cast):
    status, data = call(client, cast, "sophie", "patch", MEMBER, member_path(cast, "sophie"), json={"role": "member"})
    assert status == 409 and data["error"]["code"] == "last_facilitator"
    status, data = call(client, cast, "sophie", "delete", MEMBER, member_path(cast, "sophie"))
    assert status == 409 and data["error"]["code"] == "last_facilitator"
    assert roles(app, cast)["Sophie Gagnon"] == "facilitator"


def test_a_facilitator_removes_a_member_and_a_member_leaves(app, client, cast):
    status, _ = call(client, cast, "marc", "delete", MEMBER, member_path(cast, "julie"))
    assert status == 403
    status, _ = call(client, cast, "sophie", "delete", MEMBER, member_path(cast, "julie"))
    assert status == 204
    status, _ = call(client, cast, "marc", "delete", MEMBER, member_path(cast, "marc"))
    assert status == 204
    assert set(roles(app, cast)) == {"Sophie Gagnon", "Nadia Lavoie"}
    entries = audit(app)
    assert ("membership.remove", cast.ids["sophie"], cast.ids["julie"], {"role": "member"}) in entries
    assert ("membership.leave", cast.ids["marc"], cast.ids["marc"], {"role": "member"}) in entries
    status, _ = call(client, cast, "marc", "delete", MEMBER, member_path(cast, "marc"))
    assert status == 404  # no longer sees the private community
    status, _ = call(client, cast, None, "delete", MEMBER, member_path(cast, "nadia"))
    assert status == 404  # a private community is unknown to anonymous callers


def test_the_html_pages_audit_role_changes_and_removals_too(app, cast):
    from hub.communities.models import Membership
    from hub.extensions import db
    from tests.conftest import login

    with app.app_context():
        membership_id = db.session.execute(sa.select(Membership.id).filter_by(user_id=cast.ids["julie"])).scalar_one()
    browser = app.test_client()
    login(browser, cast.emails["sophie"])
    assert browser.post(f"/c/{cast.slug}/members/{membership_id}/role", data={"role": "observer"}).status_code == 302
    assert browser.post(f"/c/{cast.slug}/members/{membership_id}/remove").status_code == 302
    actions = [(a[0], a[1], a[2]) for a in audit(app, "membership.")]
    assert actions == [("membership.role_change", cast.ids["sophie"], cast.ids["julie"]), ("membership.remove", cast.ids["sophie"], cast.ids["julie"])]


# --- the caller's own data ---------------------------------------------------------------------


def test_export_through_the_api(app, client, cast):
    response = client.get("/api/v1/me/export", headers=auth(cast, "julie"))
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    text = zipfile.ZipFile(io.BytesIO(response.get_data())).read("data.json").decode()
    data = json.loads(text)
    assert data["account"]["email"] == cast.emails["julie"]
    assert [(m["community"]["slug"], m["role"]) for m in data["memberships"]] == [(cast.slug, "member")]
    assert cast.tokens["julie"] not in text and [t["name"] for t in data["api_tokens"]] == ["test"]
    assert any(a[0] == "account.export" and a[1] == cast.ids["julie"] for a in audit(app))
    status, _ = call(client, cast, None, "get", "/me/export")
    assert status == 401


@pytest.mark.parametrize("body, status, field", [
    ({"password": Factory.password}, 422, "content"),
    ({"password": Factory.password, "content": "tout"}, 422, "content"),
    ({"content": "keep"}, 422, "password"),
    ({"password": "pas le bon mot de passe", "content": "keep"}, 403, "password"),
    ({"password": Factory.password, "content": "keep", "raison": "x"}, 422, "raison"),
])
def test_deleting_through_the_api_refuses_bad_input(app, client, cast, body, status, field):
    answered, data = call(client, cast, "julie", "delete", "/me", json=body)
    assert answered == status and field in data["error"].get("fields", {})
    status, _ = call(client, cast, "julie", "get", "/me")
    assert status == 200


def test_deleting_through_the_api(app, client, cast):
    status, data = call(client, cast, "sophie", "delete", "/me", json={"password": Factory.password, "content": "erase"})
    assert status == 409 and data["error"]["code"] == "last_facilitator" and "CP Économie sociale municipale" in data["error"]["message"]
    status, _ = call(client, cast, "julie", "delete", "/me", json={"password": Factory.password, "content": "keep"})
    assert status == 204
    status, data = call(client, cast, "julie", "get", "/me")
    assert status == 401
    assert "Julie Roy" not in roles(app, cast)
    status, _ = call(client, cast, None, "delete", "/me", json={"password": Factory.password, "content": "keep"})
    assert status == 401
    status, _ = call(client, cast, "marc", "delete", "/me", data="x")
    assert status == 415
