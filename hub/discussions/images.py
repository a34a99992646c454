"""Link preview images kept in the instance folder, stored once by content: link-previews/ab/abcdef…

A card's image is fetched (see previews.py) when its post is written; cards showing the same image
share one file. The file goes once no card shows it: after a deleted post's commit, and, for files
left by a transaction that rolled back or by rows removed in bulk, in the worker's periodic sweep.
A file written or reused in the last GRACE_SECONDS is left alone, since a post that is still being
written may be about to refer to it.
"""
import hashlib
import logging
import os
import re
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..extensions import db
from .models import PostAttachment

log = logging.getLogger(__name__)

GRACE_SECONDS = 5 * 60
SWEEP_SECONDS = 6 * 60 * 60
_NAME = re.compile(r"^[0-9a-f]{64}$")


def folder():
    return Path(current_app.instance_path) / "link-previews"


def path_of(sha256):
    if not isinstance(sha256, str) or not _NAME.match(sha256):
        return None
    return folder() / sha256[:2] / sha256


def store(image):
    """Keep the image's bytes (once, whatever the number of cards showing them); return their SHA-256."""
    sha = hashlib.sha256(image.data).hexdigest()
    path = path_of(sha)
    try:
        os.utime(path)  # already kept: fresh again, so no clean-up running now removes it
        return sha
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(image.data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return sha


def _in_use(shas):
    """Those of these files a committed card refers to (read on a connection of its own)."""
    with db.engine.connect() as conn:
        return set(conn.execute(
            sa.select(PostAttachment.image_sha256).where(PostAttachment.image_sha256.in_(list(shas))).distinct()
        ).scalars())


def _remove_if_old(path, now):
    try:
        if now - path.stat().st_mtime >= GRACE_SECONDS:
            path.unlink()
            return True
    except FileNotFoundError:
        pass
    return False


def remove_unused(shas):
    """Remove the files of these hashes that no card refers to any more. Returns how many went."""
    shas = {s for s in shas if path_of(s) is not None}
    if not shas:
        return 0
    now = time.time()
    return sum(_remove_if_old(path_of(sha), now) for sha in shas - _in_use(shas))


def forget_after_commit(shas):
    """Once the session commits, remove these files if no card refers to them any more."""
    db.session.info.setdefault("hub_forget_preview_images", set()).update(s for s in shas if s)


def _forget_pending(session):
    pending = session.info.pop("hub_forget_preview_images", None)
    if not pending:
        return
    try:
        remove_unused(pending)
    except Exception:  # the periodic sweep removes what is left
        log.exception("Removing unused link preview images failed")


def _discard_pending(session, *args):
    session.info.pop("hub_forget_preview_images", None)


event.listen(Session, "after_commit", _forget_pending)
event.listen(Session, "after_soft_rollback", _discard_pending)


def sweep(_app=None):
    """Remove every file (and leftover temporary file) no card refers to. Returns how many went.
    The email worker runs it every SWEEP_SECONDS."""
    root = folder()
    if not root.is_dir():
        return 0
    used = set(db.session.execute(
        sa.select(PostAttachment.image_sha256).where(PostAttachment.image_sha256.is_not(None)).distinct()
    ).scalars())
    now, removed = time.time(), 0
    for path in root.glob("*/*"):
        if (_NAME.match(path.name) and path.name not in used) or path.name.startswith(".tmp-"):
            removed += _remove_if_old(path, now)
    return removed
