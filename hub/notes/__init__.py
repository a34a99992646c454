"""Shared notes: private first, shared when useful, with history and live co-editing."""


def init_app(app):
    """Declare notes to the search, and start persisting live documents."""
    from .. import search
    from . import live
    from .service import all_ids, load, to_document

    search.register("note", to_document, load, all_ids=all_ids)
    live.init_app(app)

    @app.template_global()
    def attached_notes(kind, object_id):
        """The notes attached to a meeting, thread or resource that the viewer may read."""
        from flask_login import current_user

        from .service import notes_attached

        return notes_attached(kind, object_id, current_user)
