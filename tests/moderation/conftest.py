"""A community with two facilitators, three members, a guest, an observer and an outsider."""
import re

import pytest
import sqlalchemy as sa

from tests.conftest import auth, login, make_cast  # noqa: F401


@pytest.fixture
def cast(app, factory):
    people = {
        "facilitator": factory.user("Sophie Gagnon", organization="Ville de Montréal"),
        "marc": factory.user("Marc Tremblay", organization="Ville de Gatineau"),
        "julie": factory.user("Julie Roy", organization="Ville de Lévis", bio="Conseillère en économie sociale"),
        "karim": factory.user("Karim Benali", organization="Ville de Laval", locale="en"),
        "isabelle": factory.user("Isabelle Côté", organization="Ville de Sherbrooke"),
        "guest": factory.user("Nadia Lavoie", organization="Ministère de l'Économie"),
        "observer": factory.user("Luc Pelletier", organization="TIESS"),
        "outsider": factory.user("Xavier Roy"),
        "admin": factory.user("Admin", is_admin=True),
    }
    return make_cast(factory, people, "facilitator", "CP Économie sociale municipale", {
        "marc": "facilitator", "julie": "member", "karim": "member", "isabelle": "member", "guest": "guest", "observer": "observer",
    })


def signed_in(app, cast, who):
    client = app.test_client()
    if who != "anonymous":
        login(client, cast.emails[who])
    return client


def csrf(page):
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(r'value="([^"]+)"[^>]*name="csrf_token"', page)
    assert match, page[:500]
    return match.group(1)


def start_thread(client, cast, who="karim", title="Approvisionnement responsable", body="Achetez nos gadgets à rabais !"):
    response = client.post(f"/api/v1/communities/{cast.slug}/threads", json={"title": title, "body": body}, headers=auth(cast, who))
    assert response.status_code == 201, response.get_data(as_text=True)
    thread = client.get(f"/api/v1/threads/{response.get_json()['id']}", headers=auth(cast, who)).get_json()
    return thread["id"], thread["posts"][0]["id"]


def flag(client, cast, who, kind, object_id, reason="spam", text=None):
    body = {"kind": kind, "id": object_id, "reason": reason}
    if text is not None:
        body["text"] = text
    return client.post("/api/v1/flags", json=body, headers=auth(cast, who))


def emails(app):
    from hub.extensions import db
    from hub.notifications.models import OutgoingEmail

    with app.app_context():
        return [
            {"to": m.recipient, "subject": m.subject, "body": m.body_text}
            for m in db.session.execute(sa.select(OutgoingEmail).order_by(OutgoingEmail.id)).scalars()
        ]


def audit_actions(app):
    from hub.audit import AuditEntry
    from hub.extensions import db

    with app.app_context():
        return [(e.action, e.target_type, e.target_id, e.details) for e in db.session.execute(sa.select(AuditEntry).order_by(AuditEntry.id)).scalars()]
