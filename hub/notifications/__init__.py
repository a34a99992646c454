"""Notifications: in-app notifications, preferences, the email outbox and digests."""


def init_app(app):
    """The digest step of the worker, and the unread count shown in the header."""
    from flask_login import current_user

    from .mail import register_periodic
    from .service import DIGEST_STEP_SECONDS, run_digests, unread_count

    register_periodic("notification-digests", run_digests, DIGEST_STEP_SECONDS)

    @app.context_processor
    def _unread():
        def count():
            if not getattr(current_user, "is_authenticated", False):
                return 0
            return unread_count(current_user)

        return {"unread_notifications": count}
