"""Account actions shared by the HTML views and the API."""
import hashlib
import os
from pathlib import Path

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..exceptions import ServiceError
from ..extensions import db
from ..notifications.mail import queue_email
from .models import ApiToken, User

_HASHERS = {}

AVATAR_MAX_BYTES = 2 * 1024 * 1024
AVATAR_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}


def _hashing():
    """Argon2id with the library's recommended costs (lighter only where the config says so, in tests).

    Returns the hasher and a hash to verify against when the email is unknown, so a failed
    login takes as long whether or not the account exists.
    """
    params = current_app.config.get("PASSWORD_HASH_PARAMS") or {}
    key = tuple(sorted(params.items()))
    if key not in _HASHERS:
        hasher = PasswordHasher(**params)
        _HASHERS[key] = (hasher, hasher.hash("not a real password"))
    return _HASHERS[key]


def _hasher():
    return _hashing()[0]


def hash_password(password):
    return _hasher().hash(password)


def check_password(user, password):
    try:
        _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = _hasher().hash(password)
    return True


def find_by_email(email):
    return db.session.execute(sa.select(User).where(User.email == (email or "").strip().lower())).scalar_one_or_none()


def register(email, password, display_name, organization="", job_title="", locale="fr_CA", timezone="America/Toronto"):
    if find_by_email(email) is not None:
        raise ServiceError(_l("An account already uses this email address."), field="email", status=409)
    user = User(
        email=email.strip().lower(),
        password_hash=hash_password(password),
        display_name=display_name.strip(),
        organization=(organization or "").strip(),
        job_title=(job_title or "").strip(),
        locale=locale,
        timezone=timezone,
    )
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email, password):
    user = find_by_email(email)
    if user is None:
        try:
            hasher, dummy = _hashing()
            hasher.verify(dummy, password or "x")
        except (VerificationError, InvalidHashError):
            pass
        return None
    if not user.is_active or not check_password(user, password or ""):
        return None
    return user


def set_password(user, password):
    user.password_hash = hash_password(password)
    user.session_version = (user.session_version or 1) + 1


# --- signed links ---------------------------------------------------------------------


def _serializer(purpose):
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"hub.{purpose}")


def make_reset_token(user):
    # The hash of the current password hash makes the link single-use: it dies once the password changes.
    return _serializer("reset").dumps({"u": user.id, "p": _fingerprint(user.password_hash)})


def _fingerprint(value):
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def user_from_reset_token(token):
    try:
        data = _serializer("reset").loads(token, max_age=current_app.config["TOKEN_MAX_AGE"])
    except (BadSignature, SignatureExpired, TypeError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    user = db.session.get(User, data.get("u")) if isinstance(data.get("u"), int) else None
    if user is None or data.get("p") != _fingerprint(user.password_hash):
        return None
    return user


def send_reset_link(email):
    """Email a reset link if the account exists; say nothing either way to the asker."""
    user = find_by_email(email)
    if user is None or not user.is_active:
        return
    link = current_app.config["BASE_URL"] + url_for("accounts.reset_password", token=make_reset_token(user))
    queue_email(user.email, _l("Reset your password"), "email/reset_password.txt", locale=user.locale, user=user, link=link)


def request_email_change(user, new_email):
    if find_by_email(new_email) is not None:
        raise ServiceError(_l("An account already uses this email address."), field="email", status=409)
    token = _serializer("email").dumps({"u": user.id, "e": new_email, "old": user.email})
    link = current_app.config["BASE_URL"] + url_for("accounts.confirm_email", token=token)
    queue_email(new_email, _l("Confirm your new email address"), "email/confirm_email.txt", locale=user.locale, user=user, link=link)


def confirm_email_change(user, token):
    try:
        data = _serializer("email").loads(token, max_age=current_app.config["TOKEN_MAX_AGE"])
    except (BadSignature, SignatureExpired, TypeError, ValueError):
        return False
    if not isinstance(data, dict) or data.get("u") != user.id or data.get("old") != user.email:
        return False
    if find_by_email(data.get("e")) is not None:
        raise ServiceError(_l("An account already uses this email address."), field="email", status=409)
    user.email = data["e"]
    return True


# --- profile --------------------------------------------------------------------------

PROFILE_FIELDS = ("display_name", "organization", "job_title", "bio", "expertise", "languages", "timezone", "locale")


def update_profile(user, **values):
    for name in PROFILE_FIELDS:
        if name in values and values[name] is not None:
            setattr(user, name, values[name])


def avatar_folder():
    folder = Path(current_app.instance_path) / "avatars"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sniff_image(data):
    for signature, mimetype in AVATAR_SIGNATURES.items():
        if data.startswith(signature):
            return mimetype
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def set_avatar(user, stream):
    data = stream.read(AVATAR_MAX_BYTES + 1)
    if len(data) > AVATAR_MAX_BYTES:
        raise ServiceError(_l("The photo is larger than 2 MB."), field="avatar", status=413)
    mimetype = sniff_image(data)
    if mimetype is None:
        raise ServiceError(_l("Use a PNG, JPEG or WebP image."), field="avatar", status=415)
    name = hashlib.sha256(data).hexdigest()
    path = avatar_folder() / name
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    user.avatar_file = name
    user.avatar_type = mimetype


def avatar_path(user):
    if not user.avatar_file:
        return None
    path = avatar_folder() / user.avatar_file
    return path if path.exists() else None


# --- API tokens -----------------------------------------------------------------------


def create_token(user, name):
    from .. import audit

    token, raw = ApiToken.issue(user, name)
    db.session.flush()
    audit.record("token.create", user, token, target_label=token.name)
    return token, raw


def revoke_token(token, actor=None):
    from .. import audit
    from ..timeutil import utcnow

    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record("token.revoke", actor, token, target_label=token.name, owner_id=token.user_id)
