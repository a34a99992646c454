"""Availability polls, meetings and events, agenda, follow-up, ICS, calendar feeds, reminders."""

REMINDER_INTERVAL_SECONDS = 300


def init_app(app):
    """Declare meetings to the search, and the reminder step to the email worker."""
    from .. import search
    from ..notifications.mail import register_periodic
    from .service import all_ids, load, run_reminders, to_document

    search.register("meeting", to_document, load, all_ids=all_ids)
    register_periodic("meeting-reminders", run_reminders, REMINDER_INTERVAL_SECONDS)
    register_kinds()


def register_kinds():
    import sqlalchemy as sa
    from flask_babel import lazy_gettext as _l

    from .. import kinds
    from ..extensions import db
    from .models import Meeting

    def recent(community):
        return db.session.execute(
            sa.select(Meeting).where(Meeting.community_id == community.id, Meeting.cancelled_at.is_(None)).order_by(Meeting.start.desc()).limit(100)
        ).scalars().all()

    kinds.register(
        "meeting", Meeting, "meeting.read", "meetings.show", "meeting_id", label=lambda m: m.title,
        noun=_l("Meeting"), attach_label=_l("Meeting: %(title)s"), icon="calendar", prefixes=("rencontre",),
        search_kind="meeting", attachable=True, recent=recent, extra={"minutes": _minutes},
    )


def _minutes(meeting, locale):
    from .service import minutes_draft

    return minutes_draft(meeting, locale)
