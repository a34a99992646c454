"""A community with an organiser, two members (one reading English in Paris), an observer and an outsider."""
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from tests.conftest import auth, make_cast  # noqa: F401  (auth: for this feature's tests)


@pytest.fixture
def cast(app, factory):
    people = {
        "organiser": factory.user("Ana Lima", organization="Ville de Laval"),
        "bruno": factory.user("Bruno Gagnon", organization="Ville de Lévis"),
        "chloe": factory.user("Chloé Tremblay", organization="Ville de Québec", locale="en", timezone="Europe/Paris"),
        "observer": factory.user("Olivier Nadeau"),
        "outsider": factory.user("Xavier Roy"),
    }
    return make_cast(factory, people, "organiser", "Économie sociale municipale", {"bruno": "member", "chloe": "member", "observer": "observer"})


def future(days=7, hour=14, minute=0, tz="America/Toronto"):
    """A local wall-clock time ``days`` from now, as an ISO string without offset."""
    from zoneinfo import ZoneInfo

    day = (datetime.now(timezone.utc) + timedelta(days=days)).astimezone(ZoneInfo(tz)).date()
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}"


def create_poll(client, cast, who="organiser", **overrides):
    body = {
        "title": "Rencontre sur l'approvisionnement responsable",
        "description": "Tour de table des bons et mauvais coups.",
        "duration_minutes": 60,
        "timezone": "America/Toronto",
        "slots": [future(7, 10), future(7, 14), future(8, 9)],
        "remote_url": "https://zoom.example/j/123",
        **overrides,
    }
    response = client.post(f"/api/v1/communities/{cast.slug}/polls", json=body, headers=auth(cast, who))
    return response


def count_rows(app):
    from hub.extensions import db

    with app.app_context():
        tables = [t.name for t in db.metadata.sorted_tables]
        select = ", ".join(f'(SELECT COUNT(*) FROM "{t}") AS "{t}"' for t in tables)
        with db.engine.connect() as conn:
            return dict(conn.execute(sa.text(f"SELECT {select}")).mappings().one())


def emails(app):
    from hub.extensions import db
    from hub.notifications.models import OutgoingEmail

    with app.app_context():
        return [
            {"to": m.recipient, "subject": m.subject, "body": m.body_text, "attachment": m.attachment_content,
             "attachment_type": m.attachment_type, "attachment_name": m.attachment_name}
            for m in db.session.execute(sa.select(OutgoingEmail).order_by(OutgoingEmail.id)).scalars()
        ]
