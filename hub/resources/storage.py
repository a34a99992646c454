"""Files stored once by content hash under the upload folder: uploads/ab/abcdef…"""
import hashlib
import os
import tempfile
from pathlib import Path

CHUNK = 1024 * 1024


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
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=".upload-")
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
