"""Availability polls, meetings and events, agenda, follow-up, ICS, calendar feeds, reminders."""

REMINDER_INTERVAL_SECONDS = 300


def init_app(app):
    """Declare meetings to the search, and the reminder step to the email worker."""
    from .. import search
    from ..notifications.mail import register_periodic
    from .service import all_ids, load, run_reminders, to_document

    search.register("meeting", to_document, load, all_ids=all_ids)
    register_periodic("meeting-reminders", run_reminders, REMINDER_INTERVAL_SECONDS)
