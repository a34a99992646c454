"""Resource repository: files and links with metadata, versions, text extraction."""


def init_app(app):
    """Declare resources to the search (kinds are registered once per process, before catch-up)."""
    from .. import search
    from ..notifications.mail import register_periodic
    from .service import SWEEP_SECONDS, all_ids, load, sweep_uploads, to_document

    search.register("resource", to_document, load, all_ids=all_ids)
    register_periodic("orphan-uploads", sweep_uploads, SWEEP_SECONDS)
