"""Languages and time zones: French (fr_CA) first, English complete."""
from flask import current_app, request, session
from flask_babel import format_date, format_datetime, format_time, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .extensions import babel


def supported_locales():
    return list(current_app.config["LANGUAGES"])


def normalize_locale(value):
    """Map 'fr', 'fr-CA', 'fr_CA' to 'fr_CA' and 'en', 'en-US' to 'en'; None when unsupported."""
    if not isinstance(value, str):
        return None
    value = value.replace("-", "_").strip()
    for code in supported_locales():
        if value.lower() == code.lower() or value.split("_")[0].lower() == code.split("_")[0].lower():
            return code
    return None


def select_locale():
    if getattr(current_user, "is_authenticated", False) and normalize_locale(current_user.locale):
        return normalize_locale(current_user.locale)
    chosen = normalize_locale(session.get("lang"))
    if chosen:
        return chosen
    best = request.accept_languages.best_match(["fr_CA", "fr", "fr-CA", "en"]) if request else None
    return normalize_locale(best) or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone():
    if getattr(current_user, "is_authenticated", False) and current_user.timezone:
        return current_user.timezone
    return current_app.config["DEFAULT_TIMEZONE"]


# The one place where dates, times and durations get their shape: "4 mars 2026 15 h 00", "15 h 00",
# "1 h 30" in French; "Mar 4, 2026 3:00 PM", "3:00 PM", "1 h 30" in English.


def format_moment(value, fmt="medium"):
    """A date and time in the viewer's zone and language, without seconds ("short" and "medium"
    are the same: one format everywhere); other Babel formats ("full", patterns) as asked."""
    if not value:
        return ""
    if fmt in ("medium", "short"):
        return f"{format_date(value, 'medium')} {format_time(value, 'short')}"
    return format_datetime(value, fmt)


def format_clock(value):
    """A wall-clock time (a ``datetime.time``, or a datetime already in the zone it is shown in):
    "10 h 00" in French, "10:00 AM" in English."""
    from babel.dates import format_time as babel_time

    if value is None:
        return ""
    return babel_time(value, "short", locale=get_locale())


def format_duration(minutes):
    """A duration in minutes as "45 min", "1 h", "1 h 30"."""
    hours, rest = divmod(int(minutes or 0), 60)
    if not hours:
        return _l("%(minutes)d min", minutes=rest)
    if not rest:
        return _l("%(hours)d h", hours=hours)
    return _l("%(hours)d h %(minutes)02d", hours=hours, minutes=rest)


def html_lang():
    return str(get_locale()).replace("_", "-")


def init_app(app):
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.filters["datetime"] = format_moment
    app.jinja_env.filters["clock"] = format_clock
    app.jinja_env.filters["duration"] = format_duration
    app.jinja_env.filters["date"] = lambda value, fmt="medium": format_date(value, fmt) if value else ""
    app.jinja_env.globals["html_lang"] = html_lang
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
    app.jinja_env.add_extension("jinja2.ext.i18n")
