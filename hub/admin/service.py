"""Instance administration: people, communities, the email outbox, the search index, storage and
the audit log. Shared by the /admin pages and /api/v1/admin; every change records an audit entry
in its own transaction (the caller commits)."""
import csv
import io
import json
import os
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from .. import access, audit, search
from ..accounts.models import User
from ..communities import service as communities
from ..communities.models import Community, Membership
from ..exceptions import ServiceError
from ..extensions import db
from ..notifications.mail import MAX_ATTEMPTS
from ..notifications.models import OutgoingEmail
from ..timeutil import utcnow

PER_PAGE = 50


class Page:
    """One page of a list: its rows, the total and where it is."""

    def __init__(self, rows, total, page, per_page):
        self.rows, self.total, self.page, self.per_page = rows, total, page, per_page

    @property
    def pages(self):
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self):
        return self.page > 1

    @property
    def has_next(self):
        return self.page < self.pages


def page_number(value):
    """A page number from a query string: 1 for anything that is not a positive integer."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), 100_000)


def _paged(query, count_query, page, per_page=PER_PAGE):
    total = db.session.execute(count_query).scalar_one()
    rows = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).scalars().all()
    return Page(rows, total, page, per_page)


def _like(text):
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# --- people ---------------------------------------------------------------------------


def people(query="", page=1, per_page=PER_PAGE):
    """Accounts whose name or email contains every word of ``query``, by name."""
    condition = sa.true()
    for word in (query or "").split()[:10]:
        pattern = _like(word.lower())
        condition = sa.and_(condition, sa.or_(
            sa.func.lower(User.display_name).like(pattern, escape="\\"), sa.func.lower(User.email).like(pattern, escape="\\"),
        ))
    select = sa.select(User).where(condition).order_by(sa.func.lower(User.display_name), User.id)
    count = sa.select(sa.func.count(User.id)).where(condition)
    return _paged(select, count, page, per_page)


def admin_count():
    return db.session.execute(sa.select(sa.func.count(User.id)).where(User.is_admin.is_(True), User.is_active_account.is_(True))).scalar_one()


def _not_yourself(actor, user, message):
    if actor is not None and actor.id == user.id:
        raise ServiceError(message, status=409, code="not_yourself")


def set_active(actor, user, active):
    """Disable an account (its sessions and API tokens stop working at once) or enable it again."""
    if bool(active) == bool(user.is_active_account):
        return False
    if not active:
        _not_yourself(actor, user, _l("You cannot disable your own account."))
        if user.is_admin and admin_count() <= 1:
            raise ServiceError(_l("The hub always keeps at least one administrator."), status=409, code="last_admin")
        user.session_version = (user.session_version or 1) + 1
    user.is_active_account = bool(active)
    audit.record("account.enable" if active else "account.disable", actor, user)
    return True


def end_sessions(actor, user):
    """Sign the person out everywhere: every web session and remember-me cookie stops working."""
    user.session_version = (user.session_version or 1) + 1
    audit.record("account.end_sessions", actor, user)


def set_admin(actor, user, is_admin):
    if bool(is_admin) == bool(user.is_admin):
        return False
    if not is_admin:
        _not_yourself(actor, user, _l("You cannot remove your own administrator role."))
        if user.is_active_account and admin_count() <= 1:
            raise ServiceError(_l("The hub always keeps at least one administrator."), status=409, code="last_admin")
    user.is_admin = bool(is_admin)
    audit.record("account.make_admin" if is_admin else "account.remove_admin", actor, user)
    return True


# --- communities ----------------------------------------------------------------------


def community_list(query="", page=1, per_page=PER_PAGE):
    condition = sa.true()
    for word in (query or "").split()[:10]:
        pattern = _like(word.lower())
        condition = sa.and_(condition, sa.or_(
            sa.func.lower(Community.name).like(pattern, escape="\\"), sa.func.lower(Community.slug).like(pattern, escape="\\"),
        ))
    select = sa.select(Community).where(condition).order_by(sa.func.lower(Community.name), Community.id)
    count = sa.select(sa.func.count(Community.id)).where(condition)
    found = _paged(select, count, page, per_page)
    ids = [c.id for c in found.rows]
    found.members = {}
    found.facilitators = {}
    if ids:
        for community_id, count in db.session.execute(
            sa.select(Membership.community_id, sa.func.count(Membership.id)).where(Membership.community_id.in_(ids)).group_by(Membership.community_id)
        ):
            found.members[community_id] = count
        for community_id, user in db.session.execute(
            sa.select(Membership.community_id, User).join(User).where(Membership.community_id.in_(ids), Membership.role == "facilitator").order_by(User.display_name)
        ):
            found.facilitators.setdefault(community_id, []).append(user)
    return found


def archive(actor, community):
    if community.archived_at is not None:
        raise ServiceError(_l("This community is already archived."), status=409, code="already_archived")
    community.archived_at = utcnow()
    audit.record("community.archive", actor, community, community=community)


def unarchive(actor, community):
    if community.archived_at is None:
        raise ServiceError(_l("This community is not archived."), status=409, code="not_archived")
    community.archived_at = None
    audit.record("community.unarchive", actor, community, community=community)


def transfer(actor, community, user, demote_others=False):
    """Make ``user`` a facilitator of ``community`` (joining it if needed); with ``demote_others``,
    the current facilitators become members."""
    if community.archived_at is not None:
        raise ServiceError(_l("This community is archived: unarchive it before transferring it."), status=409, code="community_archived")
    if not user.is_active_account:
        raise ServiceError(_l("This account is disabled: choose an active account."), field="email", status=409, code="account_disabled")
    membership = communities.membership_of(community, user)
    previous = membership.role if membership is not None else None
    if membership is None:
        membership = Membership(community=community, user=user, role="facilitator")
        db.session.add(membership)
    else:
        membership.role, membership.expires_at = "facilitator", None
    demoted = []
    if demote_others:
        others = db.session.execute(
            sa.select(Membership).where(Membership.community_id == community.id, Membership.role == "facilitator", Membership.user_id != user.id)
        ).scalars().all()
        for other in others:
            other.role = "member"
            demoted.append(other.user_id)
    db.session.flush()
    access.forget_roles()
    audit.record("community.transfer", actor, community, community=community, to_user_id=user.id, to_user=user.email,
                 previous_role=previous, demoted_user_ids=demoted or None)
    return membership


# --- email outbox ---------------------------------------------------------------------

_UNSENT = OutgoingEmail.sent_at.is_(None)
_FAILED = sa.and_(_UNSENT, OutgoingEmail.attempts >= MAX_ATTEMPTS)
_PENDING = sa.and_(_UNSENT, OutgoingEmail.attempts < MAX_ATTEMPTS)
OUTBOX_STATUSES = ("pending", "failed")


def outbox_counts():
    row = db.session.execute(sa.select(
        sa.func.count(OutgoingEmail.id).filter(_PENDING),
        sa.func.count(OutgoingEmail.id).filter(_FAILED),
        sa.func.count(OutgoingEmail.id).filter(sa.and_(_PENDING, OutgoingEmail.last_error.is_not(None))),
    )).one()
    return {"pending": row[0], "failed": row[1], "retrying": row[2]}


def outbox(status="pending", page=1, per_page=PER_PAGE):
    condition = _FAILED if status == "failed" else _PENDING
    select = sa.select(OutgoingEmail).where(condition).order_by(OutgoingEmail.id)
    return _paged(select, sa.select(sa.func.count(OutgoingEmail.id)).where(condition), page, per_page)


def retry_email(actor, message):
    """Send an unsent message again at the next worker pass, with a fresh count of attempts."""
    if message.sent_at is not None:
        raise ServiceError(_l("This email was already sent."), status=409, code="already_sent")
    message.attempts = 0
    message.next_attempt_at = utcnow()
    audit.record("email.retry", actor, message, target_label=message.recipient)


def retry_failed(actor):
    messages = db.session.execute(sa.select(OutgoingEmail).where(_FAILED)).scalars().all()
    now = utcnow()
    for message in messages:
        message.attempts = 0
        message.next_attempt_at = now
    if messages:
        audit.record("email.retry_all", actor, count=len(messages))
    return len(messages)


def wake_mailer():
    """After commit: tell the worker of this process (when it runs one) there is something to send."""
    from .. import worker

    worker.wake.set()


# --- search index ---------------------------------------------------------------------

CHECK_KEYS_SHOWN = 20


def search_check():
    report = search.check()
    report["backend"] = current_app.config.get("SEARCH_BACKEND", "whoosh")
    for name in ("missing", "stale", "extra"):
        report[f"{name}_count"] = len(report[name])
        report[name] = report[name][:CHECK_KEYS_SHOWN]
    return report


def search_reindex(actor):
    """Rebuild the index from the database; records who did it (the caller commits the entry)."""
    counts = search.reindex()
    audit.record("search.reindex", actor, documents=sum(counts.values()))
    return counts


# --- storage --------------------------------------------------------------------------


def _folder(path):
    size = count = 0
    if path and os.path.isdir(path):
        for root, _dirs, files in os.walk(path):
            for name in files:
                try:
                    size += os.path.getsize(os.path.join(root, name))
                except OSError:
                    continue
                count += 1
    return size, count


def storage():
    config = current_app.config
    engine = db.engine
    if engine.dialect.name == "postgresql":
        database = db.session.execute(sa.text("SELECT pg_database_size(current_database())")).scalar_one()
    else:
        path = engine.url.database
        database = sum(os.path.getsize(p) for p in (path, f"{path}-wal", f"{path}-journal") if path and os.path.exists(p))
    uploads, files = _folder(config.get("UPLOAD_FOLDER"))
    if config.get("SEARCH_BACKEND", "whoosh") == "postgres":
        index = db.session.execute(sa.text(
            "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "WHERE c.relkind = 'r' AND c.relname IN ('search_documents', 'search_terms')"
        )).scalar_one()
    else:
        index, _count = _folder(config.get("SEARCH_INDEX_PATH"))
    return {"database_bytes": int(database), "uploads_bytes": uploads, "uploads_files": files, "search_index_bytes": int(index)}


# --- audit log ------------------------------------------------------------------------


def parse_day(value):
    """A day from a form (YYYY-MM-DD), or None; a ServiceError when it is not one."""
    if not value:
        return None
    try:
        return datetime.strptime(value.strip(), "%Y-%m-%d").date()
    except (ValueError, AttributeError):
        raise ServiceError(_l("Enter a date as YYYY-MM-DD."), status=422)


def audit_filter(action="", actor="", since=None, until=None, tz_name="America/Toronto"):
    """The condition for entries of ``action`` (exact, or a family such as "community."), by an
    actor whose name or email contains ``actor``, between the start of day ``since`` and the end
    of day ``until`` in ``tz_name``."""
    AuditEntry = audit.AuditEntry
    condition = sa.true()
    if action:
        if action.endswith("."):
            condition = sa.and_(condition, AuditEntry.action.like(_like(action)[1:], escape="\\"))
        else:
            condition = sa.and_(condition, AuditEntry.action == action)
    if actor:
        condition = sa.and_(condition, sa.func.lower(AuditEntry.actor_label).like(_like(actor.lower()), escape="\\"))
    zone = ZoneInfo(tz_name)
    if since is not None:
        condition = sa.and_(condition, AuditEntry.at >= datetime.combine(since, time(0), tzinfo=zone))
    if until is not None:
        condition = sa.and_(condition, AuditEntry.at < datetime.combine(until + timedelta(days=1), time(0), tzinfo=zone))
    return condition


def audit_entries(condition, page=1, per_page=PER_PAGE):
    AuditEntry = audit.AuditEntry
    select = sa.select(AuditEntry).where(condition).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    return _paged(select, sa.select(sa.func.count(AuditEntry.id)).where(condition), page, per_page)


def audit_actions():
    return db.session.execute(sa.select(audit.AuditEntry.action).distinct().order_by(audit.AuditEntry.action)).scalars().all()


CSV_COLUMNS = ("id", "at", "actor_id", "actor", "action", "target_type", "target_id", "target", "community_id", "ip", "details")


def _cell(value):
    """Text a spreadsheet shows as text: a leading = + - @ would be read as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def audit_csv(condition):
    """The matching entries as CSV (UTF-8 with a byte-order mark, for spreadsheets), oldest first."""
    AuditEntry = audit.AuditEntry
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    rows = db.session.execute(sa.select(AuditEntry).where(condition).order_by(AuditEntry.at, AuditEntry.id)).scalars()
    for entry in rows:
        writer.writerow([_cell(v) for v in (
            entry.id, entry.at.isoformat(), entry.actor_id, entry.actor_label, entry.action, entry.target_type,
            entry.target_id, entry.target_label, entry.community_id, entry.ip,
            json.dumps(entry.details or {}, ensure_ascii=False, sort_keys=True),
        )])
    return buffer.getvalue()


def record_export(actor, filters):
    """Exporting the log is itself recorded, with the filters used."""
    audit.record("audit.export", actor, filters={k: v for k, v in filters.items() if v})


def entry_json(entry):
    return {
        "id": entry.id, "at": entry.at.isoformat(), "actor_id": entry.actor_id, "actor": entry.actor_label,
        "action": entry.action, "target_type": entry.target_type, "target_id": entry.target_id,
        "target": entry.target_label, "community_id": entry.community_id, "ip": entry.ip, "details": entry.details or {},
    }


def overview():
    return {
        "people": db.session.execute(sa.select(sa.func.count(User.id))).scalar_one(),
        "disabled": db.session.execute(sa.select(sa.func.count(User.id)).where(User.is_active_account.is_(False))).scalar_one(),
        "admins": admin_count(),
        "communities": db.session.execute(sa.select(sa.func.count(Community.id))).scalar_one(),
        "archived": db.session.execute(sa.select(sa.func.count(Community.id)).where(Community.archived_at.is_not(None))).scalar_one(),
        "outbox": outbox_counts(),
        "search_pending": search.pending_count(),
    }


def user_by_email(email):
    if not isinstance(email, str) or not email.strip():
        return None
    return db.session.execute(sa.select(User).where(sa.func.lower(User.email) == email.strip().lower())).scalar_one_or_none()
