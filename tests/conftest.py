"""Fixtures: the same suite runs on SQLite and, when HUB_TEST_POSTGRES_URL is set, on PostgreSQL."""
import os
from dataclasses import dataclass
import re
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from config import TestingConfig

POSTGRES_URL = os.environ.get("HUB_TEST_POSTGRES_URL")
REQUIRE_SERVICES = os.environ.get("HUB_TEST_REQUIRE_SERVICES") == "1"
REDIS_URL = os.environ.get("HUB_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def service_missing(reason):
    """Skip when a service is absent; fail instead when CI says services must be there."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


def _psycopg_url(url):
    return re.sub(r"^postgres(ql)?(\+psycopg)?://", "postgresql+psycopg://", url)


def backends():
    names = ["sqlite"]
    if POSTGRES_URL or REQUIRE_SERVICES:
        names.append("postgres")
    return names


@pytest.fixture(scope="session")
def worker_id_safe(request):
    worker = getattr(request.config, "workerinput", {}).get("workerid", "main")
    return re.sub(r"\W", "_", worker)


def create_postgres_database(name):
    """A fresh database on the test server; returns its URL."""
    if not POSTGRES_URL:
        service_missing("HUB_TEST_POSTGRES_URL is not set")
    admin = sa.create_engine(_psycopg_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        service_missing(f"PostgreSQL unreachable: {error}")
    finally:
        admin.dispose()
    return str(sa.engine.make_url(_psycopg_url(POSTGRES_URL)).set(database=name).render_as_string(hide_password=False))


def drop_postgres_database(name):
    admin = sa.create_engine(_psycopg_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_url(worker_id_safe):
    name = f"hub_test_{worker_id_safe}_{uuid.uuid4().hex[:6]}"
    url = create_postgres_database(name)
    yield url
    drop_postgres_database(name)


def make_config(tmp_path, database_url=None, **overrides):
    config = TestingConfig()
    config.INSTANCE_PATH = str(tmp_path / "instance")
    config.SQLALCHEMY_DATABASE_URI = database_url or f"sqlite:///{tmp_path / 'hub.sqlite3'}"
    config.UPLOAD_FOLDER = str(tmp_path / "instance" / "uploads")
    config.SEARCH_INDEX_PATH = str(tmp_path / "instance" / "search-index")
    config.BASE_URL = "http://localhost"
    config.REGISTRATION = "open"
    config.WTF_CSRF_ENABLED = False
    for key, value in overrides.items():
        setattr(config, key, value)
    return config


# Applications built during the current test: their background threads stop before the database is cleaned.
BUILT_APPS = []


def stop_built_apps():
    from hub import pagecache, realtime
    from hub.notes import live

    while BUILT_APPS:
        app = BUILT_APPS.pop()
        realtime.stop(app)
        live.stop(app)
        pagecache.dispose(app)


@pytest.fixture(autouse=True)
def _stop_background_threads():
    yield
    stop_built_apps()


def build_app(tmp_path, database_url=None, **overrides):
    from hub import create_app
    from hub.extensions import db

    app = create_app(make_config(tmp_path, database_url, **overrides))
    BUILT_APPS.append(app)
    with app.app_context():
        db.create_all()
    return app


def _truncate_all(app):
    from hub.extensions import db

    with app.app_context():
        db.session.remove()
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        with db.engine.begin() as conn:
            conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


@pytest.fixture(params=backends())
def backend(request):
    return request.param


@pytest.fixture
def app(request, backend, tmp_path):
    overrides = getattr(request, "param", None) or {}
    marker = request.node.get_closest_marker("config")
    if marker:
        overrides = {**marker.kwargs}
    if backend == "postgres":
        url = request.getfixturevalue("postgres_url")
        app = build_app(tmp_path, url, **overrides)
        yield app
        stop_built_apps()
        _truncate_all(app)
    else:
        app = build_app(tmp_path, **overrides)
        yield app
        stop_built_apps()
        from hub.extensions import db

        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    from hub.extensions import db as database

    with app.app_context():
        yield database


class Factory:
    """Creates accounts and communities through the services, as the app does."""

    password = "correct horse battery"

    def __init__(self, app):
        self.app = app
        self.count = 0

    def user(self, name=None, email=None, **fields):
        from hub.accounts import service
        from hub.extensions import db

        self.count += 1
        name = name or f"Personne {self.count}"
        email = email or f"personne{self.count}-{uuid.uuid4().hex[:6]}@exemple.ca"
        with self.app.app_context():
            user = service.register(email, self.password, name, fields.pop("organization", ""), fields.pop("job_title", ""))
            for key, value in fields.items():
                setattr(user, key, value)
            db.session.commit()
            return user.id, email

    def community(self, owner_email, name="Communauté test", visibility="private", **kwargs):
        from hub.accounts import service as accounts
        from hub.communities import service
        from hub.extensions import db

        with self.app.app_context():
            community = service.create(accounts.find_by_email(owner_email), name, visibility=visibility, **kwargs)
            db.session.commit()
            return community.slug

    def add_member(self, slug, email, role="member", expires_at=None):
        from hub.accounts import service as accounts
        from hub.communities import service
        from hub.communities.models import Membership
        from hub.extensions import db

        with self.app.app_context():
            db.session.add(Membership(community=service.by_slug(slug), user=accounts.find_by_email(email), role=role, expires_at=expires_at))
            db.session.commit()

    def token(self, email, name="test"):
        from hub.accounts import service as accounts
        from hub.extensions import db

        with self.app.app_context():
            _token, raw = accounts.create_token(accounts.find_by_email(email), name)
            db.session.commit()
            return raw


@pytest.fixture
def factory(app):
    return Factory(app)


def login(client, email, password=Factory.password):
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


@pytest.fixture
def outbox(app):
    """Emails queued in the outbox, oldest first."""
    from hub.extensions import db
    from hub.notifications.models import OutgoingEmail

    def read():
        with app.app_context():
            return [
                {"to": m.recipient, "subject": m.subject, "body": m.body_text}
                for m in db.session.execute(sa.select(OutgoingEmail).order_by(OutgoingEmail.id)).scalars()
            ]

    return read


def link_in(body):
    match = re.search(r"https?://\S+", body)
    assert match, body
    return match.group(0)


ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Cast:
    """The people of one community in a feature's tests: emails, ids and API tokens by nickname."""
    slug: str
    emails: dict
    ids: dict
    tokens: dict


def make_cast(factory, people, founder, community, roles):
    """``people``: {nickname: factory.user(...)}; ``founder`` creates the community (facilitator);
    ``roles``: {nickname: role} of the others who join; whoever is left out stays an outsider."""
    emails = {name: email for name, (_id, email) in people.items()}
    ids = {name: uid for name, (uid, _email) in people.items()}
    slug = factory.community(emails[founder], community)
    for name, role in roles.items():
        factory.add_member(slug, emails[name], role)
    tokens = {name: factory.token(email) for name, email in emails.items()}
    return Cast(slug, emails, ids, tokens)


def auth(cast, who):
    return {"Authorization": f"Bearer {cast.tokens[who]}"}
