"""A community with an owner, two members, a guest, an observer and an outsider."""

import pytest

from tests.conftest import auth, make_cast  # noqa: F401  (auth: for this feature's tests)


@pytest.fixture
def cast(app, factory):
    people = {
        "owner": factory.user("Sophie Gagnon", organization="Ville de Montréal"),
        "julie": factory.user("Julie Roy", organization="Ville de Lévis"),
        "karim": factory.user("Karim Benali", organization="Ville de Laval"),
        "guest": factory.user("Nadia Lavoie"),
        "observer": factory.user("Luc Pelletier"),
        "outsider": factory.user("Xavier Roy"),
    }
    return make_cast(factory, people, "owner", "Économie sociale municipale", {"julie": "member", "karim": "member", "guest": "guest", "observer": "observer"})


def create(client, cast, who="owner", **overrides):
    body = {"title": "Compte rendu — approvisionnement responsable", "body": "## Présents\n\nSophie, Julie\n", **overrides}
    response = client.post(f"/api/v1/communities/{cast.slug}/notes", json=body, headers=auth(cast, who))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]
