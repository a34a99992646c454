"""Search tests run once per search backend: Whoosh on every database, PostgreSQL on PostgreSQL."""
from datetime import datetime, timezone

import pytest

from tests.conftest import _truncate_all, build_app, stop_built_apps

ENGINES = ["whoosh", "postgres"]


@pytest.fixture(params=ENGINES)
def engine(request):
    return request.param


def pytest_collection_modifyitems(config, items):
    """The postgres search backend needs the PostgreSQL database: other pairs are not collected."""
    kept, dropped = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if params.get("engine") == "postgres" and params.get("backend") != "postgres":
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def wire(app):
    """What create_app does for search: the seam's hooks and the page's blueprint."""
    from hub import search
    from hub.search.views import bp

    search.init_app(app)
    if "search" not in app.blueprints:
        app.register_blueprint(bp)
    return app


@pytest.fixture
def app(request, backend, engine, tmp_path):
    overrides = {"SEARCH_BACKEND": engine}
    marker = request.node.get_closest_marker("config")
    if marker:
        overrides.update(marker.kwargs)
    url = request.getfixturevalue("postgres_url") if backend == "postgres" else None
    app = wire(build_app(tmp_path, url, **overrides))
    yield app
    from hub.extensions import db
    from tests.search import memos

    with app.app_context():
        db.session.remove()
        memos.drop_table(db.engine)
    if backend == "postgres":
        stop_built_apps()
        _truncate_all(app)
    else:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def memo_kind(app):
    """The test-only "memo" kind, registered with the seam, with its table."""
    from hub import search
    from hub.extensions import db
    from tests.search import memos

    with app.app_context():
        memos.create_table(db.engine)
    memos.register()
    yield memos
    search.unregister("memo")


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)
