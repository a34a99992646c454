"""Availability polls, meetings and events, agenda, follow-up, ICS, calendar feeds, reminders."""

REMINDER_INTERVAL_SECONDS = 300


def init_app(app):
    """Declare meetings to the search, and the reminder step to the email worker."""
    from .. import search
    from ..notifications.mail import register_periodic
    from .. import worker
    from .service import all_ids, load, run_notices, run_reminders, to_document

    search.register("meeting", to_document, load, all_ids=all_ids)
    register_periodic("meeting-reminders", run_reminders, REMINDER_INTERVAL_SECONDS)
    worker.register("poll-and-follow-up-reminders", run_notices, REMINDER_INTERVAL_SECONDS)
    register_kinds()


def register_kinds():
    import sqlalchemy as sa
    from flask_babel import lazy_gettext as _l

    from .. import kinds
    from ..extensions import db
    from .models import AgendaItem, FollowUp, Meeting, Poll, PollInvitee

    def recent(community):
        return db.session.execute(
            sa.select(Meeting).where(Meeting.community_id == community.id, Meeting.cancelled_at.is_(None)).order_by(Meeting.start.desc()).limit(100)
        ).scalars().all()

    kinds.register(
        "meeting", Meeting, "meeting.read", "meetings.show", "meeting_id", label=lambda m: m.title,
        noun=_l("Meeting"), attach_label=_l("Meeting: %(title)s"), icon="calendar", prefixes=("rencontre",),
        search_kind="meeting", attachable=True, recent=recent, extra={"minutes": _minutes},
        visible=lambda viewer, item: sa.exists().where(Meeting.id == item.object_id),
        actions={
            "scheduled": _l("%(actor)s scheduled %(title)s"), "moved": _l("%(actor)s moved %(title)s"),
            "cancelled": _l("%(actor)s cancelled %(title)s"),
            "occurrence_cancelled": _l("%(actor)s cancelled one occurrence of %(title)s"),
        },
    )

    def poll_visible(viewer, item):
        """Read rule ``poll.read`` as SQL: polls for the whole community, and the others for those
        invited, the organiser and the facilitators."""
        invited = sa.exists().where(PollInvitee.poll_id == Poll.id, PollInvitee.user_id == viewer.user_id, PollInvitee.revoked_at.is_(None))
        readable = sa.or_(Poll.invite_all.is_(True), Poll.organizer_id == viewer.user_id, viewer.moderates(Poll.community_id), invited)
        return sa.exists().where(Poll.id == item.object_id, readable)

    kinds.register(
        "poll", Poll, "poll.read", "meetings.poll", "poll_id", label=lambda p: p.title, noun=_l("Availability poll"),
        icon="calendar", referable=False, visible=poll_visible,
        actions={"opened": _l("%(actor)s asks when you are available for %(title)s"), "decided": _l("%(actor)s chose the date of %(title)s")},
    )
    kinds.register(
        "agenda", AgendaItem, "meeting.read", "meetings.show", "meeting_id", label=lambda a: a.title, noun=_l("Agenda topic"),
        icon="calendar", referable=False, page_of=lambda a: a.meeting_id, anchor="agenda",
        community_id=lambda a: a.meeting.community_id,
        visible=lambda viewer, item: sa.exists().where(AgendaItem.id == item.object_id),
        actions={"proposed": _l("%(actor)s proposed the agenda topic %(title)s")},
    )
    kinds.register(
        "followup", FollowUp, "meeting.read", "meetings.show", "meeting_id", label=lambda f: f.what, noun=_l("Follow-up"),
        icon="calendar", referable=False, page_of=lambda f: f.meeting_id, anchor="follow-up",
        community_id=lambda f: f.meeting.community_id,
        visible=lambda viewer, item: sa.exists().where(FollowUp.id == item.object_id),
        actions={"created": _l("%(actor)s added the follow-up %(title)s"), "done": _l("%(actor)s marked the follow-up %(title)s as done")},
    )


def _minutes(meeting, locale):
    from .service import minutes_draft

    return minutes_draft(meeting, locale)
