"""Form helpers shared by the feature packages."""
from flask_babel import lazy_gettext as _l
from wtforms import ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, Length

from .timeutil import is_valid_timezone


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
