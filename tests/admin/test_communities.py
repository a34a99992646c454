"""Communities: archive (read-only for everyone, out of the directory lists, a banner) and transfer."""
from tests.admin.conftest import auth, entries, logged_in
from tests.meetings.conftest import future

BANNER = "Cette communauté est archivée"


def _archived(app, slug):
    from hub.communities import service

    with app.app_context():
        return service.by_slug(slug).archived_at is not None


def test_archive_and_unarchive_by_page(app, cast):
    admin = logged_in(app, cast, "admin")
    julie = logged_in(app, cast, "member")
    assert "CP Parcs" in julie.get("/communities").get_data(as_text=True)
    assert BANNER not in julie.get(f"/c/{cast.slug}").get_data(as_text=True)  # now kept in the page cache
    page = admin.get("/admin/communities").get_data(as_text=True)
    assert "CP Parcs et espaces verts" in page and "Sophie Gagnon" in page and 'data-testid="archive"' in page

    response = admin.post(f"/admin/communities/{cast.slug}/archive", data={"next": "/admin/communities?q=parcs"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/communities?q=parcs")
    assert _archived(app, cast.slug)
    assert 'data-testid="badge-archived"' in admin.get("/admin/communities").get_data(as_text=True)
    home = julie.get(f"/c/{cast.slug}")
    assert home.status_code == 200 and BANNER in home.get_data(as_text=True)
    assert "CP Parcs" not in julie.get("/communities").get_data(as_text=True)
    assert "CP Parcs" in julie.get("/").get_data(as_text=True)  # still among her own communities
    assert cast.slug not in [c["slug"] for c in app.test_client().get("/api/v1/communities", headers=auth(cast, "member")).get_json()["communities"]]
    assert cast.slug in [m["community"]["slug"] for m in app.test_client().get("/api/v1/me", headers=auth(cast, "member")).get_json()["memberships"]]
    again = admin.post(f"/admin/communities/{cast.slug}/archive", follow_redirects=True)
    assert "déjà archivée" in again.get_data(as_text=True)

    admin.post(f"/admin/communities/{cast.slug}/unarchive")
    assert not _archived(app, cast.slug)
    assert BANNER not in julie.get(f"/c/{cast.slug}").get_data(as_text=True)
    assert "CP Parcs" in julie.get("/communities").get_data(as_text=True)
    assert [e["action"] for e in entries(app, "community.")] == ["community.archive", "community.unarchive"]
    first = entries(app, "community.")[0]
    assert first["actor_id"] == cast.ids["admin"] and first["target_type"] == "communities" and first["community_id"] is not None


def test_archive_and_unarchive_by_api(app, cast):
    api = app.test_client()
    response = api.post(f"/api/v1/admin/communities/{cast.slug}/archive", headers=auth(cast, "admin"))
    assert response.status_code == 200 and response.get_json()["archived_at"]
    again = api.post(f"/api/v1/admin/communities/{cast.slug}/archive", headers=auth(cast, "admin"))
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_archived"
    listing = api.get("/api/v1/admin/communities", query_string={"q": "parcs"}, headers=auth(cast, "admin")).get_json()
    assert listing["total"] == 1 and listing["communities"][0]["archived_at"] and listing["communities"][0]["members"] == 2
    assert api.post("/api/v1/admin/communities/nulle-part/archive", headers=auth(cast, "admin")).status_code == 404
    response = api.post(f"/api/v1/admin/communities/{cast.slug}/unarchive", headers=auth(cast, "admin"))
    assert response.status_code == 200 and response.get_json()["archived_at"] is None
    assert api.post(f"/api/v1/admin/communities/{cast.slug}/unarchive", headers=auth(cast, "admin")).status_code == 409


def _roles(app, slug):
    from hub.communities import service

    with app.app_context():
        return {m.user.display_name: m.role for m in service.members(service.by_slug(slug))}


def test_transfer_by_page_with_the_current_facilitators_becoming_members(app, cast):
    admin = logged_in(app, cast, "admin")
    page = admin.get(f"/admin/communities/{cast.slug}/transfer").get_data(as_text=True)
    assert "Sophie Gagnon" in page and 'data-testid="transfer-form"' in page
    refused = admin.post(f"/admin/communities/{cast.slug}/transfer", data={"email": "personne@nulle-part.ca"})
    assert refused.status_code == 422 and "cette adresse courriel" in refused.get_data(as_text=True)
    assert admin.post(f"/admin/communities/{cast.slug}/transfer", data={"email": "pas un courriel"}).status_code == 422

    response = admin.post(f"/admin/communities/{cast.slug}/transfer", data={"email": cast.emails["outsider"], "demote": "y"})
    assert response.status_code == 302
    assert _roles(app, cast.slug) == {"Sophie Gagnon": "member", "Julie Tremblay": "member", "Marc Bélanger": "facilitator"}
    marc = logged_in(app, cast, "outsider")
    assert marc.get(f"/c/{cast.slug}/invitations").status_code == 200
    [entry] = entries(app, "community.transfer")
    assert entry["details"]["to_user_id"] == cast.ids["outsider"] and entry["details"]["demoted_user_ids"] == [cast.ids["facilitator"]]


def test_transfer_by_api_keeping_the_current_facilitators(app, cast):
    api = app.test_client()
    url = f"/api/v1/admin/communities/{cast.slug}/transfer"
    response = api.post(url, json={"email": cast.emails["member"]}, headers=auth(cast, "admin"))
    assert response.status_code == 200
    assert {f["display_name"] for f in response.get_json()["facilitators"]} == {"Sophie Gagnon", "Julie Tremblay"}
    assert api.post(url, json={"email": "personne@nulle-part.ca"}, headers=auth(cast, "admin")).status_code == 422
    assert api.post(url, json={"email": cast.emails["member"], "demote_facilitators": "oui"}, headers=auth(cast, "admin")).status_code == 422
    assert api.post(url, json={"courriel": "x"}, headers=auth(cast, "admin")).status_code == 422
    api.post(f"/api/v1/admin/communities/{cast.slug}/archive", headers=auth(cast, "admin"))
    archived = api.post(url, json={"email": cast.emails["outsider"]}, headers=auth(cast, "admin"))
    assert archived.status_code == 409 and archived.get_json()["error"]["code"] == "community_archived"
    assert _roles(app, cast.slug) == {"Sophie Gagnon": "facilitator", "Julie Tremblay": "facilitator"}


def _content(app, cast):
    """A thread, a note, a poll and a link resource, made before the community is archived."""
    api = app.test_client()
    thread = api.post(f"/api/v1/communities/{cast.slug}/threads", json={"title": "Gestion des parcs", "body": "Qui a un règlement?"}, headers=auth(cast, "member"))
    assert thread.status_code == 201, thread.get_json()
    thread_id = thread.get_json()["id"]
    post_id = api.get(f"/api/v1/threads/{thread_id}", headers=auth(cast, "member")).get_json()["posts"][0]["id"]
    note = api.post(f"/api/v1/communities/{cast.slug}/notes", json={"title": "Compte rendu", "body": "Présents : Sophie"}, headers=auth(cast, "member"))
    assert note.status_code == 201, note.get_json()
    poll = api.post(f"/api/v1/communities/{cast.slug}/polls", headers=auth(cast, "facilitator"), json={
        "title": "Rencontre", "duration_minutes": 60, "timezone": "America/Toronto", "slots": [future(7, 10), future(8, 9)],
    })
    assert poll.status_code == 201, poll.get_json()
    resource = api.post(f"/api/v1/communities/{cast.slug}/resources", headers=auth(cast, "member"), content_type="multipart/form-data",
                        data={"url": "https://exemple.ca/guide-parcs", "title": "Guide des parcs", "type": "tool", "language": "fr"})
    assert resource.status_code == 201, resource.get_json()
    return {"thread": thread_id, "post": post_id, "note": note.get_json()["id"], "poll": poll.get_json(), "resource": resource.get_json()["id"]}


def test_an_archived_community_refuses_every_write_in_every_feature(app, cast):
    made = _content(app, cast)
    julie = logged_in(app, cast, "member")
    assert BANNER not in julie.get(f"/threads/{made['thread']}").get_data(as_text=True)  # kept in the page cache
    api = app.test_client()
    assert api.post(f"/api/v1/admin/communities/{cast.slug}/archive", headers=auth(cast, "admin")).status_code == 200
    slot = str(made["poll"]["slots"][0]["id"])
    writes = [
        ("post", f"/api/v1/communities/{cast.slug}/threads", {"json": {"title": "Nouveau", "body": "Texte"}}),
        ("post", f"/api/v1/threads/{made['thread']}/posts", {"json": {"body": "Réponse"}}),
        ("put", f"/api/v1/posts/{made['post']}", {"json": {"body": "Modifié"}}),
        ("delete", f"/api/v1/posts/{made['post']}", {}),
        ("post", f"/api/v1/communities/{cast.slug}/notes", {"json": {"title": "Autre", "body": "x"}}),
        ("put", f"/api/v1/notes/{made['note']}", {"json": {"body": "Modifié", "base_revision": 1}}),
        ("post", f"/api/v1/communities/{cast.slug}/resources", {"content_type": "multipart/form-data", "data": {"url": "https://exemple.ca/x", "title": "X", "type": "tool"}}),
        ("put", f"/api/v1/resources/{made['resource']}", {"json": {"title": "Autre titre"}}),
        ("delete", f"/api/v1/resources/{made['resource']}", {}),
        ("post", f"/api/v1/communities/{cast.slug}/polls", {"json": {"title": "R", "duration_minutes": 60, "timezone": "America/Toronto", "slots": [future(9, 10)]}}),
        ("put", f"/api/v1/polls/{made['poll']['id']}/answers", {"json": {"answers": {slot: "yes"}}}),
        ("post", f"/api/v1/polls/{made['poll']['id']}/finalize", {"json": {"slot_id": int(slot)}}),
    ]
    for who in ("member", "facilitator", "admin"):
        for method, url, kwargs in writes:
            response = getattr(api, method)(url, headers=auth(cast, who), **kwargs)
            if who == "facilitator" and url == f"/api/v1/notes/{made['note']}":
                assert response.status_code == 404  # Julie's note is private: others are not told it exists
                continue
            assert response.status_code == 403, (who, method, url, response.get_json())
            if not (who == "member" and url.endswith("/finalize")):  # the poll's organiser's action: forbidden to her anyway
                assert response.get_json()["error"]["code"] == "community_archived", (who, url)
    invite = api.post(f"/api/v1/communities/{cast.slug}/invitations", json={"email": "nouvelle@exemple.ca"}, headers=auth(cast, "facilitator"))
    assert invite.status_code == 403 and "archivée" in invite.get_json()["error"]["message"]
    # Reading goes on.
    assert api.get(f"/api/v1/threads/{made['thread']}", headers=auth(cast, "member")).status_code == 200
    assert api.get(f"/api/v1/notes/{made['note']}", headers=auth(cast, "member")).status_code == 200
    assert api.get(f"/api/v1/resources/{made['resource']}", headers=auth(cast, "member")).status_code == 200

    for url in (f"/c/{cast.slug}/discussions/new", f"/c/{cast.slug}/resources/new", f"/c/{cast.slug}/notes/new",
                f"/c/{cast.slug}/polls/new", f"/c/{cast.slug}/calendar/new"):
        page = julie.get(url)
        assert page.status_code == 403 and "Cette communauté est archivée" in page.get_data(as_text=True), url
    assert julie.post(f"/threads/{made['thread']}/reply", data={"body": "Réponse"}).status_code == 403
    assert julie.post(f"/posts/{made['post']}/react", data={"emoji": "👍"}).status_code == 403
    for url in (f"/threads/{made['thread']}", f"/notes/{made['note']}", f"/resources/{made['resource']}", f"/polls/{made['poll']['id']}",
                f"/c/{cast.slug}/discussions", f"/c/{cast.slug}/resources"):
        page = julie.get(url)
        assert page.status_code == 200 and BANNER in page.get_data(as_text=True), url
    sophie = logged_in(app, cast, "facilitator")
    assert sophie.get(f"/c/{cast.slug}/settings").status_code == 403
    assert sophie.get(f"/c/{cast.slug}/invitations").status_code == 403

    # Unarchived, the same writes work again.
    api.post(f"/api/v1/admin/communities/{cast.slug}/unarchive", headers=auth(cast, "admin"))
    assert api.post(f"/api/v1/threads/{made['thread']}/posts", json={"body": "De retour"}, headers=auth(cast, "member")).status_code == 201


def test_the_access_rule_refuses_writes_even_to_admins(app, cast, db):
    from flask_login import AnonymousUserMixin

    from hub import access
    from hub.accounts.models import User
    from hub.communities import service

    with app.test_request_context():
        community = service.by_slug(cast.slug)
        admin = db.session.get(User, cast.ids["admin"])
        member = db.session.get(User, cast.ids["member"])
        assert access.can(admin, "thread.create", community) and access.can(member, "resource.create", community)
        community.archived_at = community.created_at
        for user in (admin, member):
            for action in ("thread.create", "resource.create", "poll.create", "meeting.create", "note.create", "community.manage", "community.themes"):
                assert not access.can(user, action, community), (user, action)
            assert access.can(user, "community.read", community)
        assert access.refused_as_archived(member, "thread.create", community)
        assert not access.refused_as_archived(AnonymousUserMixin(), "thread.create", community)
        db.session.rollback()


def test_members_see_the_archive_in_the_api_and_guest_links_take_no_more_answers(app, cast, db):
    from hub.communities import service
    from hub.meetings import service as meetings
    from hub.accounts.models import User
    from tests.api.spec import assert_matches_spec

    with app.test_request_context():
        community = service.by_slug(cast.slug)
        organiser = db.session.get(User, cast.ids["facilitator"])
        from datetime import datetime, timedelta, timezone

        start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=7)
        poll, links = meetings.create_poll(community, organiser, title="Rencontre", duration_minutes=60, tz_name="America/Toronto",
                                           slots=[(start, start + timedelta(hours=1))], guest_emails=["invitee@exemple.ca"])
        db.session.commit()
        token, slot_id = links["invitee@exemple.ca"], poll.slots[0].id
    api = app.test_client()
    api.post(f"/api/v1/admin/communities/{cast.slug}/archive", headers=auth(cast, "admin"))
    me = assert_matches_spec(api.get("/api/v1/me", headers=auth(cast, "member")), "get", "/me")
    assert [m["community"]["archived_at"] for m in me["memberships"]] != [None]
    guest = app.test_client()
    page = guest.get(f"/p/{token}")
    assert page.status_code == 200 and BANNER in page.get_data(as_text=True)
    refused = guest.post(f"/p/{token}", data={f"slot-{slot_id}": "yes", "name": "Invitée"})
    assert refused.status_code == 403 and "archivée" in refused.get_data(as_text=True)
