"""The search page: GET /search."""
import math

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import db
from . import CommunityNotFound, QuerySyntaxError, search
from .query import FIELD_VALUES, MAX_LENGTH

bp = Blueprint("search", __name__)

FILTERS = ("community", "kind", "type", "theme", "municipality", "year")
PER_PAGE = 20
MAX_PAGE = 500
MIN_YEAR, MAX_YEAR = 1000, 9999


def communities_by_id(ids):
    """{community id: Community} for these ids."""
    from ..communities.models import Community

    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {c.id: c for c in db.session.execute(sa.select(Community).where(Community.id.in_(ids))).scalars()}


def _page():
    try:
        return min(MAX_PAGE, max(1, int(request.args.get("page", "1"))))
    except ValueError:
        return 1


@bp.route("/search")
@login_required
def results():
    query = request.args.get("q", "")
    filters = {name: " ".join(request.args.get(name, "").split())[:200] for name in FILTERS}
    sort = "date" if request.args.get("sort") == "date" else "relevance"
    page = _page()
    error, found = None, None
    year = None
    if filters["year"]:
        try:
            year = int(filters["year"])
        except ValueError:
            error = _("The year must be a number, such as 2021.")
        else:
            if not MIN_YEAR <= year <= MAX_YEAR:  # as the API: no row has another, and the index cannot hold one
                year, error = None, _("The year must be between %(low)d and %(high)d.", low=MIN_YEAR, high=MAX_YEAR)
    searched = bool(query.strip() or any(filters.values()))
    if searched and error is None:
        try:
            found = search(
                current_user,
                query,
                community=filters["community"] or None,
                kinds=(filters["kind"],) if filters["kind"] else (),
                type=filters["type"] or None,
                theme=filters["theme"] or None,
                municipality=filters["municipality"] or None,
                year=year,
                sort=sort,
                page=page,
                per_page=PER_PAGE,
            )
        except QuerySyntaxError as problem:
            error = str(problem)
        except CommunityNotFound:
            abort(404)
    communities = {}
    if found is not None:
        communities = communities_by_id([h.community_id for h in found.hits] + list(found.facets.get("community", {})))
    args = {"q": query, "sort": sort if sort != "relevance" else "", **filters}

    def link(**changes):
        """This search with some parameters changed (page back to 1 unless given)."""
        values = {**args, "page": "", **changes}
        return url_for("search.results", **{k: v for k, v in values.items() if v not in ("", None)})

    pages = math.ceil(found.total / PER_PAGE) if found is not None else 0
    return render_template(
        "search/results.html",
        query=query,
        filters=filters,
        sort=sort,
        page=page,
        pages=pages,
        found=found,
        error=error,
        searched=searched,
        communities=communities,
        link=link,
        max_length=MAX_LENGTH,
        per_page=PER_PAGE,
        type_codes=list(FIELD_VALUES["type"]()) if "type" in FIELD_VALUES else [],
    ), (422 if error else 200)
