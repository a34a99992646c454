"""GET /api/v1/search: the same search as the page, as JSON."""
import sqlalchemy as sa
from flask import jsonify, request
from flask_babel import gettext as _

from ..api import bp
from ..api.helpers import ApiError, require_user
from ..extensions import db
from . import CommunityNotFound, QuerySyntaxError, search
from .query import MAX_LENGTH

MAX_PER_PAGE = 100
MAX_PAGE = 500


def community_slugs(ids):
    """{community id: slug} for these ids."""
    from ..communities.models import Community

    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    rows = db.session.execute(sa.select(Community.id, Community.slug).where(Community.id.in_(ids)))
    return {row.id: row.slug for row in rows}


def _integer(name, default=None, low=None, high=None):
    raw = request.args.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ApiError(422, _("%(name)s must be a whole number.", name=name), code="invalid", fields={name: [_("Must be a whole number.")]})
    if (low is not None and value < low) or (high is not None and value > high):
        raise ApiError(422, _("%(name)s must be between %(low)d and %(high)d.", name=name, low=low, high=high), code="invalid", fields={name: [_("Out of range.")]})
    return value


def _text(name, limit=200):
    value = request.args.get(name, "")
    if "\x00" in value or len(value) > limit:
        raise ApiError(422, _("Some of what you entered is not valid."), code="invalid", fields={name: [_("Not valid.")]})
    return value.strip() or None


@bp.route("/search", endpoint="search")
def search_endpoint():
    user = require_user()
    sort = request.args.get("sort", "relevance")
    if sort not in ("relevance", "date"):
        raise ApiError(422, _("sort must be relevance or date."), code="invalid", fields={"sort": [_("Not valid.")]})
    kinds = tuple(k for value in request.args.getlist("kind") for k in value.split(",") if k.strip())
    try:
        results = search(
            user,
            _text("q", MAX_LENGTH + 1) or "",
            community=_text("community", 60),
            kinds=tuple(k.strip() for k in kinds),
            type=_text("type"),
            theme=_text("theme"),
            municipality=_text("municipality"),
            year=_integer("year", low=1000, high=9999),
            language=_text("language", 10),
            sort=sort,
            page=_integer("page", 1, 1, MAX_PAGE),
            per_page=_integer("per_page", 20, 1, MAX_PER_PAGE),
        )
    except QuerySyntaxError as error:
        raise ApiError(422, str(error), code="invalid_query")
    except CommunityNotFound:
        raise ApiError(404)
    slugs = community_slugs([h.community_id for h in results.hits] + list(results.facets.get("community", {})))
    facets = {name: {str(value): count for value, count in values.items()} for name, values in results.facets.items() if name != "community"}
    facets["community"] = {slugs[c]: n for c, n in results.facets.get("community", {}).items() if c in slugs}
    return jsonify({
        "total": results.total,
        "page": _integer("page", 1, 1, MAX_PAGE),
        "per_page": _integer("per_page", 20, 1, MAX_PER_PAGE),
        "results": [
            {
                "kind": hit.kind,
                "id": hit.id,
                "title": hit.title,
                "url": hit.url,
                "snippet": hit.snippet,
                "community": slugs.get(hit.community_id),
                "updated_at": hit.updated_at.isoformat() if hit.updated_at else None,
            }
            for hit in results.hits
        ],
        "facets": facets,
        "suggestion": results.suggestion,
    })
