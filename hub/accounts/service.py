"""Account actions shared by the HTML views and the API."""
import hashlib
import os
import secrets
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .. import audit
from ..exceptions import ServiceError
from ..extensions import db
from ..notifications.mail import queue_email
from ..timeutil import utcnow
from .models import ApiToken, PendingRegistration, User, hash_token

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


# --- registration by emailed link -------------------------------------------------------


def request_registration(email, password, display_name, organization="", job_title="", locale="fr_CA",
                         timezone="America/Toronto", invitation=None, next_path=""):
    """Start a registration. Whoever asks gets the same answer, whether or not the address already
    has an account: a new address is sent a link that creates the account when opened; an address
    with an account is told that someone tried to register with it, with links to log in and to
    reset the password. The password is hashed either way, so both take as long."""
    email = email.strip().lower()
    password_hash = hash_password(password)
    db.session.execute(sa.delete(PendingRegistration).where(PendingRegistration.expires_at <= utcnow()))
    user = find_by_email(email)
    if user is not None:
        if user.is_active:
            base = current_app.config["BASE_URL"]
            queue_email(
                user.email, _l("Someone tried to create an account with your address"), "email/registration_attempt.txt",
                locale=user.locale, user=user, login_link=base + url_for("accounts.login"), reset_link=base + url_for("accounts.request_reset"),
            )
        return None
    raw = secrets.token_urlsafe(32)
    max_age = current_app.config["REGISTRATION_TOKEN_MAX_AGE"]
    pending = PendingRegistration(
        email=email, password_hash=password_hash, display_name=display_name.strip(),
        organization=(organization or "").strip(), job_title=(job_title or "").strip(), locale=locale, timezone=timezone,
        invitation=invitation, next_path=(next_path or "")[:500], token_hash=hash_token(raw),
        expires_at=utcnow() + timedelta(seconds=max_age),
    )
    db.session.add(pending)
    link = current_app.config["BASE_URL"] + url_for("accounts.confirm_registration", token=raw)
    queue_email(
        email, _l("Confirm your address to create your account"), "email/confirm_registration.txt",
        locale=locale, name=pending.display_name, link=link, hours=max_age // 3600,
    )
    return pending


def complete_registration(pending, invitation_required=False):
    """Create the account a confirmation link was opened for; returns ``(user, membership)``, the
    membership when the registration came from an invitation that is still pending (the account
    joins by it, and the invitation is used). Every other link for the same address dies."""
    from ..communities import service as communities

    invitation = pending.invitation
    usable = invitation is not None and invitation.status == "pending"
    if invitation_required and not usable:
        db.session.delete(pending)
        raise ServiceError(_l("The invitation this account was asked from is no longer valid: ask for a new one."), status=409, code="invitation_invalid")
    if find_by_email(pending.email) is not None:
        _forget_registrations(pending.email)
        raise ServiceError(_l("An account already uses this email address. Log in, or reset your password if you forgot it."), status=409)
    user = User(
        email=pending.email, password_hash=pending.password_hash, display_name=pending.display_name,
        organization=pending.organization, job_title=pending.job_title, locale=pending.locale, timezone=pending.timezone,
    )
    db.session.add(user)
    db.session.flush()
    membership = communities.accept_invitation(invitation, user) if usable else None
    _forget_registrations(pending.email)
    return user, membership


def _forget_registrations(email):
    db.session.execute(sa.delete(PendingRegistration).where(PendingRegistration.email == email))


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
    token, raw = ApiToken.issue(user, name)
    db.session.flush()
    audit.record("token.create", user, token, target_label=token.name)
    return token, raw


def revoke_token(token, actor=None):
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record("token.revoke", actor, token, target_label=token.name, owner_id=token.user_id)


def active_token_count(user):
    return db.session.execute(
        sa.select(sa.func.count(ApiToken.id)).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).scalar_one()


def revoke_all_tokens(user):
    """Revoke every API token of ``user`` still in use; returns how many."""
    tokens = db.session.execute(sa.select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))).scalars().all()
    now = utcnow()
    for token in tokens:  # through the ORM: connections opened with them are closed after the commit
        token.revoked_at = now
    return len(tokens)


# --- password changes -----------------------------------------------------------------


def reset_password(user, password):
    """A new password from an emailed reset link: whoever asked may not be the one who made the
    tokens (the account may have been taken over), so every API token is revoked. Returns how many."""
    set_password(user, password)
    revoked = revoke_all_tokens(user)
    audit.record("account.password_reset", user, user, api_tokens_revoked=revoked)
    return revoked


def change_password(user, password, keep_tokens=False):
    """A new password chosen by the signed-in person: the API tokens are revoked unless they keep
    them. Returns ``(revoked, kept)`` counts."""
    set_password(user, password)
    if keep_tokens:
        revoked, kept = 0, active_token_count(user)
    else:
        revoked, kept = revoke_all_tokens(user), None
    audit.record("account.password_change", user, user, api_tokens_revoked=revoked, api_tokens_kept=kept)
    return revoked, kept or 0
