"""The audit log's pages: filters, paging, CSV export; and the sensitive actions that write it."""
import csv
import io
from datetime import datetime, timedelta, timezone

from tests.admin.conftest import auth, entries, logged_in


def _membership_id(app, slug, user_id):
    from hub.communities import service
    from hub.communities.models import Membership
    from hub.extensions import db

    with app.app_context():
        return db.session.execute(db.select(Membership.id).filter_by(community_id=service.by_slug(slug).id, user_id=user_id)).scalar_one()


def _entry(app, action, at=None, actor=None, **details):
    from hub import audit
    from hub.extensions import db

    with app.app_context():
        entry = audit.record(action, actor, target_type="communities", target_id=1, target_label=details.pop("label", ""), **details)
        if at is not None:
            entry.at = at
        db.session.commit()


def test_role_changes_removals_and_revoked_invitations_are_recorded(app, cast):
    sophie = logged_in(app, cast, "facilitator")
    julie_membership = _membership_id(app, cast.slug, cast.ids["member"])
    sophie.post(f"/c/{cast.slug}/members/{julie_membership}/role", data={"role": "observer"})
    sophie_membership = _membership_id(app, cast.slug, cast.ids["facilitator"])
    refused = sophie.post(f"/c/{cast.slug}/members/{sophie_membership}/role", data={"role": "member"})  # the last facilitator
    assert refused.status_code == 302
    sophie.post(f"/c/{cast.slug}/members/{julie_membership}/remove")
    sophie.post(f"/c/{cast.slug}/invitations", data={"email": "nouvelle@exemple.ca", "role": "member"})
    from hub.communities.models import Invitation
    from hub.extensions import db

    with app.app_context():
        invitation_id = db.session.execute(db.select(Invitation.id)).scalar_one()
    sophie.post(f"/c/{cast.slug}/invitations/{invitation_id}/revoke")

    role, removal = entries(app, "membership.")
    assert (role["action"], role["actor_id"], role["target_id"], role["details"]) == ("membership.role_change", cast.ids["facilitator"], cast.ids["member"], {"old_role": "member", "new_role": "observer"})
    assert (removal["action"], removal["target_id"], removal["details"]) == ("membership.remove", cast.ids["member"], {"role": "observer"})
    assert role["community_id"] == removal["community_id"] is not None
    [revoked] = entries(app, "invitation.")
    assert (revoked["action"], revoked["target"], revoked["actor_id"]) == ("invitation.revoke", "nouvelle@exemple.ca", cast.ids["facilitator"])


def test_deletions_and_api_tokens_are_recorded(app, cast):
    api = app.test_client()
    thread = api.post(f"/api/v1/communities/{cast.slug}/threads", json={"title": "Friches", "body": "Idées?"}, headers=auth(cast, "member")).get_json()["id"]
    reply = api.post(f"/api/v1/threads/{thread}/posts", json={"body": "Une réponse"}, headers=auth(cast, "member")).get_json()["id"]
    assert api.delete(f"/api/v1/posts/{reply}", headers=auth(cast, "facilitator")).status_code in (200, 204)
    resource = api.post(f"/api/v1/communities/{cast.slug}/resources", headers=auth(cast, "member"), content_type="multipart/form-data",
                        data={"url": "https://exemple.ca/guide", "title": "Guide des friches", "type": "tool"}).get_json()["id"]
    assert api.delete(f"/api/v1/resources/{resource}", headers=auth(cast, "member")).status_code == 204
    note = api.post(f"/api/v1/communities/{cast.slug}/notes", json={"title": "Brouillon", "body": "x"}, headers=auth(cast, "member")).get_json()["id"]
    julie = logged_in(app, cast, "member")
    assert julie.post(f"/notes/{note}/delete").status_code == 302

    [post] = entries(app, "post.delete")
    assert (post["actor_id"], post["target_id"], post["target"], post["details"]["thread_id"]) == (cast.ids["facilitator"], reply, "Friches", thread)
    [res] = entries(app, "resource.delete")
    assert (res["actor_id"], res["target_id"], res["target"]) == (cast.ids["member"], resource, "Guide des friches")
    [deleted_note] = entries(app, "note.delete")
    assert (deleted_note["actor_id"], deleted_note["target_id"], deleted_note["target"]) == (cast.ids["member"], note, "Brouillon")
    assert post["community_id"] == res["community_id"] == deleted_note["community_id"] is not None

    julie.post("/account/tokens", data={"name": "Tableur"})
    from hub.accounts.models import ApiToken
    from hub.extensions import db

    with app.app_context():
        token_id = db.session.execute(db.select(ApiToken.id).filter_by(name="Tableur")).scalar_one()
    julie.post(f"/account/tokens/{token_id}/revoke")
    created = [e for e in entries(app, "token.create") if e["target"] == "Tableur"]
    assert len(created) == 1 and created[0]["actor_id"] == cast.ids["member"]
    [revoked] = entries(app, "token.revoke")
    assert (revoked["target_id"], revoked["actor_id"]) == (token_id, cast.ids["member"])


def test_read_with_filters_and_paging(app, cast):
    from hub.accounts.models import User
    from hub.extensions import db

    with app.app_context():
        ada = db.session.get(User, cast.ids["admin"])
        sophie = db.session.get(User, cast.ids["facilitator"])
    old = datetime(2026, 3, 10, 15, 0, tzinfo=timezone.utc)
    _entry(app, "community.archive", at=old, actor=ada, label="Ancienne CP")
    for n in range(52):
        _entry(app, "membership.remove", actor=sophie, label=f"personne {n}")
    admin = logged_in(app, cast, "admin")
    page = admin.get("/admin/audit").get_data(as_text=True)
    assert page.count('data-testid="audit-entry"') == 50 and "Page 1 sur 2" in page
    assert "community.archive" in admin.get("/admin/audit?page=2").get_data(as_text=True)
    only = admin.get("/admin/audit", query_string={"action": "community.archive"}).get_data(as_text=True)
    assert only.count('data-testid="audit-entry"') == 1 and "Ancienne CP" in only
    by_actor = admin.get("/admin/audit", query_string={"actor": "sophie", "action": "membership.remove"}).get_data(as_text=True)
    assert "52 entrées" in by_actor
    dated = admin.get("/admin/audit", query_string={"from": "2026-03-10", "to": "2026-03-10"}).get_data(as_text=True)
    assert dated.count('data-testid="audit-entry"') == 1 and "Ancienne CP" in dated
    assert admin.get("/admin/audit", query_string={"from": "2026-03-11", "to": "2026-03-31"}).get_data(as_text=True).count('data-testid="audit-entry"') == 0
    bad = admin.get("/admin/audit", query_string={"from": "10 mars"})
    assert bad.status_code == 422 and "AAAA-MM-JJ" in bad.get_data(as_text=True)

    api = app.test_client()
    body = api.get("/api/v1/admin/audit", query_string={"actor": "ada", "action": "community.archive"}, headers=auth(cast, "admin")).get_json()
    assert body["total"] == 1 and body["entries"][0]["target"] == "Ancienne CP" and body["entries"][0]["at"].startswith("2026-03-10T15:00")
    family = api.get("/api/v1/admin/audit", query_string={"action": "membership."}, headers=auth(cast, "admin")).get_json()
    assert family["total"] == 52 and family["pages"] == 2
    assert api.get("/api/v1/admin/audit", query_string={"to": "hier"}, headers=auth(cast, "admin")).status_code == 422


def test_csv_export_by_page_and_api(app, cast):
    from hub.accounts.models import User
    from hub.extensions import db

    with app.app_context():
        ada = db.session.get(User, cast.ids["admin"])
    _entry(app, "community.archive", actor=ada, label="=HYPERLINK(\"http://exemple.ca\")", reason="Fin du mandat, « CP » fermée")
    _entry(app, "membership.remove", label="Julie")
    admin = logged_in(app, cast, "admin")
    response = admin.get("/admin/audit.csv", query_string={"action": "community.archive"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"] and ".csv" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["id", "at", "actor_id", "actor", "action", "target_type", "target_id", "target", "community_id", "ip", "details"]
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1]))
    assert row["action"] == "community.archive" and row["actor"] == f"Ada Lavoie <{cast.emails['admin']}>"
    assert row["target"] == "'=HYPERLINK(\"http://exemple.ca\")"  # never read as a formula by a spreadsheet
    assert row["details"] == '{"reason": "Fin du mandat, « CP » fermée"}'
    datetime.fromisoformat(row["at"])

    everything = app.test_client().get("/api/v1/admin/audit.csv", headers=auth(cast, "admin"))
    assert everything.status_code == 200 and everything.mimetype == "text/csv"
    actions = [r[4] for r in csv.reader(io.StringIO(everything.get_data(as_text=True).lstrip("\ufeff")))][1:]
    assert "membership.remove" in actions and "community.archive" in actions and "audit.export" in actions
    exports = entries(app, "audit.export")
    assert len(exports) == 2 and exports[0]["details"] == {"filters": {"action": "community.archive"}} and exports[0]["actor_id"] == cast.ids["admin"]


def test_the_log_offers_no_way_to_change_an_entry(app, cast):
    _entry(app, "community.archive", label="CP")
    client = logged_in(app, cast, "admin")
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)("/admin/audit").status_code == 405
        assert getattr(app.test_client(), method)("/api/v1/admin/audit", headers=auth(cast, "admin")).status_code == 405
    assert len(entries(app, "community.archive")) == 1
