"""Resource repository: files and links with metadata, versions, text extraction."""


def init_app(app):
    """Declare resources to the search (kinds are registered once per process, before catch-up)."""
    from .. import search
    from .service import all_ids, load, to_document

    search.register("resource", to_document, load, all_ids=all_ids)
