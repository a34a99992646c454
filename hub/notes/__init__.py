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

    from .. import kinds
    from .models import Note

    kinds.register(
        "note", Note, "note.read", "notes.show", "note_id", label=lambda n: n.title,
        noun=_l("Note"), icon="note", search_kind="note",
    )
