"""A tiny test-only kind, "memo", kept in its own table, to exercise the search seam end to end."""
from datetime import datetime, timezone

import sqlalchemy as sa

from hub.search import SearchDocument
from hub.timeutil import UTCDateTime

metadata = sa.MetaData()
memos = sa.Table(
    "test_search_memos",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("community_id", sa.Integer),
    sa.Column("owner_id", sa.Integer),  # a private memo: only its owner reads it
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False, default=""),
    sa.Column("language", sa.String(5), nullable=False, default="fr"),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)


def create_table(engine):
    metadata.create_all(engine, checkfirst=True)


def drop_table(engine):
    metadata.drop_all(engine, checkfirst=True)


def load(ids):
    from hub.extensions import db

    return list(db.session.execute(sa.select(memos).where(memos.c.id.in_(ids))).all())


def all_ids():
    from hub.extensions import db

    return [row.id for row in db.session.execute(sa.select(memos.c.id).order_by(memos.c.id))]


def to_document(row):
    readers = [f"user:{row.owner_id}"] if row.owner_id else [f"community:{row.community_id}"]
    return SearchDocument(
        kind="memo",
        id=row.id,
        community_id=row.community_id,
        readers=readers,
        title=row.title,
        body=row.body,
        url=f"/memos/{row.id}",
        language=row.language,
        updated_at=row.updated_at,
    )


def register():
    from hub import search

    search.register("memo", to_document=to_document, load=load, all_ids=all_ids)


def add(title, body="", community_id=None, owner_id=None, language="fr", updated_at=None, enqueue=True):
    """Insert a memo in the current session (with its outbox row); the caller commits."""
    from hub import search
    from hub.extensions import db

    values = {
        "title": title, "body": body, "community_id": community_id, "owner_id": owner_id, "language": language,
        "updated_at": updated_at or datetime.now(timezone.utc),
    }
    memo_id = db.session.execute(sa.insert(memos).values(**values).returning(memos.c.id)).scalar_one()
    if enqueue:
        search.enqueue("memo", memo_id)
    return memo_id
