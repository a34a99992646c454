from urllib.parse import urlsplit

from flask import request, url_for


def safe_next(default_endpoint="core.home", value=None):
    """A same-site path to go back to, never an outside address."""
    target = value if value is not None else (request.values.get("next") or "")
    if (
        isinstance(target, str) and target.startswith("/") and not target.startswith("//") and "\\" not in target
        and not any(ord(c) < 32 or ord(c) == 127 for c in target)  # CR/LF would break the Location header
    ):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for(default_endpoint)
