import sqlalchemy as sa

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow

TYPES = ("case_study", "good_practice", "tool", "policy", "report", "funding", "reference")
LANGUAGES = ("fr", "en")
EXTRACTION_STATUSES = ("ok", "empty", "failed", "none")

resource_themes = sa.Table(
    "resource_themes",
    db.metadata,
    sa.Column("resource_id", sa.Integer, sa.ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("theme_id", sa.Integer, sa.ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True),
)


class Theme(db.Model):
    """A theme of the community's controlled list, edited by its facilitators."""

    __tablename__ = "themes"
    __table_args__ = (sa.UniqueConstraint("community_id", "name", name="uq_themes_community_name"),)

    id = sa.Column(sa.Integer, primary_key=True)
    community_id = sa.Column(sa.Integer, sa.ForeignKey("communities.id", ondelete="CASCADE"), nullable=False, index=True)
    name = sa.Column(sa.String(80), nullable=False)

    community = db.relationship("Community")


class Resource(db.Model):
    __tablename__ = "resources"

    id = sa.Column(sa.Integer, primary_key=True)
    community_id = sa.Column(sa.Integer, sa.ForeignKey("communities.id", ondelete="CASCADE"), nullable=False, index=True)
    author_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    hidden_at = sa.Column(UTCDateTime)  # hidden pending moderation (hub/moderation)
    title = sa.Column(sa.String(300), nullable=False)
    summary = sa.Column(sa.Text, nullable=False, default="")
    summary_html = sa.Column(sa.Text, nullable=False, default="")
    type = sa.Column(sa.String(20), nullable=False, default="reference", index=True)
    url = sa.Column(sa.String(2000))  # a link resource; file resources have versions instead
    tags = sa.Column(sa.String(500), nullable=False, default="")
    municipality = sa.Column(sa.String(120), nullable=False, default="", index=True)
    language = sa.Column(sa.String(5), nullable=False, default="fr")
    year = sa.Column(sa.Integer, index=True)
    source_organization = sa.Column(sa.String(200), nullable=False, default="")
    licence = sa.Column(sa.String(120), nullable=False, default="")
    # Implementation story ("récit d'implantation"): structured fields, used by case studies.
    story_context = sa.Column(sa.Text, nullable=False, default="")
    story_actions = sa.Column(sa.Text, nullable=False, default="")
    story_steps = sa.Column(sa.Text, nullable=False, default="")
    story_results = sa.Column(sa.Text, nullable=False, default="")
    story_lessons = sa.Column(sa.Text, nullable=False, default="")
    story_contacts = sa.Column(sa.Text, nullable=False, default="")
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, index=True)

    community = db.relationship("Community")
    author = db.relationship("User")
    themes = db.relationship("Theme", secondary=resource_themes, order_by="Theme.name")
    versions = db.relationship("ResourceVersion", back_populates="resource", cascade="all, delete-orphan", order_by="ResourceVersion.number.desc()")

    STORY_FIELDS = ("story_context", "story_actions", "story_steps", "story_results", "story_lessons", "story_contacts")

    @property
    def current_version(self):
        return self.versions[0] if self.versions else None

    @property
    def tag_list(self):
        return [t.strip() for t in self.tags.split(",") if t.strip()]

    @property
    def has_story(self):
        return any(getattr(self, name) for name in self.STORY_FIELDS)


class ResourceVersion(db.Model):
    """One uploaded file of a resource; new versions keep the old ones."""

    __tablename__ = "resource_versions"
    __table_args__ = (sa.UniqueConstraint("resource_id", "number", name="uq_resource_versions_resource_number"),)

    id = sa.Column(sa.Integer, primary_key=True)
    resource_id = sa.Column(sa.Integer, sa.ForeignKey("resources.id", ondelete="CASCADE"), nullable=False, index=True)
    number = sa.Column(sa.Integer, nullable=False)
    sha256 = sa.Column(sa.String(64), nullable=False, index=True)
    filename = sa.Column(sa.String(255), nullable=False)
    mimetype = sa.Column(sa.String(120), nullable=False)
    size = sa.Column(sa.BigInteger, nullable=False)
    uploaded_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    extraction_status = sa.Column(sa.String(10), nullable=False, default="none")
    extraction_reason = sa.Column(sa.String(500), nullable=False, default="")
    text = sa.Column(sa.Text, nullable=False, default="")
    pages = sa.Column(sa.Integer)

    resource = db.relationship("Resource", back_populates="versions")
    uploaded_by = db.relationship("User")


class ThemeFollow(db.Model):
    """A person who follows a theme of a community: told of each new resource filed under it."""

    __tablename__ = "theme_follows"
    __table_args__ = (sa.UniqueConstraint("theme_id", "user_id", name="uq_theme_follows_theme_user"),)

    id = sa.Column(sa.Integer, primary_key=True)
    theme_id = sa.Column(sa.Integer, sa.ForeignKey("themes.id", ondelete="CASCADE"), nullable=False, index=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
