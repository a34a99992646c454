"""iCalendar (RFC 5545) documents: invitations (METHOD:REQUEST), cancellations (METHOD:CANCEL)
and calendar feeds. One VEVENT per meeting with its stable UID and SEQUENCE; a recurring
meeting carries its RRULE, EXDATEs for cancelled occurrences, and one more VEVENT with a
RECURRENCE-ID for each changed occurrence."""
from datetime import timezone
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from icalendar import Calendar, Event, vCalAddress, vRecur, vText

from ..timeutil import utcnow

PRODID = "-//The hub//Meetings//FR"
MIMETYPE = "text/calendar; charset=utf-8"


def _local(moment, zone):
    return moment.astimezone(zone)


def _organizer(meeting):
    sender = current_app.config.get("MAIL_SENDER") or "hub@localhost"
    address = vCalAddress(f"mailto:{sender}")
    name = meeting.organizer.display_name if meeting.organizer is not None else meeting.community.name
    address.params["CN"] = vText(name)
    return address


def _attendee(email, name):
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = vText(name)
    address.params["ROLE"] = vText("REQ-PARTICIPANT")
    address.params["RSVP"] = vText("FALSE")
    return address


def _description(meeting):
    page = url_for("meetings.show", meeting_id=meeting.id, _external=True)
    parts = [meeting.description.strip()] if meeting.description.strip() else []
    if meeting.remote_url:
        parts.append(meeting.remote_url)
    parts.append(page)
    return "\n\n".join(parts)


def _base_event(meeting, zone, cancelled=False):
    event = Event()
    event.add("uid", meeting.uid)
    event.add("dtstamp", utcnow().astimezone(timezone.utc))
    event.add("sequence", meeting.sequence)
    event.add("summary", meeting.title)
    event.add("description", _description(meeting))
    location = meeting.location or meeting.remote_url
    if location:
        event.add("location", location)
    event.add("url", url_for("meetings.show", meeting_id=meeting.id, _external=True))
    event.add("status", "CANCELLED" if cancelled or meeting.is_cancelled else "CONFIRMED")
    event.add("last-modified", meeting.updated_at.astimezone(timezone.utc))
    event.add("created", meeting.created_at.astimezone(timezone.utc))
    if meeting.is_event:
        event.add("categories", ["EVENT"])
    return event


def meeting_events(meeting, method=None, recipient=None):
    """The VEVENTs of one meeting (the series, then its changed occurrences)."""
    zone = ZoneInfo(meeting.timezone)
    events = []
    master = _base_event(meeting, zone, cancelled=method == "CANCEL")
    master.add("dtstart", _local(meeting.start, zone))
    master.add("dtend", _local(meeting.end, zone))
    if method is not None:
        master.add("organizer", _organizer(meeting))
        if recipient is not None:
            master.add("attendee", _attendee(*recipient))
    if meeting.rrule:
        master.add("rrule", vRecur.from_ical(meeting.rrule))
        exdates = [_local(o.recurrence_id, zone) for o in meeting.overrides if o.cancelled]
        if exdates:
            master.add("exdate", exdates)
    events.append(master)
    if meeting.rrule and method != "CANCEL":
        duration = meeting.end - meeting.start
        for override in meeting.overrides:
            if override.cancelled:
                continue
            event = _base_event(meeting, zone)
            start = override.start or override.recurrence_id
            event.add("recurrence-id", _local(override.recurrence_id, zone))
            event.add("dtstart", _local(start, zone))
            event.add("dtend", _local(override.end or start + duration, zone))
            if override.title:
                event["summary"] = vText(override.title)
            if override.location is not None:
                if "location" in event:
                    del event["location"]
                if override.location:
                    event.add("location", override.location)
            if method is not None:
                event.add("organizer", _organizer(meeting))
                if recipient is not None:
                    event.add("attendee", _attendee(*recipient))
            events.append(event)
    return events


def _calendar(method=None, name=None):
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
    return calendar


def invitation(meeting, method="REQUEST", recipient=None):
    """An iTIP message for one meeting: REQUEST (new or changed) or CANCEL. ``recipient`` is
    (email, name) of the attendee it is sent to."""
    calendar = _calendar(method)
    for event in meeting_events(meeting, method, recipient):
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical().decode("utf-8")


def document(meetings, name=None):
    """A calendar of several meetings (downloads and feeds), without iTIP method."""
    calendar = _calendar(None, name)
    for meeting in meetings:
        for event in meeting_events(meeting):
            calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical().decode("utf-8")


def uid_domain():
    host = urlsplit(current_app.config.get("BASE_URL") or "").hostname
    return host or "hub.localhost"
