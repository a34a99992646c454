import io
import re

import pytest
import sqlalchemy as sa

from tests.conftest import Factory, link_in, login

PASSWORD = "une phrase assez longue"


def register(client, email="ana@exemple.ca", **extra):
    data = {"email": email, "password": PASSWORD, "display_name": "Ana Lima", "organization": "Ville de Laval", "job_title": "Conseillère"}
    data.update(extra)
    return client.post("/register", data=data)


def test_registration_logs_in_once_confirmed_and_hashes_with_argon2(client, app, outbox):
    response = register(client, email="  Ana@Exemple.CA ")
    assert response.status_code == 302
    link = link_in(outbox()[-1]["body"]).replace("http://localhost", "")
    assert client.post(link).status_code == 302  # the emailed link creates the account and logs in
    home = client.get("/")
    assert "Ana Lima" in home.get_data(as_text=True)
    from hub.accounts.models import User
    from hub.extensions import db

    with app.app_context():
        user = db.session.execute(sa.select(User)).scalar_one()
        assert user.email == "ana@exemple.ca"
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash


@pytest.mark.parametrize("field,value", [("email", "pas-une-adresse"), ("password", "court"), ("display_name", "")])
def test_registration_rejects_bad_input_and_keeps_nothing(client, app, field, value):
    response = register(client, **{field: value})
    assert response.status_code == 422
    assert b'data-testid="form-errors"' in response.data
    from hub.accounts.models import User
    from hub.extensions import db

    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(User.id))).scalar_one() == 0


def test_duplicate_email_creates_no_second_account_and_says_nothing(client, factory, app, outbox):
    """Registering with a used address answers as for a new one (tests/accounts/test_registration.py);
    the address is told by email, and still has one account."""
    _id, email = factory.user()
    response = register(client, email=email.upper())
    assert response.status_code == 302 and response.headers["Location"] == "/register/sent"
    assert outbox()[-1]["to"] == email
    from hub.accounts.models import User
    from hub.extensions import db

    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(User.id))).scalar_one() == 1


@pytest.mark.config(REGISTRATION="invite")
def test_invite_only_registration(client):
    assert client.get("/register").status_code == 403
    assert register(client).status_code == 403


def test_login_logout_and_wrong_password(client, factory):
    _id, email = factory.user("Julie Roy")
    bad = client.post("/login", data={"email": email, "password": "mauvais mot de passe"})
    assert bad.status_code == 422
    assert client.get("/account").status_code == 302
    login(client, email)
    assert client.get("/account").status_code == 200
    client.post("/logout")
    assert client.get("/account").status_code == 302


def test_remember_me_sets_a_lasting_secure_cookie(client, factory):
    _id, email = factory.user()
    response = client.post("/login", data={"email": email, "password": Factory.password, "remember": "y"})
    cookies = response.headers.getlist("Set-Cookie")
    remember = [c for c in cookies if c.startswith("remember_token=")]
    assert remember and "HttpOnly" in remember[0] and "Expires=" in remember[0]
    session_cookie = [c for c in cookies if c.startswith("session=")]
    assert session_cookie and "HttpOnly" in session_cookie[0] and "SameSite=Lax" in session_cookie[0]


@pytest.mark.config(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
def test_login_is_rate_limited(client, factory):
    _id, email = factory.user()
    statuses = [client.post("/login", data={"email": email, "password": "faux mot de passe"}).status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]
    limited = client.post("/login", data={"email": email, "password": "faux mot de passe"}, headers={"Accept-Language": "fr-CA"})
    assert limited.status_code == 429 and "Retry-After" in limited.headers
    assert b'data-testid="error-page"' in limited.data


def test_password_reset_by_emailed_link_is_single_use(client, factory, outbox):
    _id, email = factory.user()
    assert client.post("/password/reset", data={"email": email}).status_code == 302
    assert client.post("/password/reset", data={"email": "inconnu@exemple.ca"}).status_code == 302  # same answer
    messages = outbox()
    assert [m["to"] for m in messages] == [email]
    link = link_in(messages[0]["body"]).replace("http://localhost", "")
    assert client.get(link).status_code == 200
    new_password = "un tout nouveau secret"
    response = client.post(link, data={"password": new_password, "confirm": new_password})
    assert response.status_code == 302
    assert client.get(link).status_code == 400  # used: the password it was made for is gone
    login(client, email, new_password)
    assert client.post("/login", data={"email": email, "password": Factory.password}).status_code in (302,)  # already logged in


def test_reset_link_tampered_is_refused(client):
    assert client.get("/password/reset/abc.def.ghi").status_code == 400


def test_email_change_needs_confirmation(client, factory, outbox, app):
    _id, email = factory.user()
    login(client, email)
    wrong = client.post("/account/email", data={"email": "nouvelle@exemple.ca", "password": "pas le bon"})
    assert wrong.status_code == 422
    response = client.post("/account/email", data={"email": "nouvelle@exemple.ca", "password": Factory.password})
    assert response.status_code == 302
    message = outbox()[-1]
    assert message["to"] == "nouvelle@exemple.ca"
    link = link_in(message["body"]).replace("http://localhost", "")
    from hub.accounts import service
    from hub.extensions import db

    with app.app_context():
        assert service.find_by_email("nouvelle@exemple.ca") is None
    assert client.get(link).status_code == 302
    with app.app_context():
        assert service.find_by_email("nouvelle@exemple.ca").id == _id
        assert service.find_by_email(email) is None
    client.post("/logout")
    login(client, "nouvelle@exemple.ca")
    assert client.get(link).status_code == 400  # the old address no longer matches: single use


def test_password_change_ends_other_sessions(app, factory):
    _id, email = factory.user()
    first, second = app.test_client(), app.test_client()
    login(first, email)
    login(second, email)
    response = first.post("/account/password", data={"current": Factory.password, "password": "encore un autre secret"})
    assert response.status_code == 302
    assert first.get("/account").status_code == 200
    assert second.get("/account").status_code == 302


def test_profile_edit_and_initials_avatar(client, factory, app):
    user_id, email = factory.user("Isabelle Côté")
    login(client, email)
    page = client.get("/account").get_data(as_text=True)
    assert ">IC</span>" in page
    response = client.post("/account", data={
        "display_name": "Isabelle Côté", "organization": "Ville de Sherbrooke", "job_title": "Coordonnatrice",
        "bio": "Parcs et concertation.", "expertise": "gestion des parcs, concertation, gestion des parcs",
        "languages": "français, anglais", "timezone": "America/Montreal", "locale": "en",
    })
    assert response.status_code == 302
    profile = client.get(f"/users/{user_id}").get_data(as_text=True)
    assert "Ville de Sherbrooke" in profile and profile.count("gestion des parcs") == 1
    assert 'lang="en"' in client.get("/").get_data(as_text=True)


def test_profile_rejects_unknown_time_zone(client, factory):
    _id, email = factory.user()
    login(client, email)
    response = client.post("/account", data={"display_name": "X", "timezone": "Mars/Olympus", "locale": "fr_CA"})
    assert response.status_code == 422


def test_avatar_upload_checks_content_not_name(client, factory, app):
    user_id, email = factory.user()
    login(client, email)
    fake = client.post("/account", data={"display_name": "Y", "timezone": "America/Toronto", "locale": "fr_CA", "avatar": (io.BytesIO(b"#!/bin/sh\necho"), "photo.png")}, content_type="multipart/form-data")
    assert fake.status_code == 422
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 100
    ok = client.post("/account", data={"display_name": "Y", "timezone": "America/Toronto", "locale": "fr_CA", "avatar": (io.BytesIO(png), "moi.png")}, content_type="multipart/form-data")
    assert ok.status_code == 302
    image = client.get(f"/users/{user_id}/avatar")
    assert image.status_code == 200 and image.mimetype == "image/png" and image.data == png


def test_api_tokens_create_use_revoke(client, factory):
    _id, email = factory.user()
    login(client, email)
    created = client.post("/account/tokens", data={"name": "Mon script"})
    assert created.status_code == 201
    token = re.search(r'data-testid="new-token">([^<]+)<', created.get_data(as_text=True)).group(1)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    page = client.get("/account/tokens").get_data(as_text=True)
    assert token not in page  # shown once only
    token_id = re.search(r"/account/tokens/(\d+)/revoke", page).group(1)
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 302
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_next_parameter_never_leaves_the_site(client, factory):
    _id, email = factory.user()
    response = client.post("/login?next=//evil.example/x", data={"email": email, "password": Factory.password})
    assert response.headers["Location"] == "/"


def test_api_token_last_use_is_written_once_a_minute(app, client, factory):
    """A token's "last used" time is kept to the minute, so a burst of API calls does not commit
    that time again before each call's own work."""
    from datetime import timedelta

    from hub.accounts.models import ApiToken
    from hub.extensions import db

    _id, email = factory.user()
    headers = {"Authorization": f"Bearer {factory.token(email)}"}

    def last_used():
        with app.app_context():
            return db.session.execute(sa.select(ApiToken.last_used_at)).scalar_one()

    assert last_used() is None
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    first = last_used()
    assert first is not None
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert last_used() == first
    with app.app_context():
        db.session.execute(sa.update(ApiToken).values(last_used_at=first - timedelta(minutes=2)))
        db.session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert last_used() >= first
