"""A community with an owner, two members, a guest, an observer and an outsider."""
from dataclasses import dataclass

import pytest


@dataclass
class Cast:
    slug: str
    emails: dict
    ids: dict
    tokens: dict


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
    emails = {name: email for name, (_id, email) in people.items()}
    ids = {name: uid for name, (uid, _email) in people.items()}
    slug = factory.community(emails["owner"], "Économie sociale municipale")
    factory.add_member(slug, emails["julie"])
    factory.add_member(slug, emails["karim"])
    factory.add_member(slug, emails["guest"], "guest")
    factory.add_member(slug, emails["observer"], "observer")
    tokens = {name: factory.token(email) for name, email in emails.items()}
    return Cast(slug, emails, ids, tokens)


def auth(cast, who):
    return {"Authorization": f"Bearer {cast.tokens[who]}"}


def create(client, cast, who="owner", **overrides):
    body = {"title": "Compte rendu — approvisionnement responsable", "body": "## Présents\n\nSophie, Julie\n", **overrides}
    response = client.post(f"/api/v1/communities/{cast.slug}/notes", json=body, headers=auth(cast, who))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]
