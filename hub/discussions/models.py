"""Categories, threads, posts, their history, reactions, read state, subscriptions and attachments."""
import sqlalchemy as sa

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow

LEVELS = ("watching", "normal", "muted")
DEFAULT_CATEGORY = "Général"
REACTIONS = ("👍", "❤️", "🎉", "🤔", "👀")


class Category(db.Model):
    """A category of a community's discussions; facilitators manage them, "Général" is the default."""

    __tablename__ = "discussion_categories"
    __table_args__ = (sa.UniqueConstraint("community_id", "name", name="uq_discussion_categories_community_name"),)

    id = sa.Column(sa.Integer, primary_key=True)
    community_id = sa.Column(sa.Integer, sa.ForeignKey("communities.id", ondelete="CASCADE"), nullable=False, index=True)
    name = sa.Column(sa.String(80), nullable=False)
    description = sa.Column(sa.String(300), nullable=False, default="")
    position = sa.Column(sa.Integer, nullable=False, default=0)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    community = db.relationship("Community")


class Thread(db.Model):
    __tablename__ = "threads"

    id = sa.Column(sa.Integer, primary_key=True)
    community_id = sa.Column(sa.Integer, sa.ForeignKey("communities.id", ondelete="CASCADE"), nullable=False, index=True)
    category_id = sa.Column(sa.Integer, sa.ForeignKey("discussion_categories.id", ondelete="SET NULL"), index=True)
    author_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    title = sa.Column(sa.String(200), nullable=False)
    is_question = sa.Column(sa.Boolean, nullable=False, default=False)
    pinned = sa.Column(sa.Boolean, nullable=False, default=False)
    locked = sa.Column(sa.Boolean, nullable=False, default=False)
    post_count = sa.Column(sa.Integer, nullable=False, default=0)
    last_post_id = sa.Column(sa.Integer)
    last_post_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    community = db.relationship("Community")
    category = db.relationship("Category")
    author = db.relationship("User")
    tags = db.relationship("ThreadTag", cascade="all, delete-orphan", order_by="ThreadTag.name")
    invitees = db.relationship("ThreadInvitee", cascade="all, delete-orphan")

    @property
    def tag_names(self):
        return [t.name for t in self.tags]


class ThreadTag(db.Model):
    __tablename__ = "thread_tags"

    thread_id = sa.Column(sa.Integer, sa.ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True)
    name = sa.Column(sa.String(60), primary_key=True)


class ThreadInvitee(db.Model):
    """A guest (or anyone) invited to take part in one thread."""

    __tablename__ = "thread_invitees"

    thread_id = sa.Column(sa.Integer, sa.ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    invited_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)


class Post(db.Model):
    """A message of a thread; its Markdown is rendered and sanitized once, when it is saved."""

    __tablename__ = "posts"
    __table_args__ = (sa.Index("ix_posts_thread_id_id", "thread_id", "id"),)

    id = sa.Column(sa.Integer, primary_key=True)
    thread_id = sa.Column(sa.Integer, sa.ForeignKey("threads.id", ondelete="CASCADE"), nullable=False)
    author_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    reply_to_id = sa.Column(sa.Integer, sa.ForeignKey("posts.id", ondelete="SET NULL"))
    body = sa.Column(sa.Text, nullable=False, default="")
    body_html = sa.Column(sa.Text, nullable=False, default="")
    is_answer = sa.Column(sa.Boolean, nullable=False, default=False)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    edited_at = sa.Column(UTCDateTime)
    deleted_at = sa.Column(UTCDateTime)
    deleted_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    hidden_at = sa.Column(UTCDateTime)  # hidden pending moderation (hub/moderation)

    thread = db.relationship("Thread")
    author = db.relationship("User", foreign_keys=[author_id])
    reactions = db.relationship("Reaction", cascade="all, delete-orphan", order_by="Reaction.id")
    attachments = db.relationship("PostAttachment", cascade="all, delete-orphan", order_by="PostAttachment.id", back_populates="post")
    revisions = db.relationship("PostRevision", cascade="all, delete-orphan", order_by="PostRevision.id.desc()", lazy="dynamic")

    @property
    def is_deleted(self):
        return self.deleted_at is not None


class PostRevision(db.Model):
    """The text a post had before an edit."""

    __tablename__ = "post_revisions"

    id = sa.Column(sa.Integer, primary_key=True)
    post_id = sa.Column(sa.Integer, sa.ForeignKey("posts.id", ondelete="CASCADE"), nullable=False, index=True)
    editor_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    body = sa.Column(sa.Text, nullable=False)
    body_html = sa.Column(sa.Text, nullable=False)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    editor = db.relationship("User")


class Reaction(db.Model):
    __tablename__ = "post_reactions"
    __table_args__ = (sa.UniqueConstraint("post_id", "user_id", "emoji", name="uq_post_reactions_post_user_emoji"),)

    id = sa.Column(sa.Integer, primary_key=True)
    post_id = sa.Column(sa.Integer, sa.ForeignKey("posts.id", ondelete="CASCADE"), nullable=False, index=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    emoji = sa.Column(sa.String(16), nullable=False)


class PostAttachment(db.Model):
    """A file or link shared in a post: filed as a resource of the community, with a preview card for links."""

    __tablename__ = "post_attachments"

    id = sa.Column(sa.Integer, primary_key=True)
    post_id = sa.Column(sa.Integer, sa.ForeignKey("posts.id", ondelete="CASCADE"), nullable=False, index=True)
    resource_id = sa.Column(sa.Integer, sa.ForeignKey("resources.id", ondelete="SET NULL"), index=True)
    kind = sa.Column(sa.String(10), nullable=False)  # "file" or "link"
    url = sa.Column(sa.String(2000), nullable=False, default="")
    title = sa.Column(sa.String(300), nullable=False, default="")
    description = sa.Column(sa.String(1000), nullable=False, default="")
    image_url = sa.Column(sa.String(2000), nullable=False, default="")
    # The hub's own copy of the link's image (see images.py), shown on the card; None when there is none.
    image_sha256 = sa.Column(sa.String(64), index=True)
    image_type = sa.Column(sa.String(20))
    image_width = sa.Column(sa.Integer)
    image_height = sa.Column(sa.Integer)
    filename = sa.Column(sa.String(255), nullable=False, default="")
    # A link whose card the worker has yet to read (HUB_WORKER=external: web processes only serve).
    preview_pending = sa.Column(sa.Boolean, nullable=False, default=False, server_default=sa.false())

    post = db.relationship("Post", back_populates="attachments")


class ThreadRead(db.Model):
    """Where a person stopped reading a thread: the last post they saw."""

    __tablename__ = "thread_reads"

    thread_id = sa.Column(sa.Integer, sa.ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    last_read_post_id = sa.Column(sa.Integer, nullable=False, default=0)
    read_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)


class ThreadSubscription(db.Model):
    """A person's notification level for one thread (watching, normal or muted)."""

    __tablename__ = "thread_subscriptions"

    thread_id = sa.Column(sa.Integer, sa.ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    level = sa.Column(sa.String(10), nullable=False, default="watching")
