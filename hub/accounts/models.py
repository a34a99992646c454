import hashlib
import secrets

import sqlalchemy as sa
from flask_login import UserMixin

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow

AVATAR_COLOURS = 8


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id = sa.Column(sa.Integer, primary_key=True)
    email = sa.Column(sa.String(254), nullable=False, unique=True)
    password_hash = sa.Column(sa.String(255), nullable=False)
    display_name = sa.Column(sa.String(120), nullable=False)
    organization = sa.Column(sa.String(200), nullable=False, default="")
    job_title = sa.Column(sa.String(200), nullable=False, default="")
    bio = sa.Column(sa.Text, nullable=False, default="")
    expertise = sa.Column(sa.String(500), nullable=False, default="")
    languages = sa.Column(sa.String(200), nullable=False, default="")
    timezone = sa.Column(sa.String(64), nullable=False, default="America/Toronto")
    locale = sa.Column(sa.String(10), nullable=False, default="fr_CA")
    # Hours before a meeting to send its reminder email; 0 for none.
    reminder_hours = sa.Column(sa.Integer, nullable=False, default=24, server_default="24")
    avatar_file = sa.Column(sa.String(100))
    avatar_type = sa.Column(sa.String(40))
    is_admin = sa.Column(sa.Boolean, nullable=False, default=False)
    is_active_account = sa.Column(sa.Boolean, nullable=False, default=True)
    # Bumped when the password changes: invalidates reset links and remember-me cookies.
    session_version = sa.Column(sa.Integer, nullable=False, default=1)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    last_seen_at = sa.Column(UTCDateTime)
    hidden_at = sa.Column(UTCDateTime)  # profile details hidden pending moderation (hub/moderation)

    memberships = db.relationship("Membership", back_populates="user", cascade="all, delete-orphan")
    tokens = db.relationship("ApiToken", back_populates="user", cascade="all, delete-orphan")

    @property
    def is_active(self):
        return self.is_active_account

    def get_id(self):
        return f"{self.id}:{self.session_version}"

    @property
    def expertise_tags(self):
        return [t.strip() for t in self.expertise.split(",") if t.strip()]

    @property
    def language_list(self):
        return [t.strip() for t in self.languages.split(",") if t.strip()]

    @property
    def initials(self):
        words = [w for w in self.display_name.replace("-", " ").split() if w]
        letters = "".join(w[0] for w in words[:2]) or self.email[:1]
        return letters.upper()

    @property
    def avatar_colour(self):
        return self.id % AVATAR_COLOURS if self.id else 0

    def __repr__(self):
        return f"<User {self.id} {self.email}>"


def hash_token(raw):
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    name = sa.Column(sa.String(100), nullable=False)
    token_hash = sa.Column(sa.String(64), nullable=False, unique=True)
    prefix = sa.Column(sa.String(12), nullable=False)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    last_used_at = sa.Column(UTCDateTime)
    revoked_at = sa.Column(UTCDateTime)

    user = db.relationship("User", back_populates="tokens")

    @classmethod
    def issue(cls, user, name):
        """Create a token; the raw value is returned once and only its hash is kept."""
        raw = "hub_" + secrets.token_urlsafe(32)
        token = cls(user=user, name=name, token_hash=hash_token(raw), prefix=raw[:10])
        db.session.add(token)
        return token, raw

    @classmethod
    def find_active(cls, raw):
        if not raw or len(raw) > 200:
            return None
        token = db.session.execute(sa.select(cls).where(cls.token_hash == hash_token(raw))).scalar_one_or_none()
        if token is None or token.revoked_at is not None or not token.user.is_active:
            return None
        return token


class PendingRegistration(db.Model):
    """A registration waiting for its emailed link to be opened: the account is created only then,
    so an address gets an account only when its owner confirms it, and registering answers the
    same whether or not the address already has an account."""

    __tablename__ = "pending_registrations"

    id = sa.Column(sa.Integer, primary_key=True)
    email = sa.Column(sa.String(254), nullable=False, index=True)
    password_hash = sa.Column(sa.String(255), nullable=False)
    display_name = sa.Column(sa.String(120), nullable=False)
    organization = sa.Column(sa.String(200), nullable=False, default="")
    job_title = sa.Column(sa.String(200), nullable=False, default="")
    locale = sa.Column(sa.String(10), nullable=False, default="fr_CA")
    timezone = sa.Column(sa.String(64), nullable=False, default="America/Toronto")
    # The invitation whose link opened the registration: the new account joins by it.
    invitation_id = sa.Column(sa.Integer, sa.ForeignKey("invitations.id", ondelete="CASCADE"), index=True)
    next_path = sa.Column(sa.String(500), nullable=False, default="")
    token_hash = sa.Column(sa.String(64), nullable=False, unique=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = sa.Column(UTCDateTime, nullable=False, index=True)

    invitation = db.relationship("Invitation")

    @classmethod
    def by_token(cls, raw):
        """The registration a link names, while it is still valid."""
        if not raw or len(raw) > 200:
            return None
        pending = db.session.execute(sa.select(cls).where(cls.token_hash == hash_token(raw))).scalar_one_or_none()
        if pending is None or pending.expires_at <= utcnow():
            return None
        return pending
