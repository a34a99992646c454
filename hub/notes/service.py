"""Notes: create (from a template), save with a base revision, history and diffs, restore, share,
attach to a meeting, thread or resource; shared by the pages, the API and the live editor."""
import difflib
from dataclasses import dataclass

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l

from .. import access, activity, audit, kinds, search
from ..communities.models import Membership
from ..exceptions import ServiceError
from ..extensions import db
from ..forms import single_line
from ..markup import plain
from ..search.base import SearchDocument
from ..timeutil import utcnow
from . import crdt
from .models import MAX_BODY, MAX_TITLE, VISIBILITIES, Note, NoteRevision, NoteShare, NoteTemplate

MAX_SHARES = 200
MAX_TEMPLATES = 50

# --- built-in templates ---------------------------------------------------------------------

BUILTIN_TEMPLATES = {
    "minutes": (
        _l("Meeting minutes"),
        _l("## Present\n\n- \n\n## Agenda\n\n1. \n\n## Discussion\n\n\n## Decisions\n\n- \n\n"
           "## Follow-up (what, who, when)\n\n- \n\n## Next meeting\n\n"),
    ),
    "story": (
        _l("Implementation story"),
        _l("## Context\n\nCity, department, year, who was involved.\n\n## What we wanted to achieve\n\n\n"
           "## What we did\n\n1. \n\n## Partners and funding\n\n- \n\n## Results\n\n\n"
           "## What we would do differently\n\n\n## Contact\n\n"),
    ),
    "lessons": (
        _l("What worked and what did not"),
        _l("## What worked\n\n- \n\n## What did not work\n\n- \n\n## Why\n\n\n## What we keep for next time\n\n- \n"),
    ),
}


@dataclass
class TemplateChoice:
    key: str
    name: str
    body: str
    builtin: bool


def templates_for(community):
    """The built-in templates, then the community's own ("c<id>")."""
    found = [TemplateChoice(key, str(name), str(body), True) for key, (name, body) in BUILTIN_TEMPLATES.items()]
    rows = db.session.execute(
        sa.select(NoteTemplate).where(NoteTemplate.community_id == community.id).order_by(NoteTemplate.name)
    ).scalars()
    found += [TemplateChoice(f"c{t.id}", t.name, t.body, False) for t in rows]
    return found


def template(community, key):
    return next((t for t in templates_for(community) if t.key == key), None) if isinstance(key, str) else None


def add_template(community, user, name, body):
    name = _check_title(name, field="name")
    body = _check_body(body)
    count = db.session.execute(sa.select(sa.func.count(NoteTemplate.id)).where(NoteTemplate.community_id == community.id)).scalar_one()
    if count >= MAX_TEMPLATES:
        raise ServiceError(_l("A community keeps at most %(max)d templates.", max=MAX_TEMPLATES), field="name")
    found = NoteTemplate(community_id=community.id, name=name, body=body, created_by_id=user.id)
    db.session.add(found)
    db.session.flush()
    return found


def delete_template(found):
    db.session.delete(found)


# --- checks ---------------------------------------------------------------------------------


def get(model, object_id):
    if not isinstance(object_id, int) or isinstance(object_id, bool) or not 0 < object_id < 2**31:
        return None
    return db.session.get(model, object_id)


def _storable(text):
    return "\x00" not in text


def _check_title(title, field="title"):
    title = " ".join(single_line(title).split()) if isinstance(title, str) else None
    if not title:
        raise ServiceError(_l("Give the note a title."), field=field)
    if len(title) > MAX_TITLE or not _storable(title):
        raise ServiceError(_l("At most %(max)d characters.", max=MAX_TITLE), field=field)
    return title


def _check_body(body):
    if body is None:
        return ""
    if not isinstance(body, str) or not _storable(body):
        raise ServiceError(_l("Some of what you entered is not valid."), field="body")
    body = body.replace("\r\n", "\n")
    if len(body) > MAX_BODY:
        raise ServiceError(_l("A note holds at most %(max)d characters.", max=MAX_BODY), field="body")
    return body


def _check_visibility(visibility):
    if visibility not in VISIBILITIES:
        raise ServiceError(_l("Choose who may read the note."), field="visibility")
    return visibility


# --- what a note is attached to -------------------------------------------------------------


def _attachable(kind):
    found = kinds.get(kind)
    return found if found is not None and found.attachable else None


def parse_attachment(value):
    """'meeting:12' → ("meeting", 12); '' → None; anything else: a ServiceError."""
    if value in (None, ""):
        return None
    kind, _sep, number = value.partition(":") if isinstance(value, str) else ("", "", "")
    if _attachable(kind) is None or not number.isdigit() or not 0 < int(number) < 2**31:
        raise ServiceError(_l("Attach the note to a meeting, a thread or a resource of this community."), field="attached_to")
    return kind, int(number)


def attachment_target(kind, object_id):
    return kinds.find(kind, object_id) if _attachable(kind) is not None else None


def check_attachment(community, user, attachment):
    """The (kind, id) pair if it names something of the community the user may read."""
    if attachment is None:
        return None
    kind, object_id = attachment
    target = kinds.readable(user, kind, object_id, community.id) if _attachable(kind) is not None else None
    if target is None:
        raise ServiceError(_l("Attach the note to a meeting, a thread or a resource of this community."), field="attached_to")
    return kind, object_id


def attach(note, user, attachment):
    found = check_attachment(note.community, user, attachment)
    note.attached_kind, note.attached_id = found if found else (None, None)
    note.updated_at = utcnow()
    search.enqueue("note", note.id)


def attached_to(note):
    """(kind, object, url) of what the note belongs to, if it still exists."""
    if not note.attached_kind:
        return None
    target = attachment_target(note.attached_kind, note.attached_id)
    if target is None:
        return None
    endpoints = {"meeting": ("meetings.show", "meeting_id"), "resource": ("resources.show", "resource_id"), "thread": ("discussions.thread", "thread_id")}
    endpoint, arg = endpoints[note.attached_kind]
    try:
        url = url_for(endpoint, **{arg: target.id})
    except Exception:  # the page of that kind does not exist (yet)
        url = None
    return note.attached_kind, target, url


def notes_attached(kind, object_id, user):
    """The notes attached to an object that the user may read, newest first."""
    rows = db.session.execute(
        sa.select(Note).where(Note.attached_kind == kind, Note.attached_id == object_id).order_by(Note.updated_at.desc(), Note.id.desc())
    ).scalars()
    return [n for n in rows if access.can(user, "note.read", n)]


# --- notes ----------------------------------------------------------------------------------


def _revision(note, user, source, authors=None):
    revision = NoteRevision(note=note, number=note.revision, author_id=user.id if user else None, title=note.title, body=note.body, source=source)
    people = list(authors or ([user] if user else []))
    revision.authors = people
    db.session.add(revision)
    return revision


def draft_for(user, attachment, locale):
    """(title, body) its kind proposes for the minutes of what a note is attached to (a meeting
    gives its date, attendance and agenda), or None."""
    if not attachment:
        return None
    kind = kinds.get(attachment[0])
    fill = kind.extra.get("minutes") if kind is not None else None
    target = kinds.readable(user, attachment[0], attachment[1]) if fill is not None else None
    return fill(target, str(locale or "fr_CA")) if target is not None else None


def create_note(community, owner, *, title, body="", visibility="private", member_ids=(), attachment=None, template_key=None, locale=None):
    """A new note (revision 1). ``template_key`` fills an empty body from a template; the minutes
    template attached to a meeting is filled with the meeting (``draft_for``)."""
    title = _check_title(title)
    body = _check_body(body)
    visibility = _check_visibility(visibility)
    from_template = False
    if template_key:
        chosen = template(community, template_key)
        if chosen is None:
            raise ServiceError(_l("Choose a template from the list."), field="template")
        if not body:
            body, from_template = chosen.body, True
    found = check_attachment(community, owner, attachment)
    if template_key == "minutes" and from_template and found:
        draft = draft_for(owner, found, locale)
        if draft is not None:
            body = draft[1]
    note = Note(community=community, owner=owner, title=title, body=body, visibility=visibility, revision=1,
                attached_kind=found[0] if found else None, attached_id=found[1] if found else None)
    note.crdt_state = crdt.new_state(body)
    note.crdt_updated_at = utcnow()
    db.session.add(note)
    db.session.flush()
    added = _set_shares(note, member_ids if visibility == "members" else ())
    _revision(note, owner, "form")
    _notify_shared(note, added, owner)
    search.enqueue("note", note.id)
    if visibility != "private":
        activity.record("note", note, "shared", owner)
    return note


class Conflict(ServiceError):
    """Saved over a newer revision: nothing is written; the caller shows both texts."""

    def __init__(self, note):
        super().__init__(_l("Someone saved this note after you started editing it."), field="body", status=409, code="conflict")
        self.note = note


def save(note, user, *, body, base_revision, title=None, source="form"):
    """A new revision with this body (and title), unless the note moved past ``base_revision``
    (Conflict). Nothing changed: no new revision. Returns the note."""
    body = _check_body(body)
    title = _check_title(title) if title is not None else note.title
    if not isinstance(base_revision, int) or isinstance(base_revision, bool) or base_revision != note.revision:
        raise Conflict(note)
    if body == note.body and title == note.title:
        return note
    _apply_body(note, body)
    note.title = title
    note.revision += 1
    note.updated_at = utcnow()
    _revision(note, user, source)
    search.enqueue("note", note.id)
    return note


def rename(note, user, title):
    title = _check_title(title)
    if title == note.title:
        return note
    note.title = title
    note.revision += 1
    note.updated_at = utcnow()
    _revision(note, user, "form")
    search.enqueue("note", note.id)
    return note


def _apply_body(note, body):
    """Bring the live document to ``body`` too, so live editors see the change."""
    from . import live

    if body == note.body and note.crdt_state is not None:
        note.body = body
        return
    if not live.edit_live(note, body):
        state = note.crdt_state if note.crdt_state is not None else crdt.new_state(note.body)
        note.crdt_state, _update = crdt.edited_state(state, body)
        note.crdt_updated_at = utcnow()
    note.body = body


def save_live(note, text, authors):
    """A revision from the live document's text, written by ``authors`` (users)."""
    text = text[:MAX_BODY]
    if text == note.body:
        return None
    note.body = text
    note.revision += 1
    note.updated_at = utcnow()
    revision = _revision(note, authors[-1] if authors else None, "live", authors)
    search.enqueue("note", note.id)
    return revision


def restore(note, user, number):
    """The text of an old revision as a new revision."""
    old = revision(note, number)
    if old is None:
        raise ServiceError(_l("This revision does not exist."), status=404, code="not_found")
    return save(note, user, body=old.body, title=old.title, base_revision=note.revision, source="restore")


def revision(note, number):
    if not isinstance(number, int) or isinstance(number, bool) or not 0 < number < 2**31:
        return None
    return db.session.execute(
        sa.select(NoteRevision).where(NoteRevision.note_id == note.id, NoteRevision.number == number)
    ).scalar_one_or_none()


def revisions(note):
    return db.session.execute(
        sa.select(NoteRevision).where(NoteRevision.note_id == note.id).order_by(NoteRevision.number.desc())
        .options(sa.orm.selectinload(NoteRevision.authors), sa.orm.joinedload(NoteRevision.author))
    ).scalars().all()


def authors_of(note):
    """Everyone who wrote in the note, first contribution first."""
    seen = {}
    for rev in sorted(note.revisions, key=lambda r: r.number):
        for person in rev.authors or ([rev.author] if rev.author else []):
            seen.setdefault(person.id, person)
    return list(seen.values())


def delete_note(note, actor=None):
    from . import live

    note_id = note.id
    audit.record("note.delete", actor, note, community=note.community_id)
    live.close(note_id)
    db.session.delete(note)
    search.enqueue("note", note_id)


# --- sharing --------------------------------------------------------------------------------


def shareable_members(note):
    """Everyone the owner may share with: the community's current readers except the owner."""
    rows = db.session.execute(
        sa.select(Membership).where(Membership.community_id == note.community_id).options(sa.orm.joinedload(Membership.user))
    ).scalars().all()
    people = [m.user for m in rows if m.is_current and m.role in access.READING_ROLES and m.user_id != note.owner_id]
    return sorted(people, key=lambda u: u.display_name.lower())


def _set_shares(note, member_ids):
    ids = []
    for value in member_ids or ():
        if not isinstance(value, int) or isinstance(value, bool):
            raise ServiceError(_l("Choose members of the community."), field="members")
        if value not in ids:
            ids.append(value)
    if len(ids) > MAX_SHARES:
        raise ServiceError(_l("Choose members of the community."), field="members")
    allowed = {u.id for u in shareable_members(note)}
    if any(i not in allowed for i in ids if i != note.owner_id):
        raise ServiceError(_l("Choose members of the community."), field="members")
    keep = [i for i in ids if i != note.owner_id]
    for share in list(note.shares):
        if share.user_id not in keep:
            note.shares.remove(share)
    present = note.shared_user_ids
    added = []
    for user_id in keep:
        if user_id not in present:
            note.shares.append(NoteShare(user_id=user_id))
            added.append(user_id)
    return added


def _notify_shared(note, user_ids, actor):
    """Tell the people a note was just shared with by name (those who may read it)."""
    from ..accounts.models import User
    from ..notifications import service as notifications

    if not user_ids:
        return
    db.session.flush()
    people = db.session.execute(sa.select(User).where(User.id.in_(list(user_ids)))).scalars().all()
    excerpt = plain(note.body, community_id=note.community_id)
    notifications.notify(
        "note_shared", [u for u in people if access.can(u, "note.read", note)], community=note.community, actor=actor,
        object_kind="note", object_id=note.id, title=note.title, excerpt=excerpt[:280] + ("…" if len(excerpt) > 280 else ""),
        url=url_for("notes.show", note_id=note.id),
    )


def share(note, visibility, member_ids=()):
    """Who may read the note: only its owner ("private"), chosen members ("members"), or the whole
    community ("community"). Withdrawing is sharing less."""
    _check_visibility(visibility)
    if visibility == "members" and not member_ids:
        raise ServiceError(_l("Choose at least one member, or keep the note private."), field="members")
    sharing = visibility != "private" and visibility != note.visibility
    added = _set_shares(note, member_ids if visibility == "members" else ())
    note.visibility = visibility
    note.updated_at = utcnow()
    search.enqueue("note", note.id)
    _notify_shared(note, added, note.owner)
    if sharing:
        activity.record("note", note, "shared", note.owner)
    return note


# --- lists ----------------------------------------------------------------------------------


def _readable(user):
    shared = sa.select(NoteShare.note_id).where(NoteShare.user_id == user.id)
    return sa.or_(Note.owner_id == user.id, Note.visibility == "community", sa.and_(Note.visibility == "members", Note.id.in_(shared)))


def my_notes(user, community=None):
    """Notes the user owns or that were shared with them by name, newest first."""
    shared = sa.select(NoteShare.note_id).where(NoteShare.user_id == user.id)
    query = sa.select(Note).where(sa.or_(Note.owner_id == user.id, sa.and_(Note.visibility == "members", Note.id.in_(shared))))
    if community is not None:
        query = query.where(Note.community_id == community.id)
    rows = db.session.execute(query.order_by(Note.updated_at.desc(), Note.id.desc()).options(sa.orm.joinedload(Note.community))).scalars()
    return [n for n in rows if access.can(user, "note.read", n)]


def community_notes(community, user):
    """Notes of the community the user may read, newest first."""
    rows = db.session.execute(
        sa.select(Note).where(Note.community_id == community.id, _readable(user)).order_by(Note.updated_at.desc(), Note.id.desc())
        .options(sa.orm.joinedload(Note.owner))
    ).scalars()
    return [n for n in rows if access.can(user, "note.read", n)]


# --- diffs ----------------------------------------------------------------------------------


@dataclass
class DiffLine:
    kind: str  # "same", "added", "removed"
    text: str
    old: int | None
    new: int | None


def diff(old_text, new_text, context=3):
    """Line by line, with ``context`` unchanged lines around each change; None separates hunks."""
    old_lines, new_lines = old_text.splitlines(), new_text.splitlines()
    lines = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        if lines:
            lines.append(None)
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [DiffLine("same", old_lines[i], i + 1, j1 + (i - i1) + 1) for i in range(i1, i2)]
                continue
            lines += [DiffLine("removed", old_lines[i], i + 1, None) for i in range(i1, i2)]
            lines += [DiffLine("added", new_lines[j], None, j + 1) for j in range(j1, j2)]
    return lines


# --- search ---------------------------------------------------------------------------------


def readers(note):
    if note.visibility == "community":
        return search.community_readers(note.community_id)
    people = {note.owner_id} | (note.shared_user_ids if note.visibility == "members" else set())
    return [search.member_principal(note.community_id, i) for i in sorted(p for p in people if p)]


def to_document(note):
    if note.hidden_at is not None:  # hidden pending moderation: out of the index until restored
        return None
    return SearchDocument(
        kind="note", id=note.id, community_id=note.community_id, readers=readers(note), title=note.title,
        body=plain(note.body, community_id=note.community_id), url=url_for("notes.show", note_id=note.id), language="fr", updated_at=note.updated_at,
    )


def load(ids):
    return db.session.execute(sa.select(Note).where(Note.id.in_(ids)).options(sa.orm.selectinload(Note.shares))).scalars().all()


def all_ids():
    return db.session.execute(sa.select(Note.id)).scalars().all()
