"""Registration: an account exists once its address is confirmed by an emailed link; registering
answers the same whether or not the address has an account; it is rate limited; on an invite-only
hub only a pending invitation opens it, for one account."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import Factory, link_in, login

PASSWORD = "une phrase assez longue"
API = "/api/v1/auth/register"


def register(client, email, **extra):
    data = {"email": email, "password": PASSWORD, "display_name": "Ana Lima", "organization": "Ville de Laval"}
    data.update(extra)
    return client.post("/register", data=data)


def mails_to(outbox, email):
    return [m for m in outbox() if m["to"] == email]


def path_of(link):
    return link.replace("http://localhost", "")


def confirmation_link(outbox, email):
    return path_of(link_in(mails_to(outbox, email)[-1]["body"]))


def count(app, model, **where):
    from hub.extensions import db

    with app.app_context():
        return db.session.execute(sa.select(sa.func.count()).select_from(model).filter_by(**where)).scalar_one()


def users(app, email):
    from hub.accounts.models import User

    return count(app, User, email=email)


# --- confirmation by emailed link ------------------------------------------------------------------


def test_the_account_is_created_when_the_emailed_link_is_confirmed(app, client, outbox):
    response = register(client, "  Ana@Exemple.CA ")
    assert response.status_code == 302 and response.headers["Location"] == "/register/sent"
    sent = client.get("/register/sent").get_data(as_text=True)
    assert 'data-testid="registration-sent"' in sent and "ana@exemple.ca" in sent
    assert users(app, "ana@exemple.ca") == 0
    assert client.post("/login", data={"email": "ana@exemple.ca", "password": PASSWORD}).status_code == 422  # not yet

    link = confirmation_link(outbox, "ana@exemple.ca")
    page = client.get(link)
    assert page.status_code == 200 and b'data-testid="confirm-registration"' in page.data
    assert users(app, "ana@exemple.ca") == 0  # opening the link (a mail scanner does) creates nothing
    confirmed = client.post(link)
    assert confirmed.status_code == 302 and confirmed.headers["Location"] == "/"
    assert "Ana Lima" in client.get("/").get_data(as_text=True)  # logged in
    assert users(app, "ana@exemple.ca") == 1
    assert client.get(link).status_code == 400  # used once


def test_the_link_goes_back_where_the_person_was_going(client, outbox):
    assert client.post("/register?next=/communities", data={"email": "ana@exemple.ca", "password": PASSWORD, "display_name": "Ana"}).status_code == 302
    assert client.post(confirmation_link(outbox, "ana@exemple.ca")).headers["Location"] == "/communities"


def test_an_expired_or_unknown_link_creates_nothing(app, client, outbox):
    from hub.accounts.models import PendingRegistration
    from hub.extensions import db
    from hub.timeutil import utcnow

    register(client, "ana@exemple.ca")
    link = confirmation_link(outbox, "ana@exemple.ca")
    with app.app_context():
        db.session.execute(sa.update(PendingRegistration).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert client.get(link).status_code == 400
    assert client.post(link).status_code == 400
    assert client.post("/register/confirm/pas-un-vrai-lien").status_code == 400
    assert users(app, "ana@exemple.ca") == 0


def test_two_links_for_one_address_make_one_account(app, outbox):
    first, second = app.test_client(), app.test_client()
    register(first, "ana@exemple.ca")
    first_link = confirmation_link(outbox, "ana@exemple.ca")
    register(second, "ana@exemple.ca", display_name="Quelqu'un d'autre")
    second_link = confirmation_link(outbox, "ana@exemple.ca")
    assert first_link != second_link
    assert second.post(second_link).status_code == 302
    assert first.post(first_link).status_code == 400  # the other links of the address died with it
    assert users(app, "ana@exemple.ca") == 1


# --- the same answer whether or not the address has an account -------------------------------------


def test_registering_a_known_address_answers_as_for_a_new_one(app, factory, outbox):
    _id, known = factory.user("Julie Roy")
    answers = {}
    for email in (known.upper(), "nouvelle@exemple.ca"):
        client = app.test_client()
        response = register(client, email)
        page = client.get(response.headers["Location"])
        text = re.sub(r'name="csrf_token" value="[^"]+"', "", page.get_data(as_text=True))  # one per session
        answers[email] = (response.status_code, response.headers["Location"], page.status_code, text.replace(email.lower(), "EMAIL"))
    assert answers[known.upper()] == answers["nouvelle@exemple.ca"]
    assert answers["nouvelle@exemple.ca"][:3] == (302, "/register/sent", 200)

    # The known address is told someone tried, with links to log in and reset the password.
    attempt = mails_to(outbox, known)[-1]
    assert "/login" in attempt["body"] and "/password/reset" in attempt["body"] and "/register/confirm/" not in attempt["body"]
    assert users(app, known) == 1
    from hub.accounts.models import PendingRegistration

    assert count(app, PendingRegistration, email=known) == 0
    # Its owner logs in as before.
    login(app.test_client(), known, Factory.password)


def test_the_api_answers_the_same_for_a_known_address(app, client, factory, outbox):
    _id, known = factory.user("Julie Roy")
    body = {"password": "une phrase secrète", "display_name": "Autre"}
    old = client.post(API, json={"email": known.upper(), **body})
    new = client.post(API, json={"email": "nouvelle@exemple.ca", **body})
    assert old.status_code == new.status_code == 202
    assert old.get_json()["message"].replace(known, "EMAIL") == new.get_json()["message"].replace("nouvelle@exemple.ca", "EMAIL")
    assert set(old.get_json()) == set(new.get_json()) == {"email", "message"}
    assert "/password/reset" in mails_to(outbox, known)[-1]["body"]
    assert "/register/confirm/" in mails_to(outbox, "nouvelle@exemple.ca")[-1]["body"]


def test_a_disabled_account_is_sent_nothing(app, client, factory, outbox):
    _id, known = factory.user(is_active_account=False)
    assert register(client, known).headers["Location"] == "/register/sent"
    assert mails_to(outbox, known) == []


# --- rate limit ------------------------------------------------------------------------------------


@pytest.mark.config(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
def test_registration_is_rate_limited_per_address_on_the_page_and_the_api_together(client):
    statuses = [register(client, f"personne{n}@exemple.ca").status_code for n in range(2)]
    statuses.append(client.post(API, json={"email": "api@exemple.ca", "password": PASSWORD, "display_name": "Api"}).status_code)
    assert statuses == [302, 302, 202]
    page = client.post("/register", data={"email": "trop@exemple.ca", "password": PASSWORD, "display_name": "Trop"})
    assert page.status_code == 429 and "Retry-After" in page.headers and b'data-testid="error-page"' in page.data
    assert "Trop de tentatives" in page.get_data(as_text=True)
    api = client.post(API, json={"email": "trop@exemple.ca", "password": PASSWORD, "display_name": "Trop"})
    assert api.status_code == 429 and api.get_json()["error"]["code"] == "rate_limited"
    assert client.get("/register").status_code == 200  # reading the form is not counted


# --- invite-only registration -----------------------------------------------------------------------


@pytest.fixture
def invitation(app, factory):
    """A pending invitation to a private community; returns (community slug, raw token, facilitator email)."""
    from hub.accounts import service as accounts
    from hub.communities import service
    from hub.extensions import db

    _fid, facilitator = factory.user("Fanny Tremblay")
    slug = factory.community(facilitator, "Approvisionnement responsable")
    with app.test_request_context():
        _invitation, raw, _url = service.invite(service.by_slug(slug), accounts.find_by_email(facilitator), "invitee@exemple.ca", "member")
        db.session.commit()
    return slug, raw, facilitator


def set_invitation(app, raw, **values):
    from hub.communities.models import Invitation
    from hub.extensions import db

    with app.app_context():
        invitation = Invitation.by_token(raw)
        for key, value in values.items():
            setattr(invitation, key, value)
        db.session.commit()


def now():
    from hub.timeutil import utcnow

    return utcnow()


@pytest.mark.config(REGISTRATION="invite")
@pytest.mark.parametrize("state", ["revoked", "expired", "accepted"])
def test_a_dead_invitation_link_opens_no_registration_and_names_no_community(app, client, factory, invitation, outbox, state):
    slug, raw, _facilitator = invitation
    if state == "revoked":
        set_invitation(app, raw, revoked_at=now())
    elif state == "expired":
        set_invitation(app, raw, expires_at=now() - timedelta(minutes=1))
    else:
        user_id, _email = factory.user()
        set_invitation(app, raw, accepted_at=now(), accepted_by_id=user_id)
    page = client.get(f"/invitations/{raw}")
    assert page.status_code == 410 and b'data-testid="invitation-invalid"' in page.data
    assert "Approvisionnement responsable" not in page.get_data(as_text=True)
    assert client.get("/register").status_code == 403
    sent = len(outbox())
    assert register(client, "x@exemple.ca").status_code == 403
    assert len(outbox()) == sent and users(app, "x@exemple.ca") == 0


@pytest.mark.config(REGISTRATION="invite")
def test_a_pending_invitation_opens_registration_for_one_account(app, client, invitation, outbox):
    slug, raw, _facilitator = invitation
    page = client.get(f"/invitations/{raw}")
    assert page.status_code == 200 and "Approvisionnement responsable" in page.get_data(as_text=True)
    assert client.get(f"/register?next=/invitations/{raw}").status_code == 200
    assert register(client, "invitee@exemple.ca").status_code == 302
    assert client.get("/register").status_code == 403  # used: this visit opened it once

    link = confirmation_link(outbox, "invitee@exemple.ca")
    assert "Approvisionnement responsable" in client.get(link).get_data(as_text=True)  # says which community it joins
    confirmed = client.post(link)
    assert confirmed.status_code == 302 and confirmed.headers["Location"] == f"/c/{slug}"
    assert client.get(f"/c/{slug}/members").status_code == 200  # a member
    client.post("/logout")

    # The invitation is used: its link opens nothing any more, for anyone.
    stranger = app.test_client()
    assert stranger.get(f"/invitations/{raw}").status_code == 410
    assert stranger.get("/register").status_code == 403
    assert register(stranger, "autre@exemple.ca").status_code == 403


@pytest.mark.config(REGISTRATION="invite")
def test_two_registrations_from_one_invitation_make_one_account(app, invitation, outbox):
    slug, raw, _facilitator = invitation
    first, second = app.test_client(), app.test_client()
    for client, email in ((first, "un@exemple.ca"), (second, "deux@exemple.ca")):
        client.get(f"/invitations/{raw}")
        assert register(client, email).status_code == 302
    assert first.post(confirmation_link(outbox, "un@exemple.ca")).headers["Location"] == f"/c/{slug}"
    refused = second.post(confirmation_link(outbox, "deux@exemple.ca"), follow_redirects=True)
    assert "invitation" in refused.get_data(as_text=True)
    assert users(app, "un@exemple.ca") == 1 and users(app, "deux@exemple.ca") == 0


@pytest.mark.config(REGISTRATION="invite")
def test_an_invitation_withdrawn_after_its_link_was_opened_closes_registration(app, client, invitation, outbox):
    slug, raw, _facilitator = invitation
    client.get(f"/invitations/{raw}")
    assert client.get("/register").status_code == 200
    set_invitation(app, raw, revoked_at=now())
    assert client.get("/register").status_code == 403
    assert register(client, "x@exemple.ca").status_code == 403


@pytest.mark.config(REGISTRATION="invite")
def test_an_invitation_withdrawn_before_the_link_is_confirmed_creates_no_account(app, client, invitation, outbox):
    slug, raw, _facilitator = invitation
    client.get(f"/invitations/{raw}")
    register(client, "x@exemple.ca")
    set_invitation(app, raw, revoked_at=now())
    assert client.post(confirmation_link(outbox, "x@exemple.ca")).status_code == 302
    assert users(app, "x@exemple.ca") == 0


def test_on_an_open_hub_the_account_from_an_invitation_joins_its_community(app, client, invitation, outbox):
    slug, raw, _facilitator = invitation
    client.get(f"/invitations/{raw}")
    register(client, "invitee@exemple.ca")
    assert client.post(confirmation_link(outbox, "invitee@exemple.ca")).headers["Location"] == f"/c/{slug}"
    assert client.get(f"/c/{slug}/members").status_code == 200
