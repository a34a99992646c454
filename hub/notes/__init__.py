"""Shared notes: private first, shared when useful, with history and live co-editing."""


def init_app(app):
    """Declare notes to the search, and start persisting live documents."""
    from .. import search
    from . import live
    from .service import all_ids, load, to_document

    search.register("note", to_document, load, all_ids=all_ids)
    register_kinds()
    live.init_app(app)

    @app.template_global()
    def attached_notes(kind, object_id):
        """The notes attached to a meeting, thread or resource that the viewer may read."""
        from flask_login import current_user

        from .service import notes_attached

        return notes_attached(kind, object_id, current_user)


def register_kinds():
    from flask_babel import lazy_gettext as _l

    import sqlalchemy as sa

    from .. import kinds
    from .models import Note, NoteShare

    def visible(viewer, item):
        """Read rule ``note.read`` as SQL: its owner, everyone for a community note, the chosen members
        for a shared one; hidden pending moderation, only for its owner and the facilitators."""
        if viewer.admin:
            return sa.exists().where(Note.id == item.object_id)
        shared = sa.exists().where(NoteShare.note_id == Note.id, NoteShare.user_id == viewer.user_id)
        readable = sa.or_(Note.owner_id == viewer.user_id, Note.visibility == "community", sa.and_(Note.visibility == "members", shared))
        shown = sa.or_(Note.hidden_at.is_(None), Note.owner_id == viewer.user_id, viewer.moderates(Note.community_id))
        return sa.exists().where(Note.id == item.object_id, readable, shown)

    kinds.register(
        "note", Note, "note.read", "notes.show", "note_id", label=lambda n: n.title,
        noun=_l("Note"), icon="note", search_kind="note", visible=visible,
        actions={"shared": _l("%(actor)s shared the note %(title)s")},
    )
