"""Behaviour of every /api/v1 endpoint, each response checked against openapi.json."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.api.spec import assert_matches_spec
from tests.conftest import Factory, login

API = "/api/v1"


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def call(client, method, path, token=None, **kwargs):
    """Send a request to the API and check the answer against the document; return (status, json)."""
    headers = {**kwargs.pop("headers", {}), **(bearer(token) if token else {})}
    response = client.open(API + path.format(**kwargs.pop("values", {})), method=method.upper(), headers=headers, **kwargs)
    data = assert_matches_spec(response, method, path)
    return response.status_code, data


class Person:
    def __init__(self, factory, name, **fields):
        self.id, self.email = factory.user(name, **fields)
        self.token = factory.token(self.email)


@pytest.fixture
def world(app, factory):
    """A private community with a facilitator, a member and a guest; an outsider; listed and public communities."""
    w = type("World", (), {})()
    w.facilitator = Person(factory, "Fanny Tremblay", organization="Ville de Québec")
    w.member = Person(factory, "Élodie Côté", organization="Ville de Lévis", job_title="Conseillère en développement")
    w.guest = Person(factory, "Gaston Roy", organization="TIESS")
    w.outsider = Person(factory, "Olivier Nadeau", organization="Ville de Laval")
    w.private = factory.community(w.facilitator.email, "Approvisionnement responsable", visibility="private", values="Entraide")
    factory.add_member(w.private, w.member.email, "member")
    factory.add_member(w.private, w.guest.email, "guest")
    w.listed = factory.community(w.facilitator.email, "Habitation et économie sociale", visibility="listed")
    w.public = factory.community(w.facilitator.email, "Revitalisation des artères commerciales", visibility="public")
    return w


def update_invitation(app, token, **values):
    from hub.communities.models import Invitation
    from hub.extensions import db

    with app.app_context():
        invitation = Invitation.by_token(token)
        for key, value in values.items():
            setattr(invitation, key, value)
        db.session.commit()


# --- /auth/register -------------------------------------------------------------------


def test_register_sends_a_link_that_creates_the_account(client, outbox):
    status, data = call(client, "post", "/auth/register", json={
        "email": " Ana.Lima@Exemple.CA ", "password": "une phrase secrète", "display_name": "Ana Lima", "organization": "Ville de Laval",
    })
    assert status == 202
    assert data["email"] == "ana.lima@exemple.ca" and data["message"]
    assert call(client, "post", "/auth/token", json={"email": "ana.lima@exemple.ca", "password": "une phrase secrète"})[0] == 401  # not yet
    mail = outbox()[-1]
    assert mail["to"] == "ana.lima@exemple.ca"
    link = re.search(r"http://localhost(/register/confirm/\S+)", mail["body"]).group(1)
    assert client.post(link).status_code == 302
    status, data = call(client, "post", "/auth/token", json={"email": "ana.lima@exemple.ca", "password": "une phrase secrète"})
    assert status == 200 and data["user"]["organization"] == "Ville de Laval"
    status, me = call(client, "get", "/me", token=data["token"])
    assert status == 200 and me["id"] == data["user"]["id"] and me["memberships"] == []


def test_register_answers_the_same_for_a_used_email(client, factory, outbox):
    _id, email = factory.user("Déjà Là")
    status, data = call(client, "post", "/auth/register", json={"email": email.upper(), "password": "une phrase secrète", "display_name": "Autre"})
    assert status == 202 and data["email"] == email
    assert outbox()[-1]["to"] == email  # the address is told someone tried


REGISTRATION_ERRORS = [
    ({"email": "pas-une-adresse", "password": "une phrase secrète", "display_name": "Ana"}, "email"),
    ({"email": "ana@exemple.ca", "password": "court", "display_name": "Ana"}, "password"),
    ({"email": "ana@exemple.ca", "password": "une phrase secrète"}, "display_name"),
    ({"email": "ana@exemple.ca", "password": "une phrase secrète", "display_name": "A" * 121}, "display_name"),
    ({"email": "ana@exemple.ca", "password": 1234567890123, "display_name": "Ana"}, "password"),
]


def test_register_validates_fields(client):
    for body, field in REGISTRATION_ERRORS:
        status, data = call(client, "post", "/auth/register", json=body)
        assert status == 422, body
        assert data["error"]["code"] == "invalid"
        assert field in data["error"]["fields"], body


@pytest.mark.config(REGISTRATION="invite")
def test_register_is_closed_on_an_invite_only_hub(client):
    status, data = call(client, "post", "/auth/register", json={"email": "ana@exemple.ca", "password": "une phrase secrète", "display_name": "Ana"})
    assert status == 403
    assert data["error"]["code"] == "registration_closed"


# --- /auth/token ----------------------------------------------------------------------


def test_token_from_email_and_password(client, factory):
    user_id, email = factory.user("Ana Lima")
    status, data = call(client, "post", "/auth/token", json={"email": email, "password": Factory.password, "name": "Script de synchronisation"})
    assert status == 200
    assert data["user"]["id"] == user_id
    assert call(client, "get", "/me", token=data["token"])[0] == 200


def test_token_refuses_a_wrong_password(client, factory):
    _id, email = factory.user("Ana Lima")
    status, data = call(client, "post", "/auth/token", json={"email": email, "password": "mauvais mot de passe"})
    assert status == 401 and data["error"]["code"] == "invalid_credentials"
    status, data = call(client, "post", "/auth/token", json={"email": email, "password": ""})
    assert status == 422 and "password" in data["error"]["fields"]


def test_token_for_an_unknown_email_is_the_same_refusal(client):
    status, data = call(client, "post", "/auth/token", json={"email": "personne@exemple.ca", "password": "mauvais mot de passe"})
    assert status == 401 and data["error"]["code"] == "invalid_credentials"


# --- /me ------------------------------------------------------------------------------


def test_me_with_a_token(client, world):
    status, data = call(client, "get", "/me", token=world.member.token)
    assert status == 200
    assert data["email"] == world.member.email
    assert [(m["community"]["slug"], m["role"]) for m in data["memberships"]] == [(world.private, "member")]


def test_me_without_a_token(client):
    status, data = call(client, "get", "/me")
    assert status == 401


def test_me_with_a_garbage_token(client):
    for header in ["Bearer hub_nonexistent", "Bearer ", "Basic YTpi", "hub_raw_token_without_scheme", "Bearer " + "x" * 5000]:
        status, data = call(client, "get", "/me", headers={"Authorization": header})
        assert status == 401, header
        assert data["error"]["code"] == "invalid_token"


def test_me_with_a_revoked_token(app, client, world):
    from hub.accounts.models import ApiToken
    from hub.accounts import service
    from hub.extensions import db

    with app.app_context():
        service.revoke_token(ApiToken.find_active(world.member.token))
        db.session.commit()
    status, data = call(client, "get", "/me", token=world.member.token)
    assert status == 401 and data["error"]["code"] == "invalid_token"


def test_a_bad_token_is_refused_even_where_none_is_needed(client):
    assert call(client, "get", "/communities", token="hub_revoked_or_garbage")[0] == 401
    assert call(client, "post", "/auth/token", token="hub_garbage", json={"email": "a@b.ca", "password": "x"})[0] == 401


def test_a_browser_session_alone_does_not_authenticate_the_api(client, world):
    login(client, world.member.email)
    assert client.get("/account").status_code == 200  # the session works for pages
    status, data = call(client, "get", "/me")
    assert status == 401
    status, data = call(client, "get", "/communities/{slug}", values={"slug": world.private})
    assert status == 404
    # With a token as well, the token decides who is asking.
    status, data = call(client, "get", "/me", token=world.outsider.token)
    assert status == 200 and data["email"] == world.outsider.email


# --- /communities ---------------------------------------------------------------------


def slugs(data):
    return {c["slug"] for c in data["communities"]}


def test_communities_visible_to_each(client, world):
    _s, anonymous = call(client, "get", "/communities")
    assert slugs(anonymous) == {world.public}
    _s, outsider = call(client, "get", "/communities", token=world.outsider.token)
    assert slugs(outsider) == {world.public, world.listed}
    assert all(c["my_role"] is None and "values" not in c for c in outsider["communities"] if c["slug"] == world.listed)
    _s, member = call(client, "get", "/communities", token=world.member.token)
    assert slugs(member) == {world.public, world.listed, world.private}
    private = next(c for c in member["communities"] if c["slug"] == world.private)
    assert private["my_role"] == "member" and private["values"] == "Entraide"


def test_create_community_generates_the_slug_from_an_accented_name(client, world):
    status, data = call(client, "post", "/communities", token=world.outsider.token, json={"name": "Économie sociale à Lévis", "mission": "Partager nos bons et mauvais coups."})
    assert status == 201
    assert data["slug"] == "economie-sociale-a-levis"
    assert data["my_role"] == "facilitator"
    assert data["visibility"] == "private"
    status, again = call(client, "post", "/communities", token=world.outsider.token, json={"name": "Économie sociale à Lévis"})
    assert status == 201 and again["slug"] == "economie-sociale-a-levis-2"
    status, shown = call(client, "get", "/communities/{slug}", token=world.outsider.token, values={"slug": data["slug"]})
    assert status == 200 and shown["mission"] == "Partager nos bons et mauvais coups."


def test_create_community_refuses_a_taken_slug(client, world):
    status, data = call(client, "post", "/communities", token=world.outsider.token, json={"name": "Autre", "slug": world.private})
    assert status == 409
    assert "slug" in data["error"]["fields"]
    status, data = call(client, "post", "/communities", token=world.outsider.token, json={"name": "Autre", "slug": "admin"})
    assert status == 409


def test_create_community_validates(client, world):
    for body, field in [
        ({"name": "Parcs", "visibility": "secret"}, "visibility"),
        ({"name": "Parcs", "visibility": None, "slug": "Pas Valide!"}, "slug"),
        ({"name": ""}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"name": ["Parcs"]}, "name"),
        ({"name": "Parcs", "mission": {"texte": "non"}}, "mission"),
    ]:
        status, data = call(client, "post", "/communities", token=world.outsider.token, json=body)
        assert status == 422, body
        assert field in data["error"]["fields"], body


def test_create_community_needs_a_token(client):
    assert call(client, "post", "/communities", json={"name": "Parcs"})[0] == 401


def test_create_community_body_errors(client, world):
    assert call(client, "post", "/communities", token=world.outsider.token, data="name=Parcs", content_type="text/plain")[0] == 415
    assert call(client, "post", "/communities", token=world.outsider.token, json=["Parcs"])[0] == 400
    assert call(client, "post", "/communities", token=world.outsider.token, data="{", content_type="application/json")[0] == 400


# --- /communities/{slug} --------------------------------------------------------------


def test_private_community_is_not_revealed_to_outsiders(client, world):
    status, hidden = call(client, "get", "/communities/{slug}", token=world.outsider.token, values={"slug": world.private})
    assert status == 404
    status, missing = call(client, "get", "/communities/{slug}", token=world.outsider.token, values={"slug": "nexiste-pas"})
    assert status == 404 and hidden == missing
    # Nor to anonymous callers: no 401 that would confirm the slug exists.
    assert call(client, "get", "/communities/{slug}", values={"slug": world.private}) == call(client, "get", "/communities/{slug}", values={"slug": "nexiste-pas"})


def test_community_for_each_visibility(client, world):
    status, data = call(client, "get", "/communities/{slug}", token=world.outsider.token, values={"slug": world.listed})
    assert status == 200 and data["name"] == "Habitation et économie sociale" and "values" not in data
    assert call(client, "get", "/communities/{slug}", values={"slug": world.listed})[0] == 404
    status, data = call(client, "get", "/communities/{slug}", values={"slug": world.public})
    assert status == 200 and data["my_role"] is None
    status, data = call(client, "get", "/communities/{slug}", token=world.guest.token, values={"slug": world.private})
    assert status == 200 and data["my_role"] == "guest" and data["values"] == "Entraide"


# --- /communities/{slug}/members ------------------------------------------------------


def names(data):
    return [m["user"]["display_name"] for m in data["members"]]


def test_members_for_a_member(client, world):
    status, data = call(client, "get", "/communities/{slug}/members", token=world.member.token, values={"slug": world.private})
    assert status == 200
    assert names(data) == ["Élodie Côté", "Fanny Tremblay", "Gaston Roy"]
    roles = {m["user"]["display_name"]: m["role"] for m in data["members"]}
    assert roles == {"Élodie Côté": "member", "Fanny Tremblay": "facilitator", "Gaston Roy": "guest"}


def test_members_refused_to_a_guest_and_hidden_from_outsiders(client, world):
    assert call(client, "get", "/communities/{slug}/members", token=world.guest.token, values={"slug": world.private})[0] == 403
    assert call(client, "get", "/communities/{slug}/members", token=world.outsider.token, values={"slug": world.private})[0] == 404
    assert call(client, "get", "/communities/{slug}/members", token=world.outsider.token, values={"slug": world.listed})[0] == 403
    assert call(client, "get", "/communities/{slug}/members", values={"slug": world.public})[0] == 401
    assert call(client, "get", "/communities/{slug}/members", values={"slug": world.private})[0] == 404


def test_members_query_ignores_case_and_accents(client, world):
    for query, expected in [
        ("levis", ["Élodie Côté"]),
        ("LÉVIS", ["Élodie Côté"]),
        ("elodie cote", ["Élodie Côté"]),
        ("conseillere ville", ["Élodie Côté"]),
        ("québec", ["Fanny Tremblay"]),
        ("montreal", []),
        ("", ["Élodie Côté", "Fanny Tremblay", "Gaston Roy"]),
    ]:
        status, data = call(client, "get", "/communities/{slug}/members", token=world.facilitator.token, values={"slug": world.private}, query_string={"q": query})
        assert status == 200
        assert names(data) == expected, query


def test_expired_guest_loses_access(client, factory, world):
    from hub.timeutil import utcnow

    late = Person(factory, "Invitée Expirée")
    factory.add_member(world.private, late.email, "guest", expires_at=utcnow() - timedelta(days=1))
    assert call(client, "get", "/communities/{slug}", token=late.token, values={"slug": world.private})[0] == 404
    _s, data = call(client, "get", "/communities/{slug}/members", token=world.member.token, values={"slug": world.private})
    assert "Invitée Expirée" not in names(data)


# --- /communities/{slug}/invitations --------------------------------------------------


def test_facilitator_invites(client, world, outbox):
    status, data = call(client, "post", "/communities/{slug}/invitations", token=world.facilitator.token, values={"slug": world.private},
                        json={"email": "Nouvelle@Exemple.ca", "message": "Bienvenue dans la CP!"})
    assert status == 201
    assert data["email"] == "nouvelle@exemple.ca" and data["role"] == "member"
    assert data["url"].endswith("/invitations/" + data["token"])
    mail = outbox()[-1]
    assert mail["to"] == "nouvelle@exemple.ca" and data["url"] in mail["body"]


def test_facilitator_invites_a_guest_until_a_date(client, world):
    status, data = call(client, "post", "/communities/{slug}/invitations", token=world.facilitator.token, values={"slug": world.private},
                        json={"email": "invite@exemple.ca", "role": "guest", "guest_until": "2999-12-31"})
    assert status == 201 and data["role"] == "guest"


def test_member_may_not_invite(client, world):
    status, data = call(client, "post", "/communities/{slug}/invitations", token=world.member.token, values={"slug": world.private}, json={"email": "x@exemple.ca"})
    assert status == 403
    assert call(client, "post", "/communities/{slug}/invitations", token=world.outsider.token, values={"slug": world.private}, json={"email": "x@exemple.ca"})[0] == 404
    assert call(client, "post", "/communities/{slug}/invitations", values={"slug": world.public}, json={"email": "x@exemple.ca"})[0] == 401


def test_inviting_a_member_again_conflicts(client, world):
    status, data = call(client, "post", "/communities/{slug}/invitations", token=world.facilitator.token, values={"slug": world.private}, json={"email": world.member.email})
    assert status == 409
    assert data["error"]["code"] == "already_member"


def test_invitation_validates(client, world):
    for body, field in [
        ({"email": "pas-une-adresse"}, "email"),
        ({"email": "x@exemple.ca", "role": "owner"}, "role"),
        ({"email": "x@exemple.ca", "role": "guest", "guest_until": "demain"}, "guest_until"),
        ({"email": "x@exemple.ca", "role": "guest", "guest_until": "2000-01-01"}, "guest_until"),
        ({"email": "x@exemple.ca", "message": "m" * 2001}, "message"),
        ({"email": 42}, "email"),
    ]:
        status, data = call(client, "post", "/communities/{slug}/invitations", token=world.facilitator.token, values={"slug": world.private}, json=body)
        assert status == 422, body
        assert field in data["error"]["fields"], body


# --- /invitations/{token}/accept ------------------------------------------------------


@pytest.fixture
def invitation(client, world):
    _s, data = call(client, "post", "/communities/{slug}/invitations", token=world.facilitator.token, values={"slug": world.private}, json={"email": world.outsider.email, "role": "observer"})
    return data["token"]


def test_accept_an_invitation(client, world, invitation):
    status, data = call(client, "post", "/invitations/{token}/accept", token=world.outsider.token, values={"token": invitation})
    assert status == 200
    assert data["role"] == "observer" and data["community"]["slug"] == world.private and data["community"]["my_role"] == "observer"
    _s, me = call(client, "get", "/me", token=world.outsider.token)
    assert [(m["community"]["slug"], m["role"]) for m in me["memberships"]] == [(world.private, "observer")]
    assert call(client, "get", "/communities/{slug}/members", token=world.outsider.token, values={"slug": world.private})[0] == 200
    status, data = call(client, "post", "/invitations/{token}/accept", token=world.outsider.token, values={"token": invitation})
    assert status == 409 and data["error"]["code"] == "invitation_accepted"


def test_accept_needs_a_token(client, invitation):
    assert call(client, "post", "/invitations/{token}/accept", values={"token": invitation})[0] == 401


def test_accept_an_unknown_invitation(client, world):
    assert call(client, "post", "/invitations/{token}/accept", token=world.outsider.token, values={"token": "nexiste-pas"})[0] == 404
    assert call(client, "post", "/invitations/{token}/accept", token=world.outsider.token, values={"token": "x" * 500})[0] == 404


def test_accept_a_revoked_invitation(app, client, world, invitation):
    from hub.timeutil import utcnow

    update_invitation(app, invitation, revoked_at=utcnow())
    status, data = call(client, "post", "/invitations/{token}/accept", token=world.outsider.token, values={"token": invitation})
    assert status == 409 and data["error"]["code"] == "invitation_revoked"
    assert call(client, "get", "/communities/{slug}", token=world.outsider.token, values={"slug": world.private})[0] == 404


def test_accept_an_expired_invitation(app, client, world, invitation):
    from hub.timeutil import utcnow

    update_invitation(app, invitation, expires_at=utcnow() - timedelta(minutes=1))
    status, data = call(client, "post", "/invitations/{token}/accept", token=world.outsider.token, values={"token": invitation})
    assert status == 409 and data["error"]["code"] == "invitation_expired"


def test_accepting_never_lowers_a_role(client, world):
    _s, data = call(client, "post", "/communities/{slug}/invitations", token=world.facilitator.token, values={"slug": world.private}, json={"email": "quelquun@exemple.ca", "role": "observer"})
    status, accepted = call(client, "post", "/invitations/{token}/accept", token=world.member.token, values={"token": data["token"]})
    assert status == 200 and accepted["role"] == "member"


# --- a community keeps a facilitator --------------------------------------------------


def test_a_community_always_keeps_a_facilitator(app, client, world):
    from hub.accounts import service as accounts
    from hub.communities import service
    from hub.communities.models import Membership
    from hub.exceptions import ServiceError
    from hub.extensions import db

    with app.test_request_context():  # refusals carry translated messages
        community = service.by_slug(world.private)
        sole = service.membership_of(community, accounts.find_by_email(world.facilitator.email))
        for action in (lambda: service.change_role(sole, "member"), lambda: service.remove_member(sole),
                       lambda: service.leave(community, sole.user)):
            with pytest.raises(ServiceError) as refused:
                action()
            assert refused.value.code == "last_facilitator" and refused.value.status == 409
            db.session.rollback()
        # With a second facilitator, the first may step down.
        other = service.membership_of(community, accounts.find_by_email(world.member.email))
        service.change_role(other, "facilitator")
        service.change_role(sole, "member")
        db.session.commit()
        with pytest.raises(ServiceError):
            service.change_role(other, "observer")
        db.session.rollback()

    # Through the pages: the sole facilitator of the listed community cannot leave it.
    login(client, world.facilitator.email)
    response = client.post(f"/c/{world.listed}/leave")
    assert response.status_code == 302
    with app.app_context():
        count = db.session.execute(
            sa.select(sa.func.count(Membership.id)).where(Membership.community_id == service.by_slug(world.listed).id, Membership.role == "facilitator")
        ).scalar_one()
    assert count == 1
