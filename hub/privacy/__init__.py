"""Privacy: the policy page, each person's export and deletion of their data, and retention purges."""

PURGE_INTERVAL_SECONDS = 6 * 3600


def init_app(app):
    """Purge old emails and audit entries from the periodic worker; `flask hub purge` does it at once."""
    from ..notifications.mail import register_periodic
    from . import cli  # noqa: F401  (adds `purge` to the `flask hub` group)
    from .service import run_purge

    register_periodic("retention-purge", run_purge, PURGE_INTERVAL_SECONDS)
