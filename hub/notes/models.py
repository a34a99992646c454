"""Notes: a Markdown text owned by one member, private until shared, with every saved revision and
the state of its live (CRDT) document."""
import sqlalchemy as sa
from sqlalchemy.orm import deferred

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow

VISIBILITIES = ("private", "members", "community")
MAX_TITLE = 200
MAX_BODY = 200_000

revision_authors = sa.Table(
    "note_revision_authors",
    db.metadata,
    sa.Column("revision_id", sa.Integer, sa.ForeignKey("note_revisions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Note(db.Model):
    __tablename__ = "notes"

    id = sa.Column(sa.Integer, primary_key=True)
    community_id = sa.Column(sa.Integer, sa.ForeignKey("communities.id", ondelete="CASCADE"), nullable=False, index=True)
    owner_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    title = sa.Column(sa.String(MAX_TITLE), nullable=False)
    body = sa.Column(sa.Text, nullable=False, default="")
    visibility = sa.Column(sa.String(10), nullable=False, default="private")
    # What the note belongs to, if anything: a meeting (its minutes), a discussion thread, a resource.
    attached_kind = sa.Column(sa.String(10))
    attached_id = sa.Column(sa.Integer)
    revision = sa.Column(sa.Integer, nullable=False, default=1)  # the number of the latest revision
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    # The live document (a Yjs/pycrdt update holding the whole state); its text is the body's source
    # of truth while people edit together.
    crdt_state = deferred(sa.Column(sa.LargeBinary))
    crdt_updated_at = sa.Column(UTCDateTime)
    hidden_at = sa.Column(UTCDateTime)  # hidden pending moderation (hub/moderation)

    __table_args__ = (sa.Index("ix_notes_attached", "attached_kind", "attached_id"),)

    community = db.relationship("Community")
    owner = db.relationship("User")
    shares = db.relationship("NoteShare", back_populates="note", cascade="all, delete-orphan", order_by="NoteShare.id")
    revisions = db.relationship("NoteRevision", back_populates="note", cascade="all, delete-orphan", order_by="NoteRevision.number")

    @property
    def shared_user_ids(self):
        return {s.user_id for s in self.shares}


class NoteShare(db.Model):
    """A member the owner shared the note with (visibility "members")."""

    __tablename__ = "note_shares"
    __table_args__ = (sa.UniqueConstraint("note_id", "user_id", name="uq_note_shares_note_user"),)

    id = sa.Column(sa.Integer, primary_key=True)
    note_id = sa.Column(sa.Integer, sa.ForeignKey("notes.id", ondelete="CASCADE"), nullable=False, index=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    note = db.relationship("Note", back_populates="shares")
    user = db.relationship("User")


class NoteRevision(db.Model):
    """One saved state of a note. ``author`` saved it; ``authors`` wrote in it (a live session may
    have several)."""

    __tablename__ = "note_revisions"
    __table_args__ = (sa.UniqueConstraint("note_id", "number", name="uq_note_revisions_note_number"),)

    id = sa.Column(sa.Integer, primary_key=True)
    note_id = sa.Column(sa.Integer, sa.ForeignKey("notes.id", ondelete="CASCADE"), nullable=False, index=True)
    number = sa.Column(sa.Integer, nullable=False)
    author_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    title = sa.Column(sa.String(MAX_TITLE), nullable=False)
    body = sa.Column(sa.Text, nullable=False, default="")
    source = sa.Column(sa.String(10), nullable=False, default="form")  # form, api, live, restore
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    note = db.relationship("Note", back_populates="revisions")
    author = db.relationship("User")
    authors = db.relationship("User", secondary=revision_authors, order_by="User.id")


class NoteTemplate(db.Model):
    """A community's own note template, added by a facilitator (the built-in ones live in code)."""

    __tablename__ = "note_templates"

    id = sa.Column(sa.Integer, primary_key=True)
    community_id = sa.Column(sa.Integer, sa.ForeignKey("communities.id", ondelete="CASCADE"), nullable=False, index=True)
    name = sa.Column(sa.String(120), nullable=False)
    body = sa.Column(sa.Text, nullable=False, default="")
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    community = db.relationship("Community")
