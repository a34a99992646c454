"""The audit log keeps what was recorded with the change, and nothing edits or removes an entry."""
import pytest

from hub import audit


def test_an_entry_is_kept_with_its_change_and_cannot_be_changed_or_deleted(app, db):
    from hub.accounts import service

    actor = service.register("admin-audit@exemple.ca", "correct horse battery", "Ada Admin")
    db.session.commit()
    audit.record("account.disable", actor, actor, reason="test")
    db.session.commit()
    entry = db.session.execute(db.select(audit.AuditEntry)).scalar_one()
    assert (entry.action, entry.target_type, entry.target_id, entry.details) == ("account.disable", "users", actor.id, {"reason": "test"})
    assert entry.actor_label == "Ada Admin <admin-audit@exemple.ca>"

    entry.action = "nothing.happened"
    with pytest.raises(audit.AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(audit.AuditEntry, entry.id))
    with pytest.raises(audit.AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(audit.AuditEntry, entry.id).action == "account.disable"


def test_a_rolled_back_change_leaves_no_entry(app, db):
    audit.record("community.archive", None, target_type="communities", target_id=1)
    db.session.rollback()
    assert db.session.execute(db.select(audit.AuditEntry)).first() is None
