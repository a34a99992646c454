"""Time helpers: everything is stored in UTC, timezone-aware."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, available_timezones

import sqlalchemy as sa


def utcnow():
    return datetime.now(timezone.utc)


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC time is expected")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


_ZONES = None


def valid_timezones():
    global _ZONES
    if _ZONES is None:
        _ZONES = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/", "posix/", "right/")))
    return _ZONES


def is_valid_timezone(name):
    if not isinstance(name, str) or name not in set(valid_timezones()):
        return False
    try:
        ZoneInfo(name)
    except Exception:
        return False
    return True


# --- time zones as people name them ----------------------------------------------------------

# The Canadian zones, east to west, with the cities that name them; shown first in every list.
CANADIAN_ZONES = (
    ("America/St_Johns", "St. John's"),
    ("America/Halifax", "Halifax, Moncton"),
    ("America/Blanc-Sablon", "Blanc-Sablon"),
    ("America/Toronto", "Montréal, Toronto"),
    ("America/Winnipeg", "Winnipeg"),
    ("America/Regina", "Regina"),
    ("America/Edmonton", "Edmonton, Calgary"),
    ("America/Vancouver", "Vancouver"),
    ("America/Whitehorse", "Whitehorse, Dawson"),
)
_SAME_AS = {"America/Montreal": "America/Toronto"}  # an old name of the zone


def _babel_locale(locale):
    text = str(locale or "fr_CA")
    return "en" if text.lower().startswith("en") else "fr_CA"


def zone_label(name, locale="fr_CA"):
    """A zone as people say it, in their language: "Heure de l'Est (Montréal, Toronto)",
    "Central European Time (Paris)"; the zone's identifier when Babel does not know it."""
    from babel.dates import get_timezone_location, get_timezone_name

    locale = _babel_locale(locale)
    if not name:
        return ""
    name = _SAME_AS.get(name, name)
    cities = dict(CANADIAN_ZONES).get(name)
    try:
        generic = get_timezone_name(name, width="long", zone_variant="generic", locale=locale)
        if cities is None:
            cities = get_timezone_location(name, locale=locale, return_city=True)
    except (LookupError, ValueError):
        return name.replace("_", " ")
    if "(" in generic:  # Babel has no name for the zone, only its place: the place and the identifier
        return f"{cities} ({name.replace('_', ' ')})"
    generic = generic.replace("\u2019", "'")
    return f"{generic[:1].upper()}{generic[1:]} ({cities})"


_CHOICES = {}


def zone_choices(locale="fr_CA"):
    """(zone, label) for every valid zone: the Canadian ones first (east to west), then the others
    by label."""
    locale = _babel_locale(locale)
    if locale not in _CHOICES:
        canadian = [name for name, _cities in CANADIAN_ZONES if is_valid_timezone(name)]
        labels = {}  # label → zone: an old alias ("Canada/Central") with the label of a zone listed is left out
        for z in canadian + sorted(z for z in valid_timezones() if z not in canadian and z not in _SAME_AS):
            labels.setdefault(zone_label(z, locale), z)
        pairs = [(z, label) for label, z in labels.items()]
        _CHOICES[locale] = pairs[:len(canadian)] + sorted(pairs[len(canadian):], key=lambda pair: (pair[1].casefold(), pair[0]))
    return _CHOICES[locale]
