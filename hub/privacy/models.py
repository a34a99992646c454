import sqlalchemy as sa

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow


class PrivacyPolicy(db.Model):
    """The instance's privacy policy, one Markdown text per language, edited by the administrator.

    One row at most; without it (or with an empty text) the built-in default text is shown."""

    __tablename__ = "privacy_policy"

    id = sa.Column(sa.Integer, primary_key=True)
    body_fr = sa.Column(sa.Text, nullable=False, default="")
    body_en = sa.Column(sa.Text, nullable=False, default="")
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
