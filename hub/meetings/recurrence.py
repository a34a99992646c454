"""Recurrence rules: the few patterns offered to people, validated RRULEs, and occurrences.

Occurrences are computed in the meeting's own time zone (wall-clock time is kept across
daylight-saving changes: a 14:00 meeting stays at 14:00), then given in UTC.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrulestr

ALLOWED_FREQUENCIES = {DAILY, WEEKLY, MONTHLY, YEARLY}
MAX_OCCURRENCES = 2000  # in any one window asked for
PATTERNS = ("none", "weekly", "biweekly", "monthly_weekday", "monthly_day")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


class InvalidRule(ValueError):
    pass


def rule_for(pattern, local_start, until=None):
    """The RRULE text for a pattern offered in the form, anchored on the local start."""
    if pattern in (None, "", "none"):
        return ""
    if pattern == "weekly":
        rule = "FREQ=WEEKLY"
    elif pattern == "biweekly":
        rule = "FREQ=WEEKLY;INTERVAL=2"
    elif pattern == "monthly_weekday":
        nth = (local_start.day - 1) // 7 + 1
        # The fifth weekday of a month does not always exist: use "the last one" instead.
        rule = f"FREQ=MONTHLY;BYDAY={'-1' if nth >= 5 else nth}{WEEKDAYS[local_start.weekday()]}"
    elif pattern == "monthly_day":
        rule = "FREQ=MONTHLY"
    else:
        raise InvalidRule(pattern)
    if until is not None:
        rule += ";UNTIL=" + until.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return rule


def pattern_of(rule):
    """The form's pattern for a stored rule (best effort, for editing)."""
    if not rule:
        return "none"
    parts = dict(p.split("=", 1) for p in rule.split(";") if "=" in p)
    if parts.get("FREQ") == "WEEKLY":
        return "biweekly" if parts.get("INTERVAL") == "2" else "weekly"
    if parts.get("FREQ") == "MONTHLY":
        return "monthly_weekday" if "BYDAY" in parts else "monthly_day"
    return "none"


def until_of(rule):
    parts = dict(p.split("=", 1) for p in (rule or "").split(";") if "=" in p)
    value = parts.get("UNTIL")
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def validate(rule, start_utc, tz_name):
    """Raise InvalidRule unless the rule parses and repeats at most daily."""
    if not rule:
        return
    if not isinstance(rule, str) or len(rule) > 300 or any(c in rule for c in "\r\n:"):
        raise InvalidRule(rule)
    try:
        parsed = rrulestr(rule, dtstart=start_utc.astimezone(ZoneInfo(tz_name)))
    except (ValueError, TypeError) as error:
        raise InvalidRule(rule) from error
    if parsed._freq not in ALLOWED_FREQUENCIES:
        raise InvalidRule(rule)


@dataclass
class Occurrence:
    meeting: object
    start: datetime  # UTC
    end: datetime  # UTC
    recurrence_id: datetime | None  # UTC original start, for occurrences of a recurring meeting
    title: str
    location: str
    moved: bool = False

    @property
    def key(self):
        """The occurrence in URLs: its original start, in UTC, compact."""
        return (self.recurrence_id or self.start).strftime("%Y%m%dT%H%M%SZ")


def parse_key(key):
    try:
        return datetime.strptime(key, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    except (TypeError, ValueError):
        return None


def original_starts(meeting, window_start, window_end):
    """Original starts (UTC) of the series in [window_start - duration, window_end)."""
    if not meeting.rrule:
        return [meeting.start] if meeting.start < window_end and meeting.end > window_start else []
    zone = ZoneInfo(meeting.timezone)
    local_start = meeting.start.astimezone(zone)
    rule = rrulestr(meeting.rrule, dtstart=local_start)
    duration = meeting.end - meeting.start
    after = (window_start - duration).astimezone(zone)
    before = window_end.astimezone(zone)
    found = []
    for moment in rule.xafter(max(after, local_start), inc=True):
        if moment >= before or len(found) >= MAX_OCCURRENCES:
            break
        found.append(moment.astimezone(timezone.utc))
    return found


def is_original_start(meeting, moment):
    """True when ``moment`` (UTC) is one of the series' original starts."""
    return moment in original_starts(meeting, moment, moment + timedelta(seconds=1))


def occurrences(meeting, window_start, window_end, include_cancelled=False):
    """The meeting's occurrences overlapping [window_start, window_end), overrides applied."""
    duration = meeting.end - meeting.start
    overrides = {o.recurrence_id: o for o in meeting.overrides} if meeting.rrule else {}
    found = []
    seen = set()
    for original in original_starts(meeting, window_start, window_end):
        seen.add(original)
        override = overrides.get(original)
        found.append(_occurrence(meeting, original, duration, override))
    # Occurrences moved into the window from outside it.
    for original, override in overrides.items():
        if original not in seen and not override.cancelled and override.start is not None:
            if override.start < window_end and (override.end or override.start + duration) > window_start and is_original_start(meeting, original):
                found.append(_occurrence(meeting, original, duration, override))
    result = []
    for occurrence in found:
        if occurrence is None:
            continue
        if occurrence.end <= window_start or occurrence.start >= window_end:
            continue
        result.append(occurrence)
    if not include_cancelled:
        result = [o for o in result if not getattr(o, "cancelled", False)]
    return sorted(result, key=lambda o: o.start)


def _occurrence(meeting, original, duration, override):
    if override is not None and override.cancelled:
        return None
    recurrence_id = original if meeting.rrule else None
    if override is None:
        return Occurrence(meeting, original, original + duration, recurrence_id, meeting.title, meeting.location)
    start = override.start or original
    end = override.end or start + duration
    return Occurrence(meeting, start, end, recurrence_id, override.title or meeting.title,
                      override.location if override.location is not None else meeting.location, moved=True)
