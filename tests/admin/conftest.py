import pytest
import sqlalchemy as sa

from tests.conftest import auth, login, make_cast


@pytest.fixture
def cast(app, factory):
    """Ada administers the hub; Sophie facilitates the community, Julie is a member, Marc belongs to none."""
    people = {
        "admin": factory.user("Ada Lavoie", is_admin=True),
        "facilitator": factory.user("Sophie Gagnon"),
        "member": factory.user("Julie Tremblay"),
        "outsider": factory.user("Marc Bélanger"),
    }
    return make_cast(factory, people, "facilitator", "CP Parcs et espaces verts", {"member": "member"})


def entries(app, action=None):
    """The audit log's entries (of one action, or a family such as "account."), oldest first."""
    from hub import audit
    from hub.extensions import db

    with app.app_context():
        query = sa.select(audit.AuditEntry).order_by(audit.AuditEntry.id)
        if action and action.endswith("."):
            query = query.where(audit.AuditEntry.action.startswith(action))
        elif action:
            query = query.where(audit.AuditEntry.action == action)
        return [
            {"action": e.action, "actor_id": e.actor_id, "target_type": e.target_type, "target_id": e.target_id,
             "target": e.target_label, "community_id": e.community_id, "details": e.details}
            for e in db.session.execute(query).scalars()
        ]


def logged_in(app, cast, who):
    client = app.test_client()
    login(client, cast.emails[who])
    return client



