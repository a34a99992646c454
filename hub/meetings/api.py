"""Polls, meetings and the calendar in the JSON API (/api/v1)."""
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app, jsonify, request, url_for
from flask_babel import gettext as _

from ..api import bp
from ..api.helpers import ApiError, _storable, invalid, json_body, refuse_unknown_fields, require_user, service_error, string_field
from ..api.serializers import iso, user_json
from ..api.views import _community, _require
from ..exceptions import ServiceError
from ..extensions import db
from ..timeutil import is_valid_timezone, utcnow
from . import ics, service
from .models import Meeting, Poll, PollSlot
from .views import ics_response

POLL_FIELDS = {"title", "description", "duration_minutes", "timezone", "slots", "deadline", "invitees", "location", "remote_url"}
INVITEE_FIELDS = {"community", "users", "guests"}






def _url(data, name):
    value = string_field(data, name, 2000, missing="")
    if value and not value.lower().startswith(("https://", "http://")):
        raise invalid({name: _("Enter a full web address, starting with https://")})
    return value


def _slots(value, tz_name, duration):
    if not isinstance(value, list):
        raise invalid({"slots": _("A list of start times (ISO 8601).")})
    if len(value) > service.MAX_SLOTS:
        raise invalid({"slots": _("Propose at most %(max)d time slots.", max=service.MAX_SLOTS)})
    slots = []
    for item in value:
        if isinstance(item, dict):
            if set(item) - {"start", "end"} or "start" not in item:
                raise invalid({"slots": _("Each slot is a start time, or an object with start and end.")})
            start = service.parse_iso(item["start"], tz_name)
            end = service.parse_iso(item["end"], tz_name) if item.get("end") is not None else start + timedelta(minutes=duration)
        else:
            start = service.parse_iso(item, tz_name)
            end = start + timedelta(minutes=duration)
        slots.append((start, end))
    return slots


def _invitees(value):
    if value is None:
        return True, [], []
    if not isinstance(value, dict) or set(value) - INVITEE_FIELDS:
        raise invalid({"invitees": _("An object with community (true or false), users (ids) and guests (emails).")})
    everyone = value.get("community", True)
    users = value.get("users") or []
    guests = value.get("guests") or []
    if not isinstance(everyone, bool):
        raise invalid({"invitees": _("community must be true or false.")})
    if not isinstance(users, list) or not all(isinstance(u, int) and not isinstance(u, bool) and 0 < u < 2**31 for u in users):
        raise invalid({"invitees": _("users must be a list of user ids.")})
    if not isinstance(guests, list) or not all(isinstance(e, str) and _storable(e) for e in guests):
        raise invalid({"invitees": _("guests must be a list of email addresses.")})
    return everyone, users, guests


def poll_json(poll, user, guest_links=None):
    tallies = {t.slot.id: t for t in service.tallies(poll)}
    mine = service.invitee_for(poll, user, create=False)
    data = {
        "id": poll.id, "community": poll.community.slug, "title": poll.title, "description": poll.description,
        "duration_minutes": poll.duration_minutes, "timezone": poll.timezone, "location": poll.location or None,
        "remote_url": poll.remote_url or None, "deadline": iso(poll.deadline), "status": poll.status, "open": poll.is_open,
        "invite_all": poll.invite_all, "organizer": user_json(poll.organizer) if poll.organizer else None,
        "meeting_id": poll.meeting.id if poll.meeting else None,
        "url": url_for("meetings.poll", poll_id=poll.id, _external=True), "created_at": iso(poll.created_at),
        "slots": [
            {"id": s.id, "start": iso(s.start), "end": iso(s.end), "yes": tallies[s.id].yes, "ifneedbe": tallies[s.id].ifneedbe,
             "no": tallies[s.id].no, "best": tallies[s.id].best}
            for s in poll.slots
        ],
        "participants": [
            {"name": invitee.display_name, "user_id": invitee.user_id, "guest": invitee.is_guest, "comment": invitee.comment or None,
             "answers": {str(k): v for k, v in answers.items()}}
            for invitee, answers in service.respondents(poll)
        ],
        "my_answers": {str(a.slot_id): a.value for a in mine.answers} if mine is not None else {},
    }
    if guest_links is not None:
        data["guest_links"] = {email: url_for("meetings.guest_poll", token=raw, _external=True) for email, raw in guest_links.items()}
    return data


def meeting_json(meeting, user):
    return {
        "id": meeting.id, "uid": meeting.uid, "sequence": meeting.sequence, "kind": meeting.kind, "community": meeting.community.slug,
        "title": meeting.title, "description": meeting.description, "location": meeting.location or None,
        "remote_url": meeting.remote_url or None, "start": iso(meeting.start), "end": iso(meeting.end), "timezone": meeting.timezone,
        "rrule": meeting.rrule or None, "status": "cancelled" if meeting.is_cancelled else "confirmed",
        "organizer": user_json(meeting.organizer) if meeting.organizer else None, "poll_id": meeting.poll_id,
        "url": url_for("meetings.show", meeting_id=meeting.id, _external=True),
        "ics_url": url_for("api.meeting_ics", meeting_id=meeting.id, _external=True),
        "attendance": service.attendance_counts(meeting), "my_attendance": service.attendance_of(meeting, user),
        "occurrence_changes": [
            {"recurrence_id": iso(o.recurrence_id), "cancelled": o.cancelled, "start": iso(o.start), "end": iso(o.end)}
            for o in meeting.overrides
        ],
        "agenda": [
            {"id": i.id, "title": i.title, "details": i.details, "support": len(i.supports), "author": i.author.display_name if i.author else None}
            for i in service.agenda(meeting)
        ],
        "follow_ups": [
            {"id": f.id, "what": f.what, "who": f.who or None, "due": f.due.isoformat() if f.due else None, "done": f.done_at is not None}
            for f in meeting.follow_ups
        ],
        "resources": [{"id": r.id, "title": r.title} for r in service.mentioned_resources(meeting, user)],
    }


def _poll(poll_id, action):
    poll = service.get(Poll, poll_id)
    if poll is None:
        raise ApiError(404)
    return poll, _require(action, poll)


@bp.route("/communities/<slug>/polls", methods=["POST"])
def create_poll(slug):
    community = _community(slug)
    user = _require("poll.create", community)
    data = json_body()
    refuse_unknown_fields(data, POLL_FIELDS)
    title = string_field(data, "title", 200, required=True, missing="")
    description = string_field(data, "description", 10000, missing="", multiline=True)
    location = string_field(data, "location", 300, missing="")
    remote_url = _url(data, "remote_url")
    tz_name = data.get("timezone")
    if not is_valid_timezone(tz_name):
        raise invalid({"timezone": _("Choose a time zone from the list.")})
    duration = data.get("duration_minutes")
    everyone, users, guests = _invitees(data.get("invitees"))
    try:
        service.check_duration(duration)
        slots = _slots(data.get("slots"), tz_name, duration)
        deadline = service.parse_iso(data["deadline"], tz_name, field="deadline") if data.get("deadline") is not None else None
        poll, links = service.create_poll(
            community, user, title=title, description=description, duration_minutes=duration, tz_name=tz_name, slots=slots,
            deadline=deadline, location=location, remote_url=remote_url, invite_all=everyone, user_ids=users, guest_emails=guests,
        )
    except ServiceError as error:
        db.session.rollback()
        raise service_error(error)
    db.session.commit()
    return jsonify(poll_json(poll, user, guest_links=links)), 201


@bp.route("/polls/<int:poll_id>", methods=["GET"])
def get_poll(poll_id):
    poll, user = _poll(poll_id, "poll.read")
    return jsonify(poll_json(poll, user))


@bp.route("/polls/<int:poll_id>/answers", methods=["PUT"])
def answer_poll(poll_id):
    poll, user = _poll(poll_id, "poll.answer")
    data = json_body()
    if set(data) - {"answers", "comment"}:
        raise invalid({"answers": _("Send answers and, optionally, a comment.")})
    answers = data.get("answers")
    if not isinstance(answers, dict) or not all(isinstance(v, str) for v in answers.values()):
        raise invalid({"answers": _("An object: slot id → yes, ifneedbe or no.")})
    comment = data.get("comment")
    if comment is not None and (not isinstance(comment, str) or not _storable(comment)):
        raise invalid({"comment": _("Must be a string.")})
    try:
        service.answer(poll, service.invitee_for(poll, user), answers, comment)
    except ServiceError as error:
        db.session.rollback()
        raise service_error(error)
    db.session.commit()
    return jsonify(poll_json(poll, user))


@bp.route("/polls/<int:poll_id>/finalize", methods=["POST"])
def finalize_poll(poll_id):
    poll, user = _poll(poll_id, "poll.manage")
    data = json_body()
    slot_id = data.get("slot_id")
    if set(data) - {"slot_id"} or not isinstance(slot_id, int) or isinstance(slot_id, bool):
        raise invalid({"slot_id": _("Choose one of the poll's slots.")})
    try:
        meeting = service.finalize(poll, user, service.get(PollSlot, slot_id))
    except ServiceError as error:
        db.session.rollback()
        raise service_error(error)
    db.session.commit()
    return jsonify({"meeting_id": meeting.id, "url": url_for("meetings.show", meeting_id=meeting.id, _external=True)}), 201


def _meeting(meeting_id):
    meeting = service.get(Meeting, meeting_id)
    if meeting is None:
        raise ApiError(404)
    return meeting, _require("meeting.read", meeting)


@bp.route("/meetings/<int:meeting_id>", methods=["GET"])
def get_meeting(meeting_id):
    meeting, user = _meeting(meeting_id)
    return jsonify(meeting_json(meeting, user))


@bp.route("/meetings/<int:meeting_id>.ics", methods=["GET"])
def meeting_ics(meeting_id):
    meeting, _user = _meeting(meeting_id)
    return ics_response(ics.document([meeting]), f"meeting-{meeting.id}.ics")


CALENDAR_YEARS = (1970, 2100)  # as the month pages: far enough, and clear of datetime's limits


def _moment_arg(name, tz_name, default):
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        if len(raw) == 10:
            day = datetime.strptime(raw, "%Y-%m-%d").date()
            moment = datetime.combine(day, time(0), tzinfo=ZoneInfo(tz_name)).astimezone(timezone.utc)
        else:
            moment = service.parse_iso(raw, tz_name, field=name)
    except (ValueError, OverflowError, ServiceError):
        raise invalid({name: _("A date (2025-03-04) or a date and time in ISO 8601.")}) from None
    low, high = CALENDAR_YEARS
    if not low <= moment.year <= high:
        raise invalid({name: _("Choose a date between %(low)d and %(high)d.", low=low, high=high)})
    return moment


@bp.route("/communities/<slug>/calendar", methods=["GET"])
def community_calendar(slug):
    community = _community(slug)
    user = _require("community.read", community)
    tz_name = user.timezone if is_valid_timezone(user.timezone) else current_app.config["DEFAULT_TIMEZONE"]
    start = _moment_arg("from", tz_name, utcnow().replace(microsecond=0))
    end = _moment_arg("to", tz_name, start + timedelta(days=31))
    try:
        occurrences = service.calendar(community, start, end)
    except ServiceError as error:
        raise service_error(error)
    return jsonify({
        "from": iso(start), "to": iso(end),
        "occurrences": [
            {"meeting_id": o.meeting.id, "kind": o.meeting.kind, "title": o.title, "start": iso(o.start), "end": iso(o.end),
             "recurrence_id": iso(o.recurrence_id), "location": o.location or None,
             "url": url_for("meetings.show", meeting_id=o.meeting.id, _external=True)}
            for o in occurrences
        ],
    })


@bp.route("/me/calendar-feed", methods=["GET"])
def calendar_feed():
    user = require_user()
    feed = service.feed_for(user)
    db.session.commit()
    return jsonify({"url": service.feed_url(feed)})
