"""Backups and restores of an instance: the database and the files, in one archive.

``flask hub backup PATH`` writes a gzipped tar archive while the hub keeps serving:

    manifest.json            format, hub version (Alembic revision), date, database kind, row counts,
                             and the size and SHA-256 of every other member
    database/hub.sqlite3     SQLite: a copy made with SQLite's online backup API
    database/<table>.jsonl   PostgreSQL: every table read inside one REPEATABLE READ READ ONLY
    database/tables.json     transaction (one consistent snapshot), one JSON array per row
    files/uploads/…          the upload folder (resource files)
    files/instance/…         the rest of the instance folder that is data: avatars, link-preview
                             images, the generated secret key

The search index (Whoosh folder or PostgreSQL tables) and its outbox are left out: ``restore``
rebuilds the index from the restored rows. Files are copied after the database snapshot, then
checked against the rows that refer to them (resource versions, avatars, preview images): a
referenced file that is missing is listed in the manifest and reported. A file written after the
snapshot is copied too; no row of the snapshot refers to it, which is harmless.

``flask hub restore PATH`` checks every member against the manifest, refuses a database that holds
data, loads the database, upgrades it to this code's schema (``flask db upgrade``), puts the files
back and rebuilds the search index.
"""
import base64
import datetime as dt
import decimal
import hashlib
import io
import json
import logging
import os
import shutil
import sqlite3
import tarfile
import tempfile
import uuid
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from .extensions import db

log = logging.getLogger(__name__)

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/hub.sqlite3"
TABLES_MEMBER = "database/tables.json"
# The search index is rebuilt on restore: its tables and outbox are not backed up.
SKIPPED_TABLES = frozenset({"search_documents", "search_terms", "search_outbox"})
NOT_DATA = frozenset({"alembic_version"}) | SKIPPED_TABLES
# Files the rows refer to: (area, query giving one name per row, path of a name inside the area).
REFERENCES = (
    ("uploads", "SELECT DISTINCT sha256 FROM resource_versions", lambda name: f"{name[:2]}/{name}"),
    ("instance", "SELECT DISTINCT avatar_file FROM users WHERE avatar_file IS NOT NULL", lambda name: f"avatars/{name}"),
    ("instance", "SELECT DISTINCT image_sha256 FROM post_attachments WHERE image_sha256 IS NOT NULL",
     lambda name: f"link-previews/{name[:2]}/{name}"),
)
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why."""


# --- helpers ---------------------------------------------------------------------------------


class _HashingReader:
    """Reads ``size`` bytes of a file for tarfile, hashing them on the way."""

    def __init__(self, handle, size):
        self.handle, self.left = handle, size
        self.digest = hashlib.sha256()

    def read(self, size=-1):
        size = self.left if size is None or size < 0 else min(size, self.left)
        data = self.handle.read(size)
        self.left -= len(data)
        self.digest.update(data)
        return data


def _add_file(tar, path, arcname):
    """Add one file; returns its size and SHA-256 (of the bytes written, read once)."""
    with open(path, "rb") as handle:
        info = tar.gettarinfo(fileobj=handle, arcname=arcname)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        reader = _HashingReader(handle, info.size)
        tar.addfile(info, reader)
    return {"size": info.size, "sha256": reader.digest.hexdigest()}


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _encode(value):
    """A column value as JSON (decoded again by the column's type on restore)."""
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    return value


def _decoder(column):
    try:
        kind = column.type.python_type
    except NotImplementedError:
        return None
    if kind is dt.datetime:
        return dt.datetime.fromisoformat
    if kind is dt.date:
        return dt.date.fromisoformat
    if kind is dt.time:
        return dt.time.fromisoformat
    if kind is bytes:
        return base64.b64decode
    if kind is decimal.Decimal:
        return decimal.Decimal
    return None


def _areas(app):
    """Where each file area lives: {"uploads": Path, "instance": Path}."""
    return {"uploads": Path(app.config["UPLOAD_FOLDER"]).resolve(), "instance": Path(app.instance_path).resolve()}


def _left_out(app):
    """Paths under the instance folder that are not data (or are copied otherwise)."""
    paths = {Path(app.config["SEARCH_INDEX_PATH"]).resolve(), Path(app.config["UPLOAD_FOLDER"]).resolve()}
    database = db.engine.url.database if db.engine.dialect.name == "sqlite" else None
    if database:
        base = Path(database).resolve()
        paths |= {base, Path(f"{base}-wal"), Path(f"{base}-shm"), Path(f"{base}-journal")}
    return paths


def _data_files(app, area, root, skip):
    """(path, path inside the area) of every data file in an area, sorted."""
    if not root.is_dir():
        return []
    found = []
    for folder, dirs, files in os.walk(root):
        folder = Path(folder)
        dirs[:] = sorted(d for d in dirs if (folder / d).resolve() not in skip)
        for name in sorted(files):
            path = folder / name
            # Temporary files of uploads in progress, lock files, and what is not data.
            if name.startswith(".") or name.endswith((".tmp", ".lock")) or path.resolve() in skip or not path.is_file():
                continue
            found.append((path, path.relative_to(root).as_posix()))
    return found


def head_revision(app):
    """The newest Alembic revision of this code."""
    from alembic.script import ScriptDirectory

    config = current_app.extensions["migrate"].migrate.get_config()
    heads = ScriptDirectory.from_config(config).get_heads()
    return heads[0] if len(heads) == 1 else ",".join(sorted(heads))


# --- backup ----------------------------------------------------------------------------------


def _revision(rows):
    return ",".join(sorted(r[0] for r in rows)) or None


def _snapshot_sqlite(workdir):
    """Copy the SQLite database with the online backup API; returns (file, revision, tables, references)."""
    source = db.engine.url.database
    target = workdir / "hub.sqlite3"
    reader = sqlite3.connect(f"file:{Path(source).resolve()}?mode=ro", uri=True, timeout=60)
    writer = sqlite3.connect(target)
    try:
        # One step (pages=-1): the whole database is read in one read transaction, a consistent
        # snapshot; in WAL mode the hub's writers go on meanwhile.
        reader.backup(writer, pages=-1)
    finally:
        reader.close()
    try:
        revision = _revision(_query_sqlite(writer, "SELECT version_num FROM alembic_version"))
        names = [r[0] for r in writer.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        tables = {name: writer.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in sorted(names)}
        references = _references(lambda sql: _query_sqlite(writer, sql))
    finally:
        writer.close()
    return target, revision, tables, references


def _query_sqlite(connection, sql):
    try:
        return connection.execute(sql).fetchall()
    except sqlite3.OperationalError:  # a table this database does not have (yet)
        return []


def _references(query):
    wanted = set()
    for area, sql, path in REFERENCES:
        for (name,) in query(sql):
            if name:
                wanted.add((area, path(name)))
    return wanted


def _snapshot_postgres(workdir):
    """Every table inside one REPEATABLE READ READ ONLY transaction, as JSON lines.

    Returns (files, revision, tables, references)."""
    files = []
    tables = {}
    with db.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with connection.begin():
            names = [n for n in sa.inspect(connection).get_table_names() if n not in SKIPPED_TABLES]
            metadata = sa.MetaData()
            metadata.reflect(bind=connection, only=names)

            def query(sql):
                try:
                    with connection.begin_nested():  # a missing table fails this savepoint only
                        return connection.execute(sa.text(sql)).all()
                except sa.exc.ProgrammingError:
                    return []

            revision = _revision(query("SELECT version_num FROM alembic_version"))
            references = _references(query)
            layout = {}
            for table in metadata.sorted_tables:
                columns = [c.name for c in table.columns]
                layout[table.name] = columns
                order = list(table.primary_key.columns) or list(table.columns)
                path = workdir / f"{table.name}.jsonl"
                count = 0
                with open(path, "w", encoding="utf-8") as out:
                    result = connection.execution_options(yield_per=1000).execute(sa.select(table).order_by(*order))
                    for row in result:
                        out.write(json.dumps([_encode(v) for v in row], ensure_ascii=False, separators=(",", ":")))
                        out.write("\n")
                        count += 1
                tables[table.name] = count
                files.append((path, f"database/{table.name}.jsonl"))
    layout_path = workdir / "tables.json"
    # In foreign-key order: restore loads them in this order.
    layout_path.write_text(json.dumps({"order": list(layout), "columns": layout}, ensure_ascii=False))
    files.insert(0, (layout_path, TABLES_MEMBER))
    return files, revision, tables, references


def backup(path):
    """Write a backup archive of the current application's instance to ``path``; returns the manifest."""
    app = current_app._get_current_object()
    path = Path(path).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    kind = db.engine.dialect.name
    if kind not in ("sqlite", "postgresql"):
        raise BackupError(f"Backups know SQLite and PostgreSQL, not {kind}.")
    db.session.remove()
    partial = path.with_name(path.name + ".partial")
    with tempfile.TemporaryDirectory(prefix="hub-backup-", dir=path.parent) as work:
        workdir = Path(work)
        taken_at = dt.datetime.now(dt.timezone.utc)
        if kind == "sqlite":
            snapshot, revision, tables, references = _snapshot_sqlite(workdir)
            database_files = [(snapshot, SQLITE_MEMBER)]
        else:
            database_files, revision, tables, references = _snapshot_postgres(workdir)
        schema_from = "alembic"
        if revision is None:  # a schema made from the models (db.create_all): this code's newest revision
            revision, schema_from = head_revision(app), "models"
        members = {}
        skip = _left_out(app) | {path, partial, workdir.resolve()}
        with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
            for file, arcname in database_files:
                members[arcname] = _add_file(tar, file, arcname)
            # The files, after the database snapshot: every file a row of the snapshot refers to exists by now.
            archived = set()
            for area, root in _areas(app).items():
                for file, inside in _data_files(app, area, root, skip):
                    try:
                        members[f"files/{area}/{inside}"] = _add_file(tar, file, f"files/{area}/{inside}")
                    except FileNotFoundError:  # removed meanwhile (its row too, after the snapshot)
                        continue
                    archived.add((area, inside))
            missing = sorted(f"{area}/{inside}" for area, inside in references - archived)
            manifest = {
                "format": FORMAT,
                "hub_revision": revision,
                "schema_from": schema_from,
                "created_at": taken_at.isoformat(timespec="seconds"),
                "database": kind,
                "search_backend": app.config.get("SEARCH_BACKEND", "whoosh"),
                "tables": tables,
                "referenced_files": len(references),
                "missing_files": missing,
                "members": members,
            }
            data = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(data), int(taken_at.timestamp()), 0o644
            tar.addfile(info, io.BytesIO(data))
        os.chmod(partial, 0o600)  # it holds password hashes and the secret key
        os.replace(partial, path)
    return manifest


# --- restore ---------------------------------------------------------------------------------


def _open(path, workdir):
    """Extract the archive (or read the folder) and check every member against the manifest."""
    path = Path(path)
    if path.is_dir():
        root = path
    elif path.is_file():
        try:
            with tarfile.open(path, "r:*") as tar:
                tar.extractall(workdir, filter="data")
        except (tarfile.TarError, OSError) as error:
            raise BackupError(f"{path} is not a readable backup archive: {error}") from None
        root = workdir
    else:
        raise BackupError(f"{path} does not exist.")
    try:
        manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise BackupError(f"{path} has no readable {MANIFEST}: it is not a backup of the hub.") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Backup format {manifest.get('format')!r} is not known to this version (expected {FORMAT}).")
    for arcname, expected in manifest["members"].items():
        member = root / arcname
        if not member.is_file():
            raise BackupError(f"The backup is incomplete: {arcname} is missing.")
        if member.stat().st_size != expected["size"] or _sha256(member) != expected["sha256"]:
            raise BackupError(f"The backup is damaged: {arcname} does not match its checksum.")
    return root, manifest


def _tables_with_data(connection):
    found = []
    for name in sa.inspect(connection).get_table_names():
        if name in NOT_DATA:
            continue
        if connection.execute(sa.text(f'SELECT 1 FROM "{name}" LIMIT 1')).first() is not None:
            found.append(name)
    return found


def _current_revision(connection):
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    return _revision(connection.execute(sa.text("SELECT version_num FROM alembic_version")).all())


def _restore_sqlite(root):
    target = Path(db.engine.url.database).resolve()
    db.session.remove()
    db.engine.dispose()
    target.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (Path(f"{target}-wal"), Path(f"{target}-shm"), Path(f"{target}-journal")):
        leftover.unlink(missing_ok=True)
    copy = target.with_name(target.name + ".restoring")
    shutil.copyfile(root / SQLITE_MEMBER, copy)
    os.replace(copy, target)


def _restore_postgres(root, manifest, target_revision, has_tables):
    from flask_migrate import upgrade

    revision = manifest["hub_revision"]
    if not has_tables:
        upgrade(revision=revision)  # the schema the rows were read from
    elif target_revision is None and manifest.get("schema_from") == "models" and revision == head_revision(current_app):
        pass  # both made from this code's models
    elif target_revision != revision:
        raise BackupError(
            f"The target database has the schema of revision {target_revision or 'unknown'}, the backup that of {revision}: "
            "restore into a database without tables (createdb), which this command builds to the backup's revision."
        )
    layout = json.loads((root / TABLES_MEMBER).read_text(encoding="utf-8"))
    metadata = sa.MetaData()
    with db.engine.begin() as connection:
        metadata.reflect(bind=connection, only=list(layout["order"]))
        for name in layout["order"]:
            table = metadata.tables[name]
            columns = layout["columns"][name]
            unknown = [c for c in columns if c not in table.columns]
            if unknown:
                raise BackupError(f"Table {name} of the backup has columns the target lacks: {', '.join(unknown)}.")
            decoders = [_decoder(table.columns[c]) for c in columns]
            batch = []
            with open(root / "database" / f"{name}.jsonl", encoding="utf-8") as rows:
                for line in rows:
                    values = json.loads(line)
                    batch.append({c: (d(v) if d is not None and v is not None else v) for c, d, v in zip(columns, decoders, values)})
                    if len(batch) >= 500:
                        connection.execute(table.insert(), batch)
                        batch = []
            if batch:
                connection.execute(table.insert(), batch)
            # Sequences go on after the restored ids.
            for column in table.primary_key.columns:
                sequence = connection.execute(sa.text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": name, "c": column.name}).scalar()
                if sequence:
                    connection.execute(sa.text(
                        f'SELECT setval(:s, COALESCE(MAX("{column.name}"), 1), MAX("{column.name}") IS NOT NULL) FROM "{name}"'
                    ), {"s": sequence})


def restore(path):
    """Restore a backup archive into the current application's (empty) instance; returns the manifest."""
    from flask_migrate import upgrade

    from . import search

    app = current_app._get_current_object()
    kind = db.engine.dialect.name
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hub-restore-", dir=instance) as work:
        root, manifest = _open(path, Path(work))
        if manifest["database"] != kind:
            raise BackupError(f"The backup is of a {manifest['database']} database; this instance uses {kind}.")
        db.session.remove()
        with db.engine.connect() as connection:
            busy = _tables_with_data(connection)
            target_revision = _current_revision(connection)
            has_tables = bool(set(sa.inspect(connection).get_table_names()) - {"alembic_version"})
        if busy:
            raise BackupError(
                "The target database already holds data (tables " + ", ".join(sorted(busy)[:5]) + (", …" if len(busy) > 5 else "")
                + "): restore only into an empty instance. Nothing was changed."
            )
        if kind == "sqlite":
            _restore_sqlite(root)
            with db.engine.connect() as connection:
                unstamped = _current_revision(connection) is None
            if unstamped:  # a schema made from the models of the backup's revision: say so to Alembic
                from flask_migrate import stamp

                stamp(revision=manifest["hub_revision"])
        else:
            _restore_postgres(root, manifest, target_revision, has_tables)
        with db.engine.connect() as connection:
            migrated = _current_revision(connection) is not None
        if migrated:
            upgrade()  # from the backup's revision to this code's
        # The files, in place.
        areas = _areas(app)
        for arcname in manifest["members"]:
            if not arcname.startswith("files/"):
                continue
            _files, area, inside = arcname.split("/", 2)
            if area not in areas:
                continue
            target = areas[area] / inside
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(root / arcname, target)
            if area == "instance" and inside == "secret_key":
                os.chmod(target, 0o600)
    # The search index, from the restored rows.
    db.session.remove()
    with app.test_request_context("/", base_url=app.config.get("BASE_URL") or None):
        counts = search.reindex()
        search.catch_up()
    manifest["reindexed"] = counts
    return manifest
