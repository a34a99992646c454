"""Limits on password guessing and on registrations, shared by the pages and the API.

Two counts slow down guessing at a password: one per IP address (``HUB_LOGIN_RATE_LIMIT``, every
attempt), and one per account (``HUB_LOGIN_ACCOUNT_RATE_LIMIT``, failed attempts only, whatever the
address they come from). The login page and ``POST /api/v1/auth/token`` count in the same two
counts, so one cannot be used to get round the other. The account's count is keyed by the
normalized email that was sent, whether or not an account uses it (a limit says nothing about
which addresses exist), and stored as a hash (no email in Redis). Registration pages count per
address in one count too (the page and ``POST /api/v1/auth/register``).
"""
import hashlib

from flask import current_app, request
from flask_babel import gettext as _

from ..extensions import limiter
from ..forms import normalize_email


def address_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


def account_limit():
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def submitted_email():
    """The email of a login attempt, from the page's form or the API's JSON body ("" when none)."""
    if request.is_json:
        try:
            data = request.get_json(silent=True)
        except RecursionError:  # nested deeper than the decoder follows: json_body answers 400
            data = None
        value = data.get("email") if isinstance(data, dict) else None
    else:
        value = request.form.get("email")
    return normalize_email(value) if isinstance(value, str) else ""


def account_key():
    return "account-" + hashlib.sha256(submitted_email().encode("utf-8", "surrogatepass")).hexdigest()


def _failed(response):
    """Only refused attempts count against an account: its owner logging in costs nothing."""
    return response.status_code in (401, 422)


def _account_message():
    return _("Too many failed attempts for this account. Wait a few minutes before trying again, or reset your password.")


# Every attempt from one IP address, on the login page and the API's token endpoint together.
login_per_address = limiter.shared_limit(address_limit, scope="login", methods=["POST"])
# Failed attempts for one account (one normalized email), from any address, on both.
login_per_account = limiter.shared_limit(
    account_limit, scope="login-account", key_func=account_key, methods=["POST"],
    exempt_when=lambda: not submitted_email(), deduct_when=_failed, error_message=_account_message,
)
# Registrations from one IP address, on the page and the API together.
registration_per_address = limiter.shared_limit(address_limit, scope="register", methods=["POST"])
