"""API tokens and passwords: a reset revokes every token; a change keeps them only when asked to.
Both are written in the audit log and said on the pages."""
import re

import sqlalchemy as sa

from tests.conftest import Factory, link_in, login

NEW_PASSWORD = "un tout nouveau secret"


def me(client, token):
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code


def audit_entries(app, action):
    from hub.audit import AuditEntry
    from hub.extensions import db

    with app.app_context():
        rows = db.session.execute(sa.select(AuditEntry).filter_by(action=action).order_by(AuditEntry.id)).scalars().all()
        return [(e.actor_id, e.target_type, e.target_id, e.details) for e in rows]


def active_tokens(app, user_id):
    from hub.accounts.models import ApiToken
    from hub.extensions import db

    with app.app_context():
        return db.session.execute(
            sa.select(sa.func.count(ApiToken.id)).filter_by(user_id=user_id).where(ApiToken.revoked_at.is_(None))
        ).scalar_one()


def test_a_password_reset_revokes_every_api_token_and_says_so(app, client, factory, outbox):
    user_id, email = factory.user()
    first, second = factory.token(email, "script"), factory.token(email, "tableau")
    _other_id, other = factory.user()
    untouched = factory.token(other)
    assert me(client, first) == 200 and me(client, second) == 200

    client.post("/password/reset", data={"email": email})
    link = link_in(outbox()[-1]["body"]).replace("http://localhost", "")
    form = client.get(link).get_data(as_text=True)
    assert 'data-testid="tokens-notice"' in form  # the page says the tokens will be revoked

    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, follow_redirects=True)
    assert response.status_code == 200
    assert "jetons" in response.get_data(as_text=True)  # the message after the change says they were revoked
    assert me(client, first) == 401 and me(client, second) == 401
    assert me(client, untouched) == 200  # someone else's tokens are not touched
    assert active_tokens(app, user_id) == 0
    assert audit_entries(app, "account.password_reset") == [(user_id, "users", user_id, {"api_tokens_revoked": 2})]


def test_a_reset_without_tokens_is_recorded_too(app, client, factory, outbox):
    user_id, email = factory.user()
    client.post("/password/reset", data={"email": email})
    link = link_in(outbox()[-1]["body"]).replace("http://localhost", "")
    assert client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    assert audit_entries(app, "account.password_reset") == [(user_id, "users", user_id, {"api_tokens_revoked": 0})]


def test_a_password_change_revokes_the_tokens_unless_the_person_keeps_them(app, client, factory):
    user_id, email = factory.user()
    token = factory.token(email)
    login(client, email)
    form = client.get("/account/password").get_data(as_text=True)
    assert 'data-testid="tokens-notice"' in form
    checkbox = re.search(r'<input[^>]*name="keep_tokens"[^>]*>', form).group(0)
    assert 'type="checkbox"' in checkbox and "checked" not in checkbox  # off unless ticked

    response = client.post("/account/password", data={"current": Factory.password, "password": NEW_PASSWORD}, follow_redirects=True)
    assert response.status_code == 200
    assert "jeton" in response.get_data(as_text=True)
    assert me(client, token) == 401
    assert audit_entries(app, "account.password_change") == [(user_id, "users", user_id, {"api_tokens_revoked": 1})]


def test_a_password_change_keeps_the_tokens_when_asked(app, client, factory):
    user_id, email = factory.user()
    token = factory.token(email)
    login(client, email)
    response = client.post("/account/password", data={"current": Factory.password, "password": NEW_PASSWORD, "keep_tokens": "y"}, follow_redirects=True)
    assert response.status_code == 200
    assert "jeton" in response.get_data(as_text=True)  # says they are kept
    assert me(client, token) == 200
    assert active_tokens(app, user_id) == 1
    assert audit_entries(app, "account.password_change") == [(user_id, "users", user_id, {"api_tokens_kept": 1, "api_tokens_revoked": 0})]


def test_a_refused_password_change_keeps_tokens_and_records_nothing(app, client, factory):
    user_id, email = factory.user()
    token = factory.token(email)
    login(client, email)
    assert client.post("/account/password", data={"current": "pas le bon mot de passe", "password": NEW_PASSWORD}).status_code == 422
    assert me(client, token) == 200
    assert audit_entries(app, "account.password_change") == []
