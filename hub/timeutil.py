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
