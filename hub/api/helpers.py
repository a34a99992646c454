from flask import g, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from ..errors import api_error
from ..exceptions import ServiceError
from ..forms import single_line


class ApiError(HTTPException):
    """An error answered as JSON with the guide's shape."""

    def __init__(self, status, message=None, code=None, **extra):
        super().__init__(description=message)
        self.code = status
        self.response = api_error(status, message, code, **extra)


def json_body():
    """The request's JSON object, or a 400/415 explaining what is wrong with it."""
    if not request.is_json:
        raise ApiError(415, _("Send a JSON object with the header Content-Type: application/json."))
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the JSON decoder can follow
        data = None
    if data is None:
        raise ApiError(400, _("The body is not valid JSON."), code="invalid_json")
    if not isinstance(data, dict):
        raise ApiError(400, _("The body must be a JSON object."), code="invalid_json")
    return data


def invalid(fields):
    """A 422 naming the fields at fault: {field: message}."""
    return ApiError(422, _("Some fields are not valid."), code="invalid", fields={k: [str(v)] for k, v in fields.items()})


def refuse_unknown_fields(data, allowed):
    """A 422 for fields the operation does not take (a typo must not pass unnoticed)."""
    unknown = set(data) - set(allowed)
    if unknown:
        raise invalid({name: _("Unknown field.") for name in sorted(unknown)[:10]})


def string_field(data, name, max_length=None, required=False, strip=True, missing=None, multiline=False):
    """A text field of a JSON body: ``missing`` when absent (or null), a 422 when it is not a
    storable string, is empty but required, or is longer than ``max_length``. A one-line field (a
    name, a title: all but ``multiline`` ones, such as a message's body) loses its control
    characters as the pages' forms do (:func:`hub.forms.single_line`)."""
    value = data.get(name)
    if value is None:
        if required:
            raise invalid({name: _("This field is required.")})
        return missing
    if not isinstance(value, str) or not _storable(value):
        raise invalid({name: _("Must be a string.")})
    if not multiline:
        value = single_line(value)
    if strip:
        value = value.strip()
    if required and not value:
        raise invalid({name: _("This field is required.")})
    if max_length is not None and len(value) > max_length:
        raise invalid({name: _("At most %(max)d characters.", max=max_length)})
    return value


def _storable(text):
    """False for a NUL character (PostgreSQL refuses it) or a lone surrogate (not encodable as UTF-8)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def validated(form_class, data, strings=(), booleans=(), **kwargs):
    """Validate a JSON object with the same form as the HTML page (without CSRF: tokens are not cookies)."""
    errors = {}
    values = MultiDict()
    for name in strings:
        value = data.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            errors[name] = [_("Must be a string.")]
        elif not _storable(value):
            errors[name] = [_("Some of what you entered is not valid.")]
        else:
            values[name] = value
    for name in booleans:
        value = data.get(name)
        if value is None:
            continue
        if not isinstance(value, bool):
            errors[name] = [_("Must be true or false.")]
        elif value:
            values[name] = "y"
    if errors:
        raise ApiError(422, _("Some fields are not valid."), code="invalid", fields=errors)
    form = form_class(formdata=values, meta={"csrf": False}, **kwargs)
    if not form.validate():
        raise form_errors(form)
    return form


def form_errors(form):
    """A 422 naming each invalid field of a validated form."""
    return ApiError(422, _("Some fields are not valid."), code="invalid", fields={k: [str(m) for m in v] for k, v in form.errors.items()})


def service_error(error: ServiceError):
    fields = {error.field: [str(error.message)]} if error.field else None
    extra = {"fields": fields} if fields else {}
    return ApiError(error.status, str(error.message), code=error.code, **extra)


def authenticated_user():
    """The API authenticates with bearer tokens only: a browser session cookie is ignored here."""
    if getattr(g, "api_token", None) is not None:
        return current_user
    return None


def require_user():
    user = authenticated_user()
    if user is None:
        raise ApiError(401, _("Send a valid API token in the header Authorization: Bearer <token>."))
    return user
