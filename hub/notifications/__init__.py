"""Notifications: in-app notifications, preferences, the email outbox and digests."""


def init_app(app):
    """The digest and email outbox jobs of the worker, and the unread count shown in the header."""
    from flask_login import current_user

    from .. import worker
    from .mail import deliver_job
    from .service import DIGEST_STEP_SECONDS, notice_heading, run_digests, unread_count

    worker.register("notification-digests", run_digests, DIGEST_STEP_SECONDS)
    from .weekly import STEP_SECONDS as WEEKLY_STEP_SECONDS, run_weekly

    worker.register("weekly-email", run_weekly, WEEKLY_STEP_SECONDS)
    worker.register("email-outbox", deliver_job, 0)  # after the jobs that queue emails

    @app.context_processor
    def _unread():
        def count():
            if not getattr(current_user, "is_authenticated", False):
                return 0
            return unread_count(current_user)

        return {"unread_notifications": count, "notice_heading": notice_heading}
