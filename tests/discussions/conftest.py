"""A community with a facilitator, two members (one reading English), a guest, an observer and an outsider."""

import pytest
import sqlalchemy as sa

from tests.conftest import auth, make_cast  # noqa: F401  (auth: for this feature's tests)


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
    return make_cast(factory, people, "facilitator", "CP Économie sociale municipale", {"julie": "member", "karim": "member", "guest": "guest", "observer": "observer"})


def start_thread(client, cast, who="julie", title="Approvisionnement responsable", body="Qui a une politique d'achat ?", **extra):
    response = client.post(f"/api/v1/communities/{cast.slug}/threads", json={"title": title, "body": body, **extra}, headers=auth(cast, who))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["id"]


def post_reply(client, cast, thread_id, body, who="karim"):
    response = client.post(f"/api/v1/threads/{thread_id}/posts", json={"body": body}, headers=auth(cast, who))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["id"]


def emails(app):
    from hub.extensions import db
    from hub.notifications.models import OutgoingEmail

    with app.app_context():
        return [
            {"to": m.recipient, "subject": m.subject, "body": m.body_text}
            for m in db.session.execute(sa.select(OutgoingEmail).order_by(OutgoingEmail.id)).scalars()
        ]
