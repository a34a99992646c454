"""Files stored once by content hash under the upload folder: uploads/ab/abcdef…

An upload is first written to a temporary file (``.upload-…``), then renamed to its hash; its
version row is committed afterwards. A process killed in between leaves a file no row refers to:
:func:`sweep` removes those, once they are older than ORPHAN_SECONDS (an upload in progress, or
one whose file was just written or reused, is never that old)."""
import hashlib
import os
import re
import tempfile
import time
from pathlib import Path

CHUNK = 1024 * 1024
ORPHAN_SECONDS = 60 * 60
TEMP_PREFIX = ".upload-"
_BLOB = re.compile(r"^[0-9a-f]{64}$")


class TooLarge(Exception):
    pass


class Empty(Exception):
    pass


def blob_path(folder, sha256):
    return Path(folder) / sha256[:2] / sha256


def save_stream(folder, stream, max_bytes):
    """Copy a stream into the store; return (sha256, size, path). Nothing is kept when it is too large or empty."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=TEMP_PREFIX)
    try:
        with os.fdopen(fd, "wb") as tmp:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge()
                digest.update(chunk)
                tmp.write(chunk)
        if size == 0:
            raise Empty()
        sha = digest.hexdigest()
        path = blob_path(folder, sha)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            os.unlink(tmp_name)
            os.utime(path)  # in use again: the sweep leaves it alone until the version row exists
        else:
            os.replace(tmp_name, path)
        return sha, size, path
    except BaseException:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
        raise


def remove_if_unused(folder, sha256, still_used):
    """Delete a blob once no version refers to it."""
    if not still_used:
        path = blob_path(folder, sha256)
        if path.exists():
            path.unlink()


def sweep(folder, referenced, older_than=ORPHAN_SECONDS, now=None):
    """Remove the stored files whose hash is not in ``referenced`` (a set, or a function of a set of
    hashes giving those still referenced) and the leftover temporary files, when they were last
    changed more than ``older_than`` seconds ago. Nothing else in the folder is touched. Returns the
    paths removed."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    now = time.time() if now is None else now
    old = []
    candidates = [p for p in folder.iterdir() if p.name.startswith(TEMP_PREFIX)]
    candidates += [p for p in folder.glob("[0-9a-f][0-9a-f]/*") if _BLOB.match(p.name) and p.parent.name == p.name[:2]]
    for path in candidates:
        try:
            stat = path.lstat()
        except FileNotFoundError:
            continue
        if path.is_file() and not path.is_symlink() and now - stat.st_mtime > older_than:
            old.append(path)
    hashes = {p.name for p in old if not p.name.startswith(TEMP_PREFIX)}
    used = referenced(hashes) if callable(referenced) else set(referenced) & hashes
    removed = []
    for path in old:
        if path.name in used:
            continue
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        removed.append(path)
    return removed
