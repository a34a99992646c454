"""A person's rights over what the hub keeps about them (Quebec's Law 25), and how long it keeps it.

- ``write_export(user, stream)``: everything the hub holds about a person, as a zip of one JSON
  document and their files;
- ``delete_account(user, password, content)``: the account removed in one transaction, their
  contributions kept under "former member" or erased, as they choose;
- ``purge()``: sent emails and audit entries older than their retention removed;
- ``policy_text(locale)`` / ``save_policy(...)``: the privacy policy the administrator edits.

Services never touch ``request``; views and the API call them and commit.
"""
import json
import logging
import zipfile
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from .. import access, audit, pagecache, search
from ..accounts import service as accounts
from ..accounts.models import ApiToken, User
from ..communities import service as communities
from ..communities.models import Community, Invitation, JoinRequest, Membership
from ..discussions import service as discussions
from ..discussions.models import Post, PostRevision, Reaction, Thread
from ..exceptions import ServiceError
from ..extensions import db
from ..meetings.models import AgendaItem, AgendaSupport, CalendarFeed, Meeting, MeetingAttendee, Poll, PollInvitee
from ..notes import service as notes
from ..notes.models import Note, NoteRevision, revision_authors
from ..notifications.models import Notification, NotificationPreference, OutgoingEmail
from ..resources import service as resources
from ..resources.models import Resource, ResourceVersion
from ..timeutil import utcnow
from .models import PrivacyPolicy

log = logging.getLogger(__name__)

CONTENT_CHOICES = ("keep", "erase")
EXPORT_FORMAT = 1


def iso(value):
    return value.isoformat() if value else None


# --- export ---------------------------------------------------------------------------------


def export_data(user):
    """Everything the hub holds about ``user``, as JSON-ready data, and the files to join to it:
    ``(document, files)`` where ``files`` is ``[(name in the zip, path on disk)]``."""
    uid = user.id
    files = []

    def rows(query):
        return db.session.execute(query).scalars().all()

    document = {
        "format": EXPORT_FORMAT,
        "exported_at": iso(utcnow()),
        "account": {
            "id": uid, "email": user.email, "display_name": user.display_name, "organization": user.organization,
            "job_title": user.job_title, "bio": user.bio, "expertise": user.expertise_tags, "languages": user.language_list,
            "timezone": user.timezone, "locale": user.locale, "reminder_hours": user.reminder_hours,
            "is_admin": bool(user.is_admin), "created_at": iso(user.created_at), "last_seen_at": iso(user.last_seen_at),
            "avatar": None,
        },
    }
    avatar = accounts.avatar_path(user)
    if avatar is not None:
        name = f"files/avatar{_extension(user.avatar_type)}"
        files.append((name, avatar))
        document["account"]["avatar"] = name

    memberships = rows(sa.select(Membership).where(Membership.user_id == uid).order_by(Membership.id))
    document["memberships"] = [
        {"community": _community(m.community), "role": m.role, "joined_at": iso(m.joined_at), "expires_at": iso(m.expires_at)}
        for m in memberships
    ]
    document["join_requests"] = [
        {"community": _community(r.community), "message": r.message, "status": r.status, "created_at": iso(r.created_at), "decided_at": iso(r.decided_at)}
        for r in rows(sa.select(JoinRequest).where(JoinRequest.user_id == uid).order_by(JoinRequest.id))
    ]
    document["notification_preferences"] = [
        {"community": _community(db.session.get(Community, p.community_id)), "level": p.level, "email": p.email, "last_digest_at": iso(p.last_digest_at)}
        for p in rows(sa.select(NotificationPreference).where(NotificationPreference.user_id == uid).order_by(NotificationPreference.id))
    ]
    # Names and dates only: the secret itself is never kept, only its hash, which is not exported either.
    document["api_tokens"] = [
        {"name": t.name, "prefix": t.prefix, "created_at": iso(t.created_at), "last_used_at": iso(t.last_used_at), "revoked_at": iso(t.revoked_at)}
        for t in rows(sa.select(ApiToken).where(ApiToken.user_id == uid).order_by(ApiToken.id))
    ]
    feed = db.session.execute(sa.select(CalendarFeed).where(CalendarFeed.user_id == uid)).scalar_one_or_none()
    document["calendar_feed"] = None if feed is None else {"created_at": iso(feed.created_at), "last_used_at": iso(feed.last_used_at)}

    document["threads_started"] = [
        {"id": t.id, "community": _community(t.community), "title": t.title, "tags": t.tag_names, "created_at": iso(t.created_at)}
        for t in rows(sa.select(Thread).where(Thread.author_id == uid).order_by(Thread.id))
    ]
    posts = rows(sa.select(Post).where(Post.author_id == uid).order_by(Post.id))
    document["posts"] = []
    for post in posts:
        attachments = []
        for attachment in post.attachments:
            item = {"kind": attachment.kind, "url": attachment.url, "title": attachment.title, "filename": attachment.filename,
                    "resource_id": attachment.resource_id, "image": None}
            path = discussions.preview_image_path(attachment)
            if path is not None and Path(path).exists():
                name = f"files/attachments/{attachment.id}{_extension(attachment.image_type)}"
                files.append((name, Path(path)))
                item["image"] = name
            attachments.append(item)
        document["posts"].append({
            "id": post.id, "thread": {"id": post.thread_id, "title": post.thread.title}, "community": _community(post.thread.community),
            "body": post.body, "created_at": iso(post.created_at), "edited_at": iso(post.edited_at), "deleted_at": iso(post.deleted_at),
            "earlier_versions": [{"body": r.body, "replaced_at": iso(r.created_at)} for r in post.revisions],
            "attachments": attachments,
        })
    document["reactions"] = [
        {"post_id": r.post_id, "emoji": r.emoji}
        for r in rows(sa.select(Reaction).where(Reaction.user_id == uid).order_by(Reaction.id))
    ]

    document["resources"] = []
    for resource in rows(sa.select(Resource).where(Resource.author_id == uid).order_by(Resource.id)):
        document["resources"].append({
            "id": resource.id, "community": _community(resource.community), "title": resource.title, "summary": resource.summary,
            "type": resource.type, "url": resource.url, "keywords": resource.tag_list, "themes": [t.name for t in resource.themes],
            "municipality": resource.municipality, "language": resource.language, "year": resource.year,
            "source_organization": resource.source_organization, "licence": resource.licence,
            "story": {name: getattr(resource, name) for name in Resource.STORY_FIELDS},
            "created_at": iso(resource.created_at), "updated_at": iso(resource.updated_at),
        })
    document["resource_versions"] = []
    for version in rows(sa.select(ResourceVersion).where(ResourceVersion.uploaded_by_id == uid).order_by(ResourceVersion.id)):
        item = {"resource_id": version.resource_id, "resource_title": version.resource.title, "number": version.number,
                "filename": version.filename, "mimetype": version.mimetype, "size": version.size, "sha256": version.sha256,
                "created_at": iso(version.created_at), "file": None}
        path = resources.blob_path(version)
        if Path(path).exists():
            item["file"] = f"files/resources/{version.resource_id}/v{version.number}-{_safe_name(version.filename)}"
            files.append((item["file"], Path(path)))
        document["resource_versions"].append(item)

    wrote = sa.select(NoteRevision.note_id).where(
        sa.or_(NoteRevision.author_id == uid, NoteRevision.id.in_(sa.select(revision_authors.c.revision_id).where(revision_authors.c.user_id == uid)))
    )
    document["notes"] = []
    for note in rows(sa.select(Note).where(sa.or_(Note.owner_id == uid, Note.id.in_(wrote))).order_by(Note.id)):
        mine = note.owner_id == uid
        document["notes"].append({
            "id": note.id, "community": _community(note.community), "title": note.title, "body": note.body,
            "visibility": note.visibility, "owner": mine, "created_at": iso(note.created_at), "updated_at": iso(note.updated_at),
            "shared_with": [s.user.display_name for s in note.shares] if mine else [],
            "revisions": [
                {"number": r.number, "title": r.title, "body": r.body, "source": r.source, "created_at": iso(r.created_at),
                 "by_me": r.author_id == uid or any(a.id == uid for a in r.authors)}
                for r in note.revisions if mine or r.author_id == uid or any(a.id == uid for a in r.authors)
            ],
        })

    document["poll_answers"] = []
    for invitee in rows(sa.select(PollInvitee).where(PollInvitee.user_id == uid).order_by(PollInvitee.id)):
        slots = {s.id: s for s in invitee.poll.slots}
        document["poll_answers"].append({
            "poll": {"id": invitee.poll_id, "title": invitee.poll.title}, "community": _community(invitee.poll.community),
            "comment": invitee.comment, "answered_at": iso(invitee.answered_at),
            "answers": [{"start": iso(slots[a.slot_id].start) if a.slot_id in slots else None, "value": a.value} for a in invitee.answers],
        })
    document["polls_organised"] = [
        {"id": p.id, "community": _community(p.community), "title": p.title, "description": p.description, "created_at": iso(p.created_at)}
        for p in rows(sa.select(Poll).where(Poll.organizer_id == uid).order_by(Poll.id))
    ]
    document["meetings_organised"] = [
        {"id": m.id, "community": _community(m.community), "title": m.title, "description": m.description, "start": iso(m.start), "end": iso(m.end)}
        for m in rows(sa.select(Meeting).where(Meeting.organizer_id == uid).order_by(Meeting.id))
    ]
    document["meeting_attendance"] = [
        {"meeting": {"id": a.meeting_id, "title": a.meeting.title, "start": iso(a.meeting.start)}, "community": _community(a.meeting.community),
         "invited": a.invited, "response": a.response, "responded_at": iso(a.responded_at)}
        for a in rows(sa.select(MeetingAttendee).where(MeetingAttendee.user_id == uid).order_by(MeetingAttendee.id))
    ]
    document["agenda_topics"] = [
        {"meeting": {"id": i.meeting_id, "title": i.meeting.title}, "title": i.title, "details": i.details, "created_at": iso(i.created_at)}
        for i in rows(sa.select(AgendaItem).where(AgendaItem.author_id == uid).order_by(AgendaItem.id))
    ]
    document["agenda_supports"] = [
        {"agenda_item_id": s.item_id} for s in rows(sa.select(AgendaSupport).where(AgendaSupport.user_id == uid).order_by(AgendaSupport.id))
    ]
    document["notifications"] = [
        {"event": n.event, "title": n.title, "excerpt": n.excerpt, "url": n.url, "created_at": iso(n.created_at),
         "read_at": iso(n.read_at), "emailed_at": iso(n.emailed_at)}
        for n in rows(sa.select(Notification).where(Notification.user_id == uid).order_by(Notification.id))
    ]
    document["audit_entries"] = [
        {"at": iso(e.at), "action": e.action, "by_me": e.actor_id == uid, "target_type": e.target_type, "target_id": e.target_id,
         "target": e.target_label, "community_id": e.community_id, "ip": e.ip, "details": e.details}
        for e in rows(
            sa.select(audit.AuditEntry).where(
                sa.or_(audit.AuditEntry.actor_id == uid, sa.and_(audit.AuditEntry.target_type == "users", audit.AuditEntry.target_id == uid))
            ).order_by(audit.AuditEntry.id)
        )
    ]
    return document, files


def write_export(user, stream):
    """Write the zip of ``user``'s data to ``stream`` (``data.json`` and ``files/…``) and record the
    export in the audit log (the caller commits)."""
    document, files = export_data(user)
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(document, ensure_ascii=False, indent=2))
        written = set()
        for name, path in files:
            if name not in written:
                archive.write(path, name)
                written.add(name)
    audit.record("account.export", user, user, files=len(files))
    return stream


def export_filename(user):
    return f"hub-data-{user.id}-{utcnow():%Y%m%d}.zip"


def _community(community):
    return None if community is None else {"slug": community.slug, "name": community.name}


def _extension(mimetype):
    return {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp"}.get(mimetype or "", "")


def _safe_name(filename):
    cleaned = "".join(c if c.isalnum() or c in "._- " else "_" for c in filename).strip(" .")
    return cleaned[:120] or "file"


# --- deletion -------------------------------------------------------------------------------


def communities_left_without_facilitator(user):
    """Communities where ``user`` is the only facilitator while other people are members."""
    blocking = []
    for membership in db.session.execute(
        sa.select(Membership).where(Membership.user_id == user.id, Membership.role == "facilitator")
    ).scalars():
        community = membership.community
        if communities.facilitator_count(community) <= 1 and _other_members(community, user) > 0:
            blocking.append(community)
    return sorted(blocking, key=lambda c: c.name)


def _other_members(community, user):
    return db.session.execute(
        sa.select(sa.func.count(Membership.id)).where(
            Membership.community_id == community.id, Membership.user_id != user.id,
            sa.or_(Membership.expires_at.is_(None), Membership.expires_at > utcnow()),
        )
    ).scalar_one()


def delete_account(user, password, content):
    """Delete ``user``'s account in the current transaction (the caller commits, or rolls back on error).

    ``content`` is "keep" (their posts, shared notes and resources stay, shown as by a former member)
    or "erase" (posts become "message deleted" with their text gone, shared notes and resources are
    deleted). Private notes are always erased; memberships, tokens, sessions, notifications,
    calendar feed, poll answers, reactions and every other row about them are removed; the account
    row itself is deleted, so the email address may register again. Returns what to do after the
    commit (``finish_deletion``)."""
    if content not in CONTENT_CHOICES:
        raise ServiceError(_l("Choose what becomes of your messages, shared notes and resources."), field="content")
    if not password or not accounts.check_password(user, password):
        raise ServiceError(_l("This is not your password."), field="password", status=403, code="wrong_password")
    blocking = communities_left_without_facilitator(user)
    if blocking:
        raise ServiceError(
            _l("You are the only facilitator of %(names)s. Name another facilitator there first (or remove the other members).",
               names=", ".join(c.name for c in blocking)),
            status=409, code="last_facilitator",
        )
    uid = user.id
    touched = _communities_of_person(uid)
    later = {"resource_files": set(), "avatar": user.avatar_file}

    # Private notes always go; shared notes and resources follow the person's choice.
    for note in db.session.execute(sa.select(Note).where(Note.owner_id == uid)).scalars().all():
        if note.visibility == "private" or content == "erase":
            notes.delete_note(note)
        else:
            search.enqueue("note", note.id)
    for resource in db.session.execute(sa.select(Resource).where(Resource.author_id == uid)).scalars().all():
        if content == "erase":
            later["resource_files"] |= resources.delete(resource)
        else:
            search.enqueue("resource", resource.id)
    for post in db.session.execute(sa.select(Post).where(Post.author_id == uid)).scalars().all():
        if content == "erase":
            discussions.delete_post(post, user)
            post.body = post.body_html = ""
            db.session.execute(sa.delete(PostRevision).where(PostRevision.post_id == post.id))
            for attachment in list(post.attachments):
                db.session.delete(attachment)
        search.enqueue("post", post.id)
    if content == "erase":  # what others were notified of quoted the erased messages
        db.session.execute(
            sa.update(Notification).where(Notification.actor_id == uid, Notification.object_kind == "thread").values(excerpt="")
        )
    for thread_id in db.session.execute(sa.select(Thread.id).where(Thread.author_id == uid)).scalars():
        search.enqueue("thread", thread_id)
    db.session.flush()

    # Emails waiting for (or sent to) the address, and invitations naming it, are personal data too.
    db.session.execute(sa.delete(OutgoingEmail).where(OutgoingEmail.recipient == user.email))
    db.session.execute(sa.delete(Invitation).where(Invitation.email == user.email))
    audit.record("account.delete", None, target_type="users", target_id=uid, content=content)
    db.session.flush()

    # Through the ORM first, so whatever listens for them sees it: every session of the person ends,
    # and they lose their communities (live pages included).
    user.session_version = (user.session_version or 0) + 1
    user.is_active_account = False
    for membership in list(user.memberships):
        db.session.delete(membership)
    for token in list(user.tokens):
        db.session.delete(token)
    db.session.flush()

    # Every other row pointing at the account: its own rows go, others' rows forget it.
    _forget_user(uid)
    pagecache.touch(*touched)
    db.session.expire_all()
    access.forget_roles()
    return later


def finish_deletion(later):
    """After the commit: remove files nothing points at any more."""
    if later.get("resource_files"):
        resources.forget_files(later["resource_files"])
    avatar = later.get("avatar")
    if avatar and db.session.execute(sa.select(User.id).where(User.avatar_file == avatar).limit(1)).first() is None:
        try:
            (accounts.avatar_folder() / avatar).unlink(missing_ok=True)
        except OSError:
            log.exception("Could not remove the photo of a deleted account")


def _communities_of_person(uid):
    """Communities whose pages may show the person (membership, posts, reactions, notes, resources, meetings)."""
    queries = [
        sa.select(Membership.community_id).where(Membership.user_id == uid),
        sa.select(Thread.community_id).join(Post, Post.thread_id == Thread.id).where(Post.author_id == uid),
        sa.select(Thread.community_id).join(Post, Post.thread_id == Thread.id).join(Reaction, Reaction.post_id == Post.id).where(Reaction.user_id == uid),
        sa.select(Thread.community_id).where(Thread.author_id == uid),
        sa.select(Note.community_id).where(Note.owner_id == uid),
        sa.select(Resource.community_id).where(Resource.author_id == uid),
        sa.select(Meeting.community_id).where(Meeting.organizer_id == uid),
        sa.select(Poll.community_id).where(Poll.organizer_id == uid),
    ]
    found = set()
    for query in queries:
        found |= set(db.session.execute(query).scalars())
    return found


def _forget_user(uid):
    """Remove the account row and follow every foreign key to it, whatever feature declared it:
    rows that belong to the person (ON DELETE CASCADE) are deleted with the rows depending on them,
    rows of others that merely name them (ON DELETE SET NULL) keep their content and lose the name.
    Done here rather than left to the database, since SQLite does not enforce foreign keys."""
    users = User.__table__
    _delete_where(users, users.c.id == uid, depth=0)


def _references_to(table):
    """(child table, foreign key) for every foreign key of the schema pointing at ``table``."""
    found = []
    for child in db.metadata.sorted_tables:
        for fk in child.foreign_keys:
            if fk.column.table is table:
                found.append((child, fk))
    return found


def _delete_where(table, condition, depth):
    if depth > 8:
        raise RuntimeError(f"foreign keys nested too deep under {table.name}")
    for child, fk in _references_to(table):
        if child is table:
            continue
        selected = sa.select(fk.column).where(condition)
        column = fk.parent
        if (fk.ondelete or "").upper() == "SET NULL" or (fk.ondelete is None and column.nullable):
            db.session.execute(sa.update(child).where(column.in_(selected)).values({column.name: None}))
        else:
            _delete_where(child, column.in_(selected), depth + 1)
    for fk in table.foreign_keys:  # a table pointing at itself (a reply to a post): forget, then delete
        if fk.column.table is table and fk.parent.nullable:
            db.session.execute(sa.update(table).where(fk.parent.in_(sa.select(fk.column).where(condition))).values({fk.parent.name: None}))
    db.session.execute(sa.delete(table).where(condition))


# --- retention ------------------------------------------------------------------------------


def purge(now=None, email_days=None, audit_days=None):
    """Remove sent or failed emails and audit entries older than their retention; returns the counts.

    Audit entries are removed here with a Core ``DELETE … WHERE at < cutoff``: this retention purge
    is the one sanctioned removal of entries (the ORM refuses to change or delete them elsewhere,
    see hub/audit.py). Emails still waiting for delivery are never purged."""
    now = now or utcnow()
    config = current_app.config
    email_days = config["EMAIL_RETENTION_DAYS"] if email_days is None else email_days
    audit_days = config["AUDIT_RETENTION_DAYS"] if audit_days is None else audit_days
    counts = {"emails": 0, "audit_entries": 0}
    if email_days > 0:
        cutoff = now - timedelta(days=email_days)
        done = sa.or_(OutgoingEmail.sent_at.is_not(None), OutgoingEmail.last_error.is_not(None))
        result = db.session.execute(
            sa.delete(OutgoingEmail).where(done, sa.func.coalesce(OutgoingEmail.sent_at, OutgoingEmail.created_at) < cutoff)
            .execution_options(synchronize_session=False)
        )
        counts["emails"] = result.rowcount or 0
    if audit_days > 0:
        cutoff = now - timedelta(days=audit_days)
        result = db.session.execute(
            sa.delete(audit.AuditEntry.__table__).where(audit.AuditEntry.__table__.c.at < cutoff)
        )
        counts["audit_entries"] = result.rowcount or 0
    return counts


def run_purge(app):
    """The email worker's periodic step (hub/notifications/mail.py ``register_periodic``)."""
    counts = purge()
    db.session.commit()
    if any(counts.values()):
        log.info("Retention purge: %(emails)d emails, %(audit_entries)d audit entries", counts)
    return counts


# --- the privacy policy ---------------------------------------------------------------------


def policy():
    return db.session.execute(sa.select(PrivacyPolicy).order_by(PrivacyPolicy.id).limit(1)).scalar_one_or_none()


def policy_text(locale):
    """The Markdown of the policy in ``locale`` ("fr_CA" or "en"): the administrator's, or the default."""
    french = str(locale).startswith("fr")
    found = policy()
    if found is not None:
        text = found.body_fr if french else found.body_en
        if text.strip():
            return text
    from .default_policy import DEFAULT_EN, DEFAULT_FR

    text = DEFAULT_FR if french else DEFAULT_EN
    config = current_app.config
    return text.replace("{email_days}", str(config["EMAIL_RETENTION_DAYS"])).replace("{audit_days}", str(config["AUDIT_RETENTION_DAYS"]))


MAX_POLICY = 50_000


def save_policy(user, body_fr, body_en):
    for name, value in (("body_fr", body_fr), ("body_en", body_en)):
        if not isinstance(value, str) or not value.strip():
            raise ServiceError(_l("Write the policy in this language."), field=name)
        if len(value) > MAX_POLICY:
            raise ServiceError(_l("At most %(max)d characters.", max=MAX_POLICY), field=name)
    found = policy()
    if found is None:
        found = PrivacyPolicy()
        db.session.add(found)
    found.body_fr, found.body_en = body_fr.strip(), body_en.strip()
    found.updated_at, found.updated_by_id = utcnow(), user.id
    audit.record("privacy.policy_edit", user, target_type="privacy_policy", target_label="privacy policy")
    return found
