import secrets

import sqlalchemy as sa

from ..accounts.models import hash_token
from ..extensions import db
from ..timeutil import UTCDateTime, utcnow

VISIBILITIES = ("private", "listed", "public")
ROLES = ("facilitator", "member", "guest", "observer")


class Community(db.Model):
    __tablename__ = "communities"

    id = sa.Column(sa.Integer, primary_key=True)
    slug = sa.Column(sa.String(60), nullable=False, unique=True)
    name = sa.Column(sa.String(120), nullable=False)
    mission = sa.Column(sa.Text, nullable=False, default="")
    values = sa.Column(sa.Text, nullable=False, default="")
    visibility = sa.Column(sa.String(10), nullable=False, default="private")
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    # Raised by every change to something the community holds (hub/pagecache.py): keys its cached pages.
    generation = sa.Column(sa.Integer, nullable=False, default=0, server_default="0")
    # Set by an instance admin: the community stays readable but nothing in it changes (hub/access.py).
    archived_at = sa.Column(UTCDateTime)

    memberships = db.relationship("Membership", back_populates="community", cascade="all, delete-orphan")

    def __repr__(self):
        return f"<Community {self.slug}>"


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (sa.UniqueConstraint("community_id", "user_id", name="uq_memberships_community_user"),)

    id = sa.Column(sa.Integer, primary_key=True)
    community_id = sa.Column(sa.Integer, sa.ForeignKey("communities.id", ondelete="CASCADE"), nullable=False, index=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    role = sa.Column(sa.String(12), nullable=False, default="member")
    joined_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    # Guests may be given an end date; past it they lose access.
    expires_at = sa.Column(UTCDateTime)

    community = db.relationship("Community", back_populates="memberships")
    user = db.relationship("User", back_populates="memberships")

    @property
    def is_current(self):
        return self.expires_at is None or self.expires_at > utcnow()


class Invitation(db.Model):
    __tablename__ = "invitations"

    id = sa.Column(sa.Integer, primary_key=True)
    community_id = sa.Column(sa.Integer, sa.ForeignKey("communities.id", ondelete="CASCADE"), nullable=False, index=True)
    email = sa.Column(sa.String(254), nullable=False)
    role = sa.Column(sa.String(12), nullable=False, default="member")
    token_hash = sa.Column(sa.String(64), nullable=False, unique=True)
    invited_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    message = sa.Column(sa.Text, nullable=False, default="")
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = sa.Column(UTCDateTime, nullable=False)
    guest_until = sa.Column(UTCDateTime)
    accepted_at = sa.Column(UTCDateTime)
    accepted_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at = sa.Column(UTCDateTime)

    community = db.relationship("Community")
    invited_by = db.relationship("User", foreign_keys=[invited_by_id])

    @staticmethod
    def new_token():
        raw = secrets.token_urlsafe(32)
        return raw, hash_token(raw)

    @classmethod
    def by_token(cls, raw):
        if not raw or len(raw) > 200:
            return None
        return db.session.execute(sa.select(cls).where(cls.token_hash == hash_token(raw))).scalar_one_or_none()

    @property
    def status(self):
        if self.revoked_at:
            return "revoked"
        if self.accepted_at:
            return "accepted"
        if self.expires_at <= utcnow():
            return "expired"
        return "pending"


class JoinRequest(db.Model):
    __tablename__ = "join_requests"

    id = sa.Column(sa.Integer, primary_key=True)
    community_id = sa.Column(sa.Integer, sa.ForeignKey("communities.id", ondelete="CASCADE"), nullable=False, index=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    message = sa.Column(sa.Text, nullable=False, default="")
    status = sa.Column(sa.String(10), nullable=False, default="pending")
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    decided_at = sa.Column(UTCDateTime)
    decided_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))

    community = db.relationship("Community")
    user = db.relationship("User", foreign_keys=[user_id])
