"""Form helpers shared by the feature packages."""
import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm as _FlaskForm
from wtforms import PasswordField, StringField, TextAreaField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, Length

from .timeutil import is_valid_timezone

# Control characters (C0, DEL, C1: CR, LF, tab, NUL, ESC…) and the Unicode line and paragraph
# separators: none belongs in a one-line value, and a line break there forges lines in a header
# (a download's Content-Disposition, an email's Subject) or in the log.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def single_line(value):
    """A one-line text as it may be stored and shown: each run of control characters becomes one
    space, and the ends are trimmed. Anything but a string is returned as it is."""
    if not isinstance(value, str):
        return value
    return _CONTROL.sub(" ", value).strip()


def is_single_line_field(field_class):
    """Text inputs of one line: every string field (hidden, URL, email, search…) but text areas,
    whose line breaks are kept, and passwords, taken exactly as typed."""
    return issubclass(field_class, StringField) and not issubclass(field_class, (TextAreaField, PasswordField))


class FlaskForm(_FlaskForm):
    """The hub's forms: every one-line text field is cleaned by :func:`single_line` before its own
    filters and validators see it. Feature packages import this class, not Flask-WTF's."""

    class Meta(_FlaskForm.Meta):
        def bind_field(self, form, unbound_field, options):
            if is_single_line_field(unbound_field.field_class) and len(unbound_field.args) < 3:
                options = {**options, "filters": [single_line, *unbound_field.kwargs.get("filters", ())]}
            return super().bind_field(form, unbound_field, options)


def normalize_email(value):
    return (value or "").strip().lower()


class EmailAddress(Email):
    def __init__(self):
        super().__init__(message=_l("Enter a valid email address."), check_deliverability=False)

    def __call__(self, form, field):
        # No address is longer than 254 characters, and the parser takes about a second per 3 MB:
        # refuse without parsing (the field's max_len says why).
        if isinstance(field.data, str) and len(field.data) > 254:
            raise ValidationError(self.message)
        super().__call__(form, field)


def strip_filter(value):
    return value.strip() if isinstance(value, str) else value


def tags_filter(value):
    """'a, b,,a ' -> 'a, b' (trimmed, unique, order kept)."""
    if not isinstance(value, str):
        return value
    seen = []
    for tag in value.split(","):
        tag = " ".join(tag.split())
        if tag and tag.lower() not in [t.lower() for t in seen]:
            seen.append(tag[:60])
    return ", ".join(seen)


def valid_timezone(form, field):
    if not is_valid_timezone(field.data):
        raise ValidationError(_l("Choose a time zone from the list."))


def max_len(n):
    return Length(max=n, message=_l("At most %(max)d characters.", max=n))


def choices(pairs):
    """(value, label) pairs as the options of a select or radio field."""
    return [SelectChoice(value=value, label=label) for value, label in pairs]


def show_service_error(form, error, aliases=None):
    """Put a service's refusal next to the field it is about (``aliases`` maps the service's field
    names to the form's), or in a flash message; either way the form then has errors (a 422)."""
    from flask import flash

    name = (aliases or {}).get(error.field, error.field)
    field = getattr(form, name, None) if name else None
    if field is not None:
        field.errors = list(field.errors) + [str(error.message)]
    else:
        flash(str(error.message), "error")
        form.form_errors.append(str(error.message))
