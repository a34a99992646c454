"""Localized error pages for people, JSON errors for the API."""
import logging

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import db

log = logging.getLogger(__name__)

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    416: "range_not_satisfiable",
    422: "invalid",
    429: "rate_limited",
    500: "server_error",
}


def messages():
    return {
        400: _("The request could not be understood. Please check what you entered and try again."),
        401: _("You need to log in (or send a valid API token) to do this."),
        403: _("You do not have permission to do this."),
        404: _("This page does not exist, or you do not have access to it."),
        405: _("This action is not possible here."),
        409: _("This conflicts with the current state. Please reload and try again."),
        413: _("What you sent is too large. The limit is %(mb)s MB.", mb=_max_mb()),
        415: _("This type of content is not accepted here."),
        416: _("The requested part of the file is beyond its end. Download the whole file again."),
        422: _("Some of what you entered is not valid."),
        429: _("Too many attempts. Please wait a moment and try again."),
        500: _("Something went wrong on our side. Nothing you entered was saved; please try again."),
    }


def titles():
    return {
        400: _("Invalid request"),
        401: _("Login required"),
        403: _("Access denied"),
        404: _("Page not found"),
        405: _("Action not allowed"),
        409: _("Conflict"),
        413: _("Too large"),
        415: _("Unsupported content"),
        416: _("Part of the file not available"),
        422: _("Invalid input"),
        429: _("Too many attempts"),
        500: _("Server error"),
    }


def _max_mb():
    from flask import current_app

    return current_app.config.get("MAX_UPLOAD_MB", 50)


def wants_json():
    return request.path.startswith("/api/") or request.blueprint == "api"


def api_error(status, message=None, code=None, **extra):
    body = {"error": {"code": code or CODES.get(status, "error"), "message": message or messages().get(status, "")}}
    body["error"].update(extra)
    response = jsonify(body)
    response.status_code = status
    return response


def render_error(status, message=None):
    if wants_json():
        return api_error(status, message)
    status_for_page = status if status in CODES else 500
    return (
        render_template(
            "errors/error.html",
            status=status,
            title=titles().get(status_for_page, _("Error")),
            message=message or messages().get(status_for_page),
        ),
        status,
    )


def handle_http_exception(error):
    if error.response is not None:
        return error.response
    if error.code is None or error.code < 400:
        return error
    response = render_error(error.code, _limit_message(error))
    if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        response = _as_response(response)
        response.headers["Allow"] = ", ".join(error.valid_methods)
    if error.code == 416 and getattr(error, "length", None) is not None:
        response = _as_response(response)
        response.headers["Content-Range"] = f"{getattr(error, 'units', 'bytes')} */{error.length}"
    if error.code == 429:
        response = _as_response(response)
        retry = getattr(error, "retry_after", None)
        response.headers.setdefault("Retry-After", str(int(retry)) if retry else "60")
    return response


def _limit_message(error):
    """The message a rate limit was given (e.g. the per-account login limit), else the usual one."""
    limit = getattr(error, "limit", None)
    if error.code == 429 and getattr(limit, "error_message", None):
        return error.description
    return None


def _as_response(value):
    from flask import make_response

    return make_response(value)


def handle_csrf(error):
    message = _("This form has expired or was not sent from the hub. Please reload the page and try again.")
    return render_error(400, message)


def handle_unexpected(error):
    if isinstance(error, HTTPException):
        return handle_http_exception(error)
    log.exception("Unhandled error on %s %s", request.method, request.path)
    db.session.rollback()
    return render_error(500)


def init_app(app):
    app.register_error_handler(CSRFError, handle_csrf)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(InternalServerError, handle_unexpected)
    app.register_error_handler(Exception, handle_unexpected)
