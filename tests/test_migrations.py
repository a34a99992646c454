"""The migrations build exactly the models' schema, on SQLite and on PostgreSQL, and can be undone."""
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tests.conftest import create_postgres_database, drop_postgres_database, make_config


def _diff(db):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
        return compare_metadata(context, db.metadata)


def _tables(db):
    return set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}


@pytest.fixture
def empty_database(backend, tmp_path):
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    name = f"hub_migrations_{uuid.uuid4().hex[:8]}"
    url = create_postgres_database(name)
    yield url
    drop_postgres_database(name)


def test_upgrade_gives_the_models_schema_and_downgrade_undoes_it(empty_database, tmp_path):
    from flask_migrate import downgrade, upgrade

    from hub import create_app
    from hub.extensions import db

    app = create_app(make_config(tmp_path, empty_database))
    with app.app_context():
        upgrade()
        assert _diff(db) == []
        assert _tables(db) == set(db.metadata.tables)
        downgrade(revision="base")
        assert _tables(db) == set()
        upgrade()
        assert _diff(db) == []
        db.session.remove()
        db.engine.dispose()
