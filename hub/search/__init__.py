"""Search over everything a member may see. The backend is chosen by HUB_SEARCH_BACKEND.

How a feature takes part:

    from hub import search

    search.register("resource", to_document=resource_document, load=load_resources, all_ids=all_resource_ids)

    # in the service, in the same transaction as the change (no commit here):
    search.enqueue("resource", resource.id)

``load(ids)`` returns the objects that still exist (each with an ``id``); ``to_document(obj)``
returns a ``SearchDocument`` (or None to keep the object out of the index); ``all_ids()`` returns
every id of the kind, for ``reindex`` and ``check``. ``to_document`` always runs in a request
context (outside requests, one on HUB_BASE_URL), so it may call ``url_for``.

The outbox row commits with the change. Right after the request (``after_request``), or when the
application context ends outside a request (CLI, worker), the outbox is applied: objects are
loaded again, turned into documents and written to the backend; a missing object is removed from
the index. ``init_app`` also applies what a crash left pending, at start-up.
"""
import logging
import os
import threading
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Callable

import sqlalchemy as sa
from flask import current_app, has_request_context

from .. import worker
from ..extensions import db
from ..worker import is_external
from .base import FACETS, QuerySyntaxError, split_themes, SearchBackend, SearchDocument, SearchHit, SearchQuery, SearchResults  # noqa: F401
from .models import SearchOutbox

log = logging.getLogger(__name__)

BACKENDS = ("whoosh", "postgres")
EXTENSION = "hub_search"
BATCH_SIZE = 200
_ADVISORY_LOCK = 7_352_011  # pg_advisory_lock key: one outbox applier at a time across processes


class CommunityNotFound(LookupError):
    """The community filter names a community that does not exist or that the searcher may not read."""


# --- registry ---------------------------------------------------------------------------


@dataclass
class Registration:
    kind: str
    to_document: Callable
    load: Callable
    readers: Callable | None = None
    all_ids: Callable | None = None
    refine: Callable | None = None


_registry: dict[str, Registration] = {}


def register(kind, to_document, load, readers=None, all_ids=None, refine=None):
    """Declare how objects of ``kind`` are indexed.

    ``to_document(obj) -> SearchDocument | None``; ``load(ids) -> list[obj]`` (objects that still
    exist, each with an ``id``); ``readers(obj) -> list[str]``, when given, replaces the document's
    readers; ``all_ids() -> iterable[int]`` lists every object of the kind (reindex and check);
    ``refine(hits, text)``, when given, may adjust the page's hits of the kind (e.g. point a thread
    at its best matching message). ``to_document`` may return the document of another object (a
    message gives its thread's): the key it was asked for then leaves the index.
    """
    _registry[kind] = Registration(kind, to_document, load, readers, all_ids, refine)


def register_reindex(kind, all_ids):
    """Give (or replace) the ``all_ids`` of a registered kind."""
    _registry[kind].all_ids = all_ids


def unregister(kind):
    _registry.pop(kind, None)


def registered_kinds():
    return sorted(_registry)


def community_readers(community_id):
    """The readers of something every reader of a community may see."""
    return [f"community:{community_id}"]


def _document(registration, obj):
    document = registration.to_document(obj)
    if document is not None and registration.readers is not None:
        document.readers = list(registration.readers(obj))
    return document


@contextmanager
def _url_context():
    """Outside a request (start-up, CLI, worker), a request context on HUB_BASE_URL so that
    ``to_document`` may call url_for."""
    if has_request_context():
        yield
        return
    app = current_app._get_current_object()
    with app.test_request_context("/", base_url=app.config.get("BASE_URL") or None):
        yield


def _documents(registration, ids):
    """(documents, keys to delete) for these ids of one kind."""
    ids = sorted(set(ids))
    documents, seen = [], set()
    with _url_context():
        for obj in registration.load(ids) if ids else []:
            seen.add(getattr(obj, "id", None))
            document = _document(registration, obj)
            if document is not None:
                documents.append(document)
    indexed = {d.key for d in documents}
    gone = [f"{registration.kind}:{i}" for i in ids if i not in seen or f"{registration.kind}:{i}" not in indexed]
    return documents, gone


# --- backend ----------------------------------------------------------------------------

_backend_lock = threading.Lock()


def get_backend(app=None) -> SearchBackend:
    """The application's search backend (created once per application)."""
    app = app or current_app._get_current_object()
    backend = app.extensions.get(f"{EXTENSION}_backend")
    if backend is not None:
        return backend
    with _backend_lock:
        backend = app.extensions.get(f"{EXTENSION}_backend")
        if backend is None:
            name = app.config.get("SEARCH_BACKEND", "whoosh")
            if name == "whoosh":
                from .whoosh_backend import WhooshBackend

                backend = WhooshBackend(app.config["SEARCH_INDEX_PATH"])
            elif name == "postgres":
                from .postgres_backend import PostgresBackend

                with app.app_context():
                    if db.engine.dialect.name != "postgresql":
                        raise RuntimeError("HUB_SEARCH_BACKEND=postgres needs a PostgreSQL database (HUB_DATABASE_URL).")
                backend = PostgresBackend()
            else:
                raise RuntimeError(f"HUB_SEARCH_BACKEND must be one of {', '.join(BACKENDS)}, got {name!r}")
            app.extensions[f"{EXTENSION}_backend"] = backend
    return backend


def status():
    """State of the search backend, for /healthz: never raises."""
    backend = current_app.config.get("SEARCH_BACKEND", "whoosh")
    if backend not in BACKENDS:
        return {"status": "error", "backend": backend, "error": "unknown backend"}
    if backend == "postgres":
        ok = db.engine.dialect.name == "postgresql"
        if not ok:
            return {"status": "error", "backend": backend, "error": "requires PostgreSQL"}
        return get_backend().status()
    path = Path(current_app.config["SEARCH_INDEX_PATH"])
    try:
        path.mkdir(parents=True, exist_ok=True)
        writable = os.access(path, os.W_OK)
    except OSError as error:
        return {"status": "error", "backend": backend, "error": type(error).__name__}
    if not writable:
        return {"status": "error", "backend": backend, "path_writable": False}
    state = get_backend().status()
    return {**state, "path_writable": True}


# --- who may read what ------------------------------------------------------------------


def member_principal(community_id, user_id):
    """One person while they read a community: what a document shared with chosen members of that
    community lists, so that leaving the community also ends reading it through search."""
    return f"member:{community_id}:{user_id}"


def principals_for(user):
    """What ``user`` reads as: ``user:<id>``; ``community:<id>`` and ``member:<id>:<user id>`` for
    each community where their current role is a reading role; ``admin`` for instance admins."""
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    from ..access import READING_ROLES
    from ..communities.models import Membership

    principals = {f"user:{user.id}"}
    if getattr(user, "is_admin", False):
        principals.add("admin")
    memberships = db.session.execute(sa.select(Membership).where(Membership.user_id == user.id)).scalars()
    for membership in memberships:
        # The same test as access.role_in: a current membership with a reading role.
        if membership.is_current and membership.role in READING_ROLES:
            principals.add(f"community:{membership.community_id}")
            principals.add(member_principal(membership.community_id, user.id))
    return frozenset(principals)


def readable_community(user, community):
    """The community (a slug or a Community) if ``user`` may read it; else CommunityNotFound."""
    from .. import access
    from ..communities import service as communities

    if isinstance(community, str) and "\x00" in community:
        raise CommunityNotFound(community)
    found = communities.by_slug(community) if isinstance(community, str) else community
    if found is None or not access.can(user, "community.read", found):
        raise CommunityNotFound(community)
    return found


def search(user, text="", *, community=None, kinds=(), type=None, theme=None, municipality=None, year=None,
           language=None, sort="relevance", page=1, per_page=20) -> SearchResults:
    """Search what ``user`` may read. Raises QuerySyntaxError (bad query) or CommunityNotFound."""
    def clean(value):  # PostgreSQL refuses NUL characters
        if not isinstance(value, str):
            return value
        return " ".join(value.replace("\x00", " ").split()) or None

    type, theme, municipality, language = clean(type), clean(theme), clean(municipality), clean(language)
    kinds = tuple(k for k in (clean(k) for k in kinds or ()) if k)
    community_ids = (readable_community(user, community).id,) if community else ()
    query = SearchQuery(
        text=text or "",
        principals=principals_for(user),
        kinds=kinds,
        community_ids=community_ids,
        type=type or None,
        theme=theme or None,
        municipality=municipality or None,
        year=year,
        language=language or None,
        sort="date" if sort == "date" else "relevance",
        page=max(1, int(page)),
        per_page=max(1, min(100, int(per_page))),
    )
    if not query.principals:
        return SearchResults(total=0, hits=[], facets={name: {} for name in FACETS})
    results = get_backend().search(query)
    results.facets = {**results.facets, **split_themes(results.facets.get("theme", {}))}
    for kind in {hit.kind for hit in results.hits}:
        registration = _registry.get(kind)
        if registration is not None and registration.refine is not None:
            registration.refine(results.hits, query.text)
    return results


# --- the outbox -------------------------------------------------------------------------


def enqueue(kind, object_id):
    """Ask for ``kind:object_id`` to be (re)indexed once the current transaction commits."""
    db.session.add(SearchOutbox(kind=kind, object_id=int(object_id)))


@sa.event.listens_for(sa.orm.Session, "after_flush")
def _note_outbox_rows(session, _context):
    if any(isinstance(obj, SearchOutbox) for obj in session.new):
        session.info["hub_search_flushed"] = True


@sa.event.listens_for(sa.orm.Session, "after_commit")
def _note_commit(session):
    if session.info.pop("hub_search_flushed", False):
        session.info["hub_search_pending"] = True


@sa.event.listens_for(sa.orm.Session, "after_rollback")
def _note_rollback(session):
    session.info.pop("hub_search_flushed", None)


def _pending_in_session():
    if not db.session.registry.has():
        return False
    return db.session().info.pop("hub_search_pending", False)


_apply_lock = threading.RLock()


@contextmanager
def _exclusive(wait):
    """One applier at a time across threads and processes: a thread lock, plus an advisory lock
    (PostgreSQL) or a lock file (elsewhere). Yields False when it was not free within ``wait`` s."""
    deadline = time.monotonic() + wait
    if not _apply_lock.acquire(timeout=max(wait, 0)):
        yield False
        return
    try:
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:
                take = sa.text("SELECT pg_try_advisory_lock(:key)")
                while not conn.execute(take, {"key": _ADVISORY_LOCK}).scalar_one():
                    if time.monotonic() >= deadline:
                        conn.rollback()
                        yield False
                        return
                    time.sleep(0.05)
                try:
                    yield True
                finally:
                    conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": _ADVISORY_LOCK})
                    conn.rollback()
            return
        try:
            import fcntl
        except ImportError:  # not POSIX: the thread lock is all there is
            yield True
            return
        folder = Path(current_app.instance_path)
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / "search-outbox.lock", "a+") as handle:
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        yield False
                        return
                    time.sleep(0.05)
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        _apply_lock.release()


def pending_count():
    with db.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count(SearchOutbox.id))).scalar_one()


def _apply_rows(backend, rows):
    """Index the objects these outbox rows name, then delete the rows."""
    by_kind = defaultdict(set)
    for row in rows:
        by_kind[row.kind].add(row.object_id)
    documents, gone = [], []
    for kind, ids in by_kind.items():
        found, missing = _documents(_registry[kind], ids)
        documents.extend(found)
        gone.extend(missing)
    documents = list({d.key: d for d in documents}.values())  # several messages of one thread give one document
    done = sa.delete(SearchOutbox).where(SearchOutbox.id.in_([row.id for row in rows]))
    if getattr(backend, "transactional", False):
        with db.engine.begin() as conn:  # index and outbox change together
            backend.upsert(documents, connection=conn)
            backend.delete(gone, connection=conn)
            conn.execute(done)
    else:
        backend.upsert(documents)
        backend.delete(gone)
        with db.engine.begin() as conn:
            conn.execute(done)


def apply_outbox(limit=None, wait=30.0):
    """Index what the outbox asks for, oldest first; returns how many rows were applied.

    Each batch reads rows, loads the objects as they are now, writes the backend, then deletes
    exactly the rows it read: a change committed meanwhile keeps its own row for the next batch.
    Rows of kinds nobody registered (yet) wait. A row whose object cannot be indexed (its
    ``load`` or ``to_document`` raises) is logged and left in the outbox, without holding back the
    others. When another applier is busy for longer than ``wait`` seconds, returns 0 at once: that
    applier goes on until the outbox is empty.
    """
    kinds = registered_kinds()
    if not kinds:
        return 0
    applied = 0
    with _exclusive(wait) as acquired:
        if not acquired:
            log.info("Another process is applying the search outbox.")
            return 0
        backend = None
        after = 0  # rows up to this id were handled (or failed) in this call
        while limit is None or applied < limit:
            size = BATCH_SIZE if limit is None else min(BATCH_SIZE, limit - applied)
            with db.engine.connect() as conn:
                rows = conn.execute(
                    sa.select(SearchOutbox.id, SearchOutbox.kind, SearchOutbox.object_id)
                    .where(SearchOutbox.kind.in_(kinds), SearchOutbox.id > after)
                    .order_by(SearchOutbox.id)
                    .limit(size)
                ).all()
            if not rows:
                break
            backend = backend or get_backend()
            after = rows[-1].id
            try:
                _apply_rows(backend, rows)
                applied += len(rows)
            except Exception:
                db.session.rollback()
                for row in rows:  # one by one, to find the row that fails
                    try:
                        _apply_rows(backend, [row])
                        applied += 1
                    except Exception:
                        db.session.rollback()
                        log.exception("Could not index %s:%s; it stays in the search outbox.", row.kind, row.object_id)
    return applied


def _apply_after_request(response):
    # With HUB_WORKER=external the worker process applies the outbox; web processes only serve.
    if _pending_in_session() and not is_external(current_app):
        try:
            apply_outbox(wait=5.0)
        except Exception:  # the rows stay in the outbox: applied by the next request or at start-up
            log.exception("Search indexing failed after the request; it will be retried.")
    return response


def _apply_on_teardown(_error=None):
    try:
        if _pending_in_session():
            apply_outbox()
    except Exception:
        log.exception("Search indexing failed; it will be retried.")


def outbox_job(app):
    """The search outbox as a job of the worker (on every pass)."""
    apply_outbox(wait=1.0)


def catch_up():
    """Apply what the outbox still holds (after a crash between a commit and its indexing)."""
    try:
        if not sa.inspect(db.engine).has_table(SearchOutbox.__tablename__):
            return 0
        return apply_outbox()
    except Exception:
        log.exception("Search outbox catch-up failed; it will be retried.")
        return 0
    finally:
        db.session.remove()


def init_app(app):
    """Apply the outbox after each request that committed to it, and once now (catch-up)."""
    if app.extensions.get(EXTENSION):
        return
    app.extensions[EXTENSION] = True
    app.after_request(_apply_after_request)
    app.teardown_appcontext(_apply_on_teardown)
    worker.register("search-outbox", outbox_job, 0)
    with app.app_context():
        if get_backend().rebuild_needed():
            log.warning("Rebuilding the search index from the database (its layout changed).")
            reindex()
        if not is_external(app):  # else the worker catches up when it starts
            catch_up()


# --- maintenance ------------------------------------------------------------------------


def _chunks(items, size):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start:start + size]


def reindex(batch_size=500):
    """Empty the index and rebuild it from the database; returns {kind: documents indexed}.

    Changes committed meanwhile keep their outbox rows and are applied as usual.
    """
    backend = get_backend()
    counts = {}
    backend.clear()
    for kind, registration in sorted(_registry.items()):
        if registration.all_ids is None:
            log.warning("Search kind %r has no all_ids: not reindexed.", kind)
            continue
        counts[kind] = 0
        for ids in _chunks(registration.all_ids(), batch_size):
            documents, _gone = _documents(registration, ids)
            backend.upsert(documents)
            counts[kind] += len(documents)
    return counts


def check(batch_size=500):
    """Compare the index with the database: keys missing from the index, stale, or extra."""
    expected = {}
    unchecked = []
    for kind, registration in sorted(_registry.items()):
        if registration.all_ids is None:
            unchecked.append(kind)
            continue
        for ids in _chunks(registration.all_ids(), batch_size):
            documents, _gone = _documents(registration, ids)
            for document in documents:
                expected[document.key] = document.updated_at
    indexed = get_backend().keys()
    missing = sorted(expected.keys() - indexed.keys())
    extra = sorted(k for k in indexed.keys() - expected.keys() if k.split(":", 1)[0] not in unchecked)
    stale = sorted(k for k in expected.keys() & indexed.keys() if abs(expected[k] - indexed[k]) > timedelta(milliseconds=1))
    return {
        "ok": not (missing or stale or extra),
        "documents": len(expected),
        "indexed": len(indexed),
        "missing": missing,
        "stale": stale,
        "extra": extra,
        "pending": pending_count(),
        "unchecked_kinds": unchecked,
    }

