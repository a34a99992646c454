"""Search tables: the indexing outbox (every database) and the PostgreSQL backend's index.

``search_documents`` and ``search_terms`` exist in every schema so models and migrations agree on
SQLite and PostgreSQL alike; only the PostgreSQL backend fills them.
"""
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow

TextArray = postgresql.ARRAY(sa.Text).with_variant(sa.JSON(), "sqlite")
TsVector = postgresql.TSVECTOR().with_variant(sa.Text(), "sqlite")


class SearchOutbox(db.Model):
    """A change to index: written in the same transaction as the change, applied after commit."""

    __tablename__ = "search_outbox"

    id = sa.Column(sa.Integer, primary_key=True)
    kind = sa.Column(sa.String(40), nullable=False)
    object_id = sa.Column(sa.Integer, nullable=False)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    def __repr__(self):
        return f"<SearchOutbox {self.kind}:{self.object_id}>"


class SearchDocumentRow(db.Model):
    """One indexed document of the PostgreSQL backend (see hub.search.postgres_backend)."""

    __tablename__ = "search_documents"
    __table_args__ = (
        sa.Index("ix_search_documents_tsv", "tsv", postgresql_using="gin"),
        sa.Index("ix_search_documents_readers", "readers", postgresql_using="gin"),
        sa.Index("ix_search_documents_updated_at", "updated_at"),
        sa.Index("ix_search_documents_community_id", "community_id"),
    )

    key = sa.Column(sa.String(80), primary_key=True)  # "resource:42"
    kind = sa.Column(sa.String(40), nullable=False)
    object_id = sa.Column(sa.Integer, nullable=False)
    community_id = sa.Column(sa.Integer)
    readers = sa.Column(TextArray, nullable=False)
    title = sa.Column(sa.Text, nullable=False)
    body = sa.Column(sa.Text, nullable=False)
    url = sa.Column(sa.Text, nullable=False)
    language = sa.Column(sa.String(8), nullable=False)
    updated_at = sa.Column(UTCDateTime, nullable=False)
    type = sa.Column(sa.String(60))
    themes = sa.Column(TextArray, nullable=False)
    municipality = sa.Column(sa.Text)
    year = sa.Column(sa.Integer)
    tsv = sa.Column(TsVector, nullable=False)


class SearchTerm(db.Model):
    """Every word seen in an indexed document, for "did you mean" (PostgreSQL backend).

    Never shown as such: a word is suggested only after checking that a document the searcher may
    read contains it.
    """

    __tablename__ = "search_terms"
    __table_args__ = (
        sa.Index("ix_search_terms_folded_trgm", "folded", postgresql_using="gin", postgresql_ops={"folded": "gin_trgm_ops"}),
    )

    word = sa.Column(sa.Text, primary_key=True)  # lowercase, accents kept
    folded = sa.Column(sa.Text, nullable=False)  # without accents


def _setup_postgres(target, connection, **kw):
    """Extensions and text search configurations come before the tables that need them."""
    if connection.dialect.name == "postgresql":
        from .postgres_backend import ensure_postgres_search_setup

        ensure_postgres_search_setup(connection)


sa.event.listen(db.metadata, "before_create", _setup_postgres)
