"""A community with a facilitator, two members (one reading English), a guest, an observer and an outsider."""
import pytest

from tests.conftest import auth, login, make_cast  # noqa: F401  (auth, login: for this feature's tests)


@pytest.fixture
def cast(app, factory):
    people = {
        "facilitator": factory.user("Sophie Gagnon", organization="Ville de Montréal"),
        "julie": factory.user("Julie Roy", organization="Ville de Lévis"),
        "karim": factory.user("Karim Benali", organization="Ville de Laval", locale="en"),
        "guest": factory.user("Nadia Lavoie", organization="Ministère de l'Économie"),
        "observer": factory.user("Luc Pelletier", organization="TIESS"),
        "outsider": factory.user("Xavier Roy"),
    }
    return make_cast(factory, people, "facilitator", "CP Économie sociale municipale",
                     {"julie": "member", "karim": "member", "guest": "guest", "observer": "observer"})


def signed_in(app, cast, who):
    client = app.test_client()
    login(client, cast.emails[who])
    return client


def attention(client, cast, who):
    response = client.get("/api/v1/me/attention", headers=auth(cast, who))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["items"]


def socket_for(app, cast, who):
    from hub.extensions import socketio

    sock = socketio.test_client(app, auth={"token": cast.tokens[who]})
    assert sock.is_connected()
    sock.get_received()
    return sock


def events(sock, name):
    return [e["args"][0] for e in sock.get_received() if e["name"] == name]
