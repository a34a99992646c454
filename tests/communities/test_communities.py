import re
from datetime import timedelta

import sqlalchemy as sa

from tests.conftest import link_in, login


def _slug_from(response):
    return response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]


def test_create_community_with_accented_name(client, factory):
    _id, email = factory.user()
    login(client, email)
    response = client.post("/communities/new", data={"name": "Économie sociale à Lévis", "mission": "Partager.", "visibility": "listed"})
    assert response.status_code == 302
    slug = _slug_from(response)
    assert slug == "economie-sociale-a-levis"
    page = client.get(f"/c/{slug}").get_data(as_text=True)
    assert "Économie sociale à Lévis" in page and "Partager." in page
    again = client.post("/communities/new", data={"name": "Économie sociale à Lévis", "visibility": "private"})
    assert _slug_from(again) == "economie-sociale-a-levis-2"
    taken = client.post("/communities/new", data={"name": "Autre", "slug": slug, "visibility": "private"})
    assert taken.status_code == 422


def test_settings_are_for_facilitators(client, app, factory):
    _fid, facilitator = factory.user()
    _mid, member = factory.user()
    slug = factory.community(facilitator, "Réseau")
    factory.add_member(slug, member)
    login(client, facilitator)
    response = client.post(f"/c/{slug}/settings", data={"name": "Réseau des villes", "mission": "M", "values": "V", "visibility": "public"})
    assert response.status_code == 302
    assert app.test_client().get(f"/c/{slug}").status_code == 200  # now public: anyone reads the showcase
    other = app.test_client()
    login(other, member)
    assert other.post(f"/c/{slug}/settings", data={"name": "Piraté", "visibility": "private"}).status_code == 403


def test_invitation_is_single_use_and_expires(app, factory, outbox):
    from hub.communities.models import Invitation
    from hub.extensions import db
    from hub.timeutil import utcnow

    _fid, facilitator = factory.user()
    slug = factory.community(facilitator)
    inviter = app.test_client()
    login(inviter, facilitator)
    assert inviter.post(f"/c/{slug}/invitations", data={"email": "nouveau@exemple.ca", "role": "observer"}).status_code == 302
    link = link_in(outbox()[-1]["body"]).replace("http://localhost", "")
    _nid, newcomer = factory.user(email="nouveau@exemple.ca")
    guest = app.test_client()
    login(guest, newcomer)
    assert guest.post(link).status_code == 302
    assert "Observ" in inviter.get(f"/c/{slug}/members").get_data(as_text=True)
    _xid, other = factory.user()
    third = app.test_client()
    login(third, other)
    third.post(link)
    assert third.get(f"/c/{slug}").status_code == 404  # used once: no second membership

    assert inviter.post(f"/c/{slug}/invitations", data={"email": "tard@exemple.ca", "role": "member"}).status_code == 302
    late_link = link_in(outbox()[-1]["body"]).replace("http://localhost", "")
    with app.app_context():
        invitation = db.session.execute(sa.select(Invitation).filter_by(email="tard@exemple.ca")).scalar_one()
        invitation.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    third.post(late_link)
    assert third.get(f"/c/{slug}").status_code == 404


def test_guest_invitation_with_end_date(app, factory, outbox):
    _fid, facilitator = factory.user()
    slug = factory.community(facilitator)
    client = app.test_client()
    login(client, facilitator)
    client.post(f"/c/{slug}/invitations", data={"email": "ministere@exemple.ca", "role": "guest", "guest_until": "2099-06-30"})
    link = link_in(outbox()[-1]["body"]).replace("http://localhost", "")
    _gid, guest = factory.user(email="ministere@exemple.ca")
    visitor = app.test_client()
    login(visitor, guest)
    visitor.post(link)
    assert visitor.get(f"/c/{slug}").status_code == 200
    assert visitor.get(f"/c/{slug}/members").status_code == 403  # guests read only where invited
    directory = client.get(f"/c/{slug}/members").get_data(as_text=True)
    assert "2099" in directory


def test_revoked_invitation_cannot_be_used(app, factory, outbox):
    _fid, facilitator = factory.user()
    slug = factory.community(facilitator)
    client = app.test_client()
    login(client, facilitator)
    client.post(f"/c/{slug}/invitations", data={"email": "x@exemple.ca", "role": "member"})
    link = link_in(outbox()[-1]["body"]).replace("http://localhost", "")
    page = client.get(f"/c/{slug}/invitations").get_data(as_text=True)
    invitation_id = re.search(r"/invitations/(\d+)/revoke", page).group(1)
    assert client.post(f"/c/{slug}/invitations/{invitation_id}/revoke").status_code == 302
    _xid, x = factory.user(email="x@exemple.ca")
    other = app.test_client()
    login(other, x)
    assert "withdrawn" in other.get(link).get_data(as_text=True) or "retirée" in other.get(link).get_data(as_text=True)
    other.post(link)
    assert other.get(f"/c/{slug}").status_code == 404


def test_join_request_for_listed_community(app, factory, outbox):
    _fid, facilitator = factory.user()
    _rid, requester = factory.user("Karim Benali", organization="Ville de Laval")
    slug = factory.community(facilitator, "Habitation", visibility="listed")
    asker = app.test_client()
    login(asker, requester)
    assert asker.post(f"/c/{slug}/join", data={"message": "Bonjour!"}).status_code == 302
    assert outbox()[-1]["to"] == facilitator
    facilitator_client = app.test_client()
    login(facilitator_client, facilitator)
    page = facilitator_client.get(f"/c/{slug}/members").get_data(as_text=True)
    assert "Karim Benali" in page and "Bonjour!" in page
    request_id = re.search(r"/requests/(\d+)/approve", page).group(1)
    assert facilitator_client.post(f"/c/{slug}/requests/{request_id}/approve").status_code == 302
    assert asker.get(f"/c/{slug}/members").status_code == 200
    assert facilitator_client.post(f"/c/{slug}/requests/{request_id}/decline").status_code == 302  # already answered: no change
    assert asker.get(f"/c/{slug}/members").status_code == 200


def test_private_community_refuses_join_requests(app, factory):
    _fid, facilitator = factory.user()
    _oid, outsider = factory.user()
    slug = factory.community(facilitator)
    client = app.test_client()
    login(client, outsider)
    assert client.post(f"/c/{slug}/join").status_code == 404


def test_community_keeps_at_least_one_facilitator(app, factory):
    from hub.communities.models import Membership
    from hub.extensions import db

    _fid, facilitator = factory.user()
    _mid, member = factory.user()
    slug = factory.community(facilitator)
    factory.add_member(slug, member)
    client = app.test_client()
    login(client, facilitator)
    client.post(f"/c/{slug}/leave")
    assert client.get(f"/c/{slug}").status_code == 200  # refused: still a member
    with app.app_context():
        own = db.session.execute(sa.select(Membership).filter_by(role="facilitator")).scalar_one()
        other = db.session.execute(sa.select(Membership).filter_by(role="member")).scalar_one()
        own_id, other_id = own.id, other.id
    client.post(f"/c/{slug}/members/{own_id}/role", data={"role": "member"})
    with app.app_context():
        assert db.session.get(Membership, own_id).role == "facilitator"
    client.post(f"/c/{slug}/members/{other_id}/role", data={"role": "facilitator"})
    client.post(f"/c/{slug}/leave")
    assert client.get(f"/c/{slug}").status_code == 404
    with app.app_context():
        assert db.session.get(Membership, other_id).role == "facilitator"


def test_facilitator_removes_a_member(app, factory):
    from hub.communities.models import Membership
    from hub.extensions import db

    _fid, facilitator = factory.user()
    _mid, member = factory.user("Julie Roy")
    slug = factory.community(facilitator)
    factory.add_member(slug, member)
    with app.app_context():
        membership_id = db.session.execute(sa.select(Membership.id).filter_by(role="member")).scalar_one()
    client = app.test_client()
    login(client, facilitator)
    assert client.post(f"/c/{slug}/members/{membership_id}/remove").status_code == 302
    removed = app.test_client()
    login(removed, member)
    assert removed.get(f"/c/{slug}").status_code == 404


def test_directory_searches_name_municipality_organisation_expertise(app, factory):
    _fid, facilitator = factory.user("Sophie Gagnon", organization="Ville de Montréal", expertise="approvisionnement responsable")
    _a, a = factory.user("Julie Roy", organization="Ville de Lévis", expertise="itinérance, logement social")
    _b, b = factory.user("Marc Tremblay", organization="Ville de Gatineau", job_title="Commissaire", expertise="financement")
    slug = factory.community(facilitator)
    factory.add_member(slug, a)
    factory.add_member(slug, b, "observer")
    client = app.test_client()
    login(client, facilitator)

    def names(query):
        page = client.get(f"/c/{slug}/members", query_string={"q": query}).get_data(as_text=True)
        return set(re.findall(r'data-testid="member".*?<a href="/users/\d+">([^<]+)</a>', page, re.S))

    assert names("") == {"Sophie Gagnon", "Julie Roy", "Marc Tremblay"}
    assert names("levis") == {"Julie Roy"}
    assert names("MONTREAL") == {"Sophie Gagnon"}
    assert names("itinerance") == {"Julie Roy"}
    assert names("gatineau financement") == {"Marc Tremblay"}
    assert names("tremblay") == {"Marc Tremblay"}
    assert names("rien du tout") == set()


def test_listed_communities_appear_in_discovery_private_do_not(app, factory):
    _fid, facilitator = factory.user()
    _oid, outsider = factory.user()
    factory.community(facilitator, "Secrète")
    factory.community(facilitator, "Annuaire des villes", visibility="listed")
    client = app.test_client()
    login(client, outsider)
    page = client.get("/communities").get_data(as_text=True)
    assert "Annuaire des villes" in page and "Secrète" not in page
    assert "Annuaire des villes" not in app.test_client().get("/communities").get_data(as_text=True)


def test_leaving_asks_on_a_page_of_its_own_without_javascript(app, factory):
    import html
    import re

    _fid, facilitator = factory.user()
    _mid, member = factory.user()
    slug = factory.community(facilitator, visibility="public")
    factory.add_member(slug, member)
    client = app.test_client()
    login(client, member)
    page = client.get(f"/c/{slug}").get_data(as_text=True)
    form = re.search(r'<form method="get" action="/confirm"[^>]*data-confirm-post="([^"]+)">\s*<input type="hidden" name="t" value="([^"]+)">'
                     r'.*?<button type="submit" class="button button--danger" data-testid="leave"', page, re.S)
    assert form and form.group(1) == f"/c/{slug}/leave"
    asked = client.get("/confirm", query_string={"t": html.unescape(form.group(2))})
    text = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Quitter cette communauté?" in text and 'data-testid="confirm-page"' in text
    assert f'<form method="post" action="/c/{slug}/leave"' in text and 'class="button button--danger" data-testid="confirm-button"' in text
    assert f'href="/c/{slug}"' in text  # the way back
    assert client.get(f"/c/{slug}").status_code == 200  # asking changed nothing
    tampered = html.unescape(form.group(2))[:-2] + "xx"
    assert client.get("/confirm", query_string={"t": tampered}).status_code == 404
    client.post(f"/c/{slug}/leave")
    assert 'data-testid="leave"' not in client.get(f"/c/{slug}").get_data(as_text=True)
