"""The activity feed's pages: across my communities (/activity) and of one community (/c/<slug>/activity).
The homes show their first items (templates/activity/_feed.html); these pages filter and page them."""
from flask import Blueprint, render_template, request
from flask_login import current_user

from .. import access, pagecache
from ..communities.views import community_or_404
from . import service

bp = Blueprint("activity", __name__)


def _query():
    """The kinds asked for (unknown names ignored) and the ``before`` cursor (a bad one: the first page)."""
    wanted, _unknown = service.parse_kinds(request.args.getlist("kind"))
    try:
        before = service.decode_cursor(request.args["before"]) if request.args.get("before") else None
    except service.BadCursor:
        before = None
    return wanted, before


@bp.route("/activity")
def mine():
    # Kept like the personal home, by address (filter and page): hub/pagecache.py.
    key = pagecache.home_page()
    kept = pagecache.get(key)
    if kept is not None:
        return kept[0]
    access.require("activity.own")
    wanted, before = _query()
    feed = service.personal(current_user, wanted, before)
    page = render_template("activity/index.html", feed=feed, community=None, older=before is not None)
    pagecache.put(key, page)
    return page


@bp.route("/c/<slug>/activity")
def community(slug):
    key = pagecache.community_page(slug)
    kept = pagecache.get(key)
    if kept is not None:
        return kept[0]
    found = community_or_404(slug)
    access.require("community.read", found)
    wanted, before = _query()
    feed = service.of_community(current_user, found, wanted, before)
    page = render_template("activity/index.html", feed=feed, community=found, older=before is not None)
    pagecache.put(key, page)
    return page
