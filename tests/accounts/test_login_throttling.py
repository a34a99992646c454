"""Password guessing is slowed down per IP address and per account, on the login page and the
API's token endpoint together: one cannot be used to get round the other's count."""
import pytest

from tests.conftest import Factory

WRONG = "faux mot de passe"
API_TOKEN = "/api/v1/auth/token"


def web(client, email, password=WRONG, address="127.0.0.1"):
    return client.post("/login", data={"email": email, "password": password}, environ_overrides={"REMOTE_ADDR": address})


def api(client, email, password=WRONG, address="127.0.0.1"):
    return client.post(API_TOKEN, json={"email": email, "password": password}, environ_overrides={"REMOTE_ADDR": address})


@pytest.mark.config(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute", LOGIN_ACCOUNT_RATE_LIMIT="100 per minute")
def test_the_login_page_and_the_token_endpoint_share_one_count_per_address(client):
    # Each attempt names another account: only the per-address count is at stake.
    statuses = [web(client, "a@exemple.ca").status_code, web(client, "b@exemple.ca").status_code, api(client, "c@exemple.ca").status_code]
    assert statuses == [422, 422, 401]
    refused = api(client, "d@exemple.ca")
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert refused.get_json()["error"]["code"] == "rate_limited"
    assert web(client, "e@exemple.ca").status_code == 429
    assert web(client, "f@exemple.ca", address="10.0.0.9").status_code == 422  # another address has its own count


@pytest.mark.config(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="100 per minute", LOGIN_ACCOUNT_RATE_LIMIT="3 per minute")
def test_failed_attempts_for_one_account_are_limited_from_every_address(client, factory):
    _id, email = factory.user()
    _other_id, other = factory.user()
    # Three failures from three addresses, through both doors, with the email written differently.
    assert web(client, email, address="10.0.0.1").status_code == 422
    assert api(client, f"  {email.upper()} ", address="10.0.0.2").status_code == 401
    assert web(client, email.capitalize(), address="10.0.0.3").status_code == 422

    page = web(client, email, address="10.0.0.4")
    assert page.status_code == 429 and "Retry-After" in page.headers
    text = page.get_data(as_text=True)
    assert 'data-testid="error-page"' in text and "réinitialisez votre mot de passe" in text  # French by default
    english = client.post("/login", data={"email": email, "password": WRONG}, headers={"Accept-Language": "en"}, environ_overrides={"REMOTE_ADDR": "10.0.0.5"})
    assert english.status_code == 429 and "reset your password" in english.get_data(as_text=True)
    refused = api(client, email, address="10.0.0.6")
    assert refused.status_code == 429
    error = refused.get_json()["error"]
    assert error["code"] == "rate_limited" and "réinitialisez" in error["message"]
    # Even the right password waits: the count is of the account, not of the guesser.
    assert web(client, email, Factory.password, address="10.0.0.7").status_code == 429
    # Another account, and the same addresses, are not affected.
    assert web(client, other, Factory.password, address="10.0.0.1").status_code == 302


@pytest.mark.config(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="100 per minute", LOGIN_ACCOUNT_RATE_LIMIT="2 per minute")
def test_successful_logins_do_not_count_against_the_account(app, factory):
    _id, email = factory.user()
    for number in range(4):
        assert web(app.test_client(), email, Factory.password, address=f"10.0.1.{number}").status_code == 302
        assert api(app.test_client(), email, Factory.password, address=f"10.0.2.{number}").status_code == 200


@pytest.mark.config(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="100 per minute", LOGIN_ACCOUNT_RATE_LIMIT="2 per minute")
def test_the_account_count_does_not_tell_whether_the_account_exists(client, factory):
    _id, email = factory.user()
    known = [web(client, email).status_code for _ in range(3)]
    unknown = [web(client, "personne-inconnue@exemple.ca").status_code for _ in range(3)]
    assert known == unknown == [422, 422, 429]
