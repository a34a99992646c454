"""The JSON API, /api/v1: bearer-token authentication, JSON errors, an OpenAPI 3 document."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import views  # noqa: E402,F401
