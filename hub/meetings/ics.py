"""iCalendar (RFC 5545) documents: invitations (METHOD:REQUEST), cancellations (METHOD:CANCEL)
and calendar feeds. One VEVENT per meeting with its stable UID and SEQUENCE; a recurring
meeting carries its RRULE, EXDATEs for cancelled occurrences, and one more VEVENT with a
RECURRENCE-ID for each changed occurrence."""
import calendar as month_calendar
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vCalAddress, vRecur, vText

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


def _description(meeting, reader=None):
    """The text of the event: its description (references as the titles ``reader`` may read),
    the remote address and the meeting's page."""
    from ..markup import references_text

    page = url_for("meetings.show", meeting_id=meeting.id, _external=True)
    text = references_text(meeting.description.strip(), reader, meeting.community_id, links=False)
    parts = [text] if text else []
    if meeting.remote_url:
        parts.append(meeting.remote_url)
    parts.append(page)
    return "\n\n".join(parts)


def _base_event(meeting, zone, cancelled=False, reader=None):
    event = Event()
    event.add("uid", meeting.uid)
    event.add("dtstamp", utcnow().astimezone(timezone.utc))
    event.add("sequence", meeting.sequence)
    event.add("summary", meeting.title)
    event.add("description", _description(meeting, reader))
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


def meeting_events(meeting, method=None, recipient=None, reader=None):
    """The VEVENTs of one meeting (the series, then its changed occurrences)."""
    zone = ZoneInfo(meeting.timezone)
    events = []
    master = _base_event(meeting, zone, cancelled=method == "CANCEL", reader=reader)
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
            event = _base_event(meeting, zone, reader=reader)
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


# --- time zones -------------------------------------------------------------------------------
# Every TZID used gets its VTIMEZONE, written as Google Agenda and Outlook write theirs: one
# STANDARD and one DAYLIGHT observance repeating yearly (RRULE with BYDAY). Outlook ignores the
# RDATE lists icalendar's add_missing_timezones() produces, and then shows every summer
# occurrence of a recurring meeting an hour off. A zone whose changes follow no fixed yearly
# rule over the years checked gets the explicit dates instead.

RULE_YEARS = 25  # the yearly rule must give the zone's own changes this many years ahead
WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def _offset_changes(zone, year):
    """Each change of UTC offset in the year: (local wall time it happens at, in the old offset;
    old offset; new offset; abbreviation after; daylight saving after)."""
    def offset(moment):
        return moment.astimezone(zone).utcoffset()

    found = []
    day = datetime(year, 1, 1, tzinfo=timezone.utc)
    end = datetime(year + 1, 1, 1, tzinfo=timezone.utc)
    while day < end:
        following = day + timedelta(days=1)
        if offset(day) != offset(following):
            moment = day
            for step in (timedelta(hours=1), timedelta(minutes=1)):
                while moment + step <= following and offset(moment + step) == offset(moment):
                    moment += step
            after = (moment + timedelta(minutes=1)).astimezone(zone)
            before = offset(moment)
            found.append(((after.astimezone(timezone.utc) + before).replace(tzinfo=None), before, after.utcoffset(),
                          after.tzname(), bool(after.dst())))
        day = following
    return found


def _rule_day(year, month, byday):
    nth, weekday = int(byday[:-2]), WEEKDAY_CODES.index(byday[-2:])
    if nth > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))
    last = date(year, month, month_calendar.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _byday_candidates(onset):
    code = WEEKDAY_CODES[onset.weekday()]
    nth = (onset.day - 1) // 7 + 1
    is_last = onset.day + 7 > month_calendar.monthrange(onset.year, onset.month)[1]
    return ([f"-1{code}"] if is_last else []) + ([f"{nth}{code}"] if nth <= 4 else [])


def _yearly_rules(zone, year):
    """[(change, BYDAY)] when each of the year's changes repeats yearly on the same weekday rule
    for RULE_YEARS years, else None."""
    changes = _offset_changes(zone, year)
    later = [_offset_changes(zone, y) for y in range(year + 1, year + RULE_YEARS)]
    rules = []
    for index, change in enumerate(changes):
        onset = change[0]
        for byday in _byday_candidates(onset):
            expected = [
                (datetime.combine(_rule_day(y, onset.month, byday), onset.time()),) + change[1:3] for y in range(year + 1, year + RULE_YEARS)
            ]
            if all(len(found) == len(changes) and found[index][:3] == want for found, want in zip(later, expected)):
                rules.append((change, byday))
                break
        else:
            return None
    if not changes and any(later):
        return None
    return rules


def _observance(change, byday=None):
    onset, before, after, name, daylight = change
    observance = TimezoneDaylight() if daylight else TimezoneStandard()
    observance.add("tzname", name)
    observance.add("dtstart", onset)
    observance.add("tzoffsetfrom", before)
    observance.add("tzoffsetto", after)
    if byday:
        observance.add("rrule", {"FREQ": "YEARLY", "BYMONTH": onset.month, "BYDAY": byday})
    return observance


@lru_cache(maxsize=64)
def _vtimezone_ical(tz_name, first_year):
    zone = ZoneInfo(tz_name)
    rules = _yearly_rules(zone, first_year)
    if rules is None:
        # Explicit dates, from the first event to well past today (series may run on).
        last_year = max(first_year, utcnow().year) + RULE_YEARS
        vtimezone = Timezone.from_tzinfo(zone, tz_name, first_date=date(first_year, 1, 1), last_date=date(last_year, 1, 1))
    else:
        vtimezone = Timezone()
        vtimezone.add("tzid", tz_name)
        vtimezone.add("x-lic-location", tz_name)
        if rules:
            for change, byday in rules:
                vtimezone.add_component(_observance(change, byday))
        else:
            moment = datetime(first_year, 1, 1, tzinfo=zone)
            offset = moment.utcoffset()
            vtimezone.add_component(_observance((datetime(first_year, 1, 1), offset, offset, moment.tzname(), False)))
    return vtimezone.to_ical()


def vtimezone(tz_name, first_year):
    """The VTIMEZONE of a zone, valid from the start of ``first_year``."""
    return Timezone.from_ical(_vtimezone_ical(tz_name, first_year))


def _add_timezones(calendar):
    """A VTIMEZONE, before the events, for each zone the events name."""
    first_years = {}
    for event in calendar.walk("VEVENT"):
        for name in ("DTSTART", "DTEND", "RECURRENCE-ID"):
            value = event.get(name)
            tzid = value.params.get("TZID") if value is not None else None
            if tzid:
                first_years[tzid] = min(first_years.get(tzid, 9999), value.dt.year)
    known = {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")}
    for position, tzid in enumerate(sorted(set(first_years) - known)):
        try:
            ZoneInfo(tzid)
        except (ValueError, KeyError, OSError):
            continue
        calendar.subcomponents.insert(position, vtimezone(tzid, max(first_years[tzid], 1971)))


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


def invitation(meeting, method="REQUEST", recipient=None, reader=None):
    """An iTIP message for one meeting: REQUEST (new or changed) or CANCEL. ``recipient`` is
    (email, name) of the attendee it is sent to; ``reader`` their account, if any."""
    calendar = _calendar(method)
    for event in meeting_events(meeting, method, recipient, reader):
        calendar.add_component(event)
    _add_timezones(calendar)
    return calendar.to_ical().decode("utf-8")


def document(meetings, name=None, reader=None):
    """A calendar of several meetings (downloads and feeds), without iTIP method; ``reader``: whose
    access turns #references into titles."""
    calendar = _calendar(None, name)
    for meeting in meetings:
        for event in meeting_events(meeting, reader=reader):
            calendar.add_component(event)
    _add_timezones(calendar)
    return calendar.to_ical().decode("utf-8")


def uid_domain():
    host = urlsplit(current_app.config.get("BASE_URL") or "").hostname
    return host or "hub.localhost"
