"""Search over everything a member may see. The backend is chosen by HUB_SEARCH_BACKEND."""
import os
from pathlib import Path

from flask import current_app

BACKENDS = ("whoosh", "postgres")


def status():
    """State of the search backend, for /healthz."""
    backend = current_app.config.get("SEARCH_BACKEND", "whoosh")
    if backend not in BACKENDS:
        return {"status": "error", "backend": backend, "error": "unknown backend"}
    if backend == "postgres":
        from ..extensions import db

        ok = db.engine.dialect.name == "postgresql"
        return {"status": "ok" if ok else "error", "backend": backend, **({} if ok else {"error": "requires PostgreSQL"})}
    path = Path(current_app.config["SEARCH_INDEX_PATH"])
    try:
        path.mkdir(parents=True, exist_ok=True)
        writable = os.access(path, os.W_OK)
    except OSError as error:
        return {"status": "error", "backend": backend, "error": type(error).__name__}
    return {"status": "ok" if writable else "error", "backend": backend, "path_writable": writable}
