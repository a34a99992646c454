"""Threads and posts in the JSON API (/api/v1)."""
from flask import jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin

from .. import access
from ..api import bp
from ..api.helpers import ApiError, authenticated_user, invalid, json_body, refuse_unknown_fields, service_error, string_field
from ..api.serializers import iso, user_json
from ..api.views import _community, _require
from ..exceptions import ServiceError
from ..extensions import db
from . import service
from .models import Post, Thread

THREAD_FIELDS = {"title", "body", "category", "is_question"}
POST_FIELDS = {"body", "reply_to"}
EDIT_FIELDS = {"body"}
MAX_PAGE_SIZE = 200


def _int(value, name):
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**31:
        raise invalid({name: _("Must be an id.")})
    return value


def _get(model, object_id):
    found = service.get(model, object_id)
    if found is None:
        raise ApiError(404)
    return found


def post_json(post):
    masked = post.is_deleted or access.hidden_from(authenticated_user() or AnonymousUserMixin(), "post", post)
    return {
        "id": post.id, "thread_id": post.thread_id,
        "author": user_json(post.author) if post.author else None,
        "body": None if masked else post.body,
        "body_html": "" if masked else post.body_html,
        "deleted": post.is_deleted, "hidden": post.hidden_at is not None and not post.is_deleted, "is_answer": post.is_answer, "reply_to": post.reply_to_id,
        "created_at": iso(post.created_at), "edited_at": iso(post.edited_at),
        "reactions": {emoji: value["count"] for emoji, value in service.reaction_counts(post).items()},
        "attachments": [
            {"kind": a.kind, "url": a.url or None, "title": a.title or a.filename or None, "description": a.description or None,
             "resource_id": a.resource_id,
             "image": url_for("discussions.preview_image", attachment_id=a.id, v=a.image_sha256[:16], _external=True)
             if a.image_sha256 and not post.is_deleted else None}
            for a in (post.attachments if not masked else [])
        ],
        "url": url_for("discussions.post", post_id=post.id, _external=True),
    }


def thread_json(thread, posts, page, pages):
    return {
        "id": thread.id, "community": thread.community.slug, "title": thread.title,
        "category": {"id": thread.category.id, "name": thread.category.name} if thread.category else None,
        "author": user_json(thread.author) if thread.author else None, "tags": thread.tag_names,
        "pinned": thread.pinned, "locked": thread.locked, "is_question": thread.is_question,
        "post_count": thread.post_count, "created_at": iso(thread.created_at), "last_post_at": iso(thread.last_post_at),
        "url": url_for("discussions.thread", thread_id=thread.id, _external=True),
        "page": page, "pages": pages, "posts": [post_json(p) for p in posts],
    }


@bp.route("/communities/<slug>/threads", methods=["POST"])
def create_thread(slug):
    community = _community(slug)
    user = _require("thread.create", community)
    data = json_body()
    refuse_unknown_fields(data, THREAD_FIELDS)
    title, body = string_field(data, "title", required=True, strip=False), string_field(data, "body", required=True, strip=False, multiline=True)
    category = _int(data.get("category"), "category")
    is_question = data.get("is_question", False)
    if not isinstance(is_question, bool):
        raise invalid({"is_question": _("Must be true or false.")})
    try:
        thread, _post = service.create_thread(community, user, title, body, category_id=category, is_question=is_question)
    except ServiceError as error:
        db.session.rollback()
        raise service_error(error) from None
    db.session.commit()
    return jsonify({"id": thread.id, "url": url_for("discussions.thread", thread_id=thread.id, _external=True)}), 201


@bp.route("/threads/<int:thread_id>")
def get_thread(thread_id):
    thread = _get(Thread, thread_id)
    _require("thread.read", thread)
    pages = service.page_count(thread, MAX_PAGE_SIZE)
    value = request.args.get("page", "1")
    page = int(value) if value.isdigit() and len(value) < 7 and int(value) > 0 else 1
    posts = service.thread_page(thread, page, MAX_PAGE_SIZE)
    return jsonify(thread_json(thread, posts, page, pages))


@bp.route("/threads/<int:thread_id>/posts", methods=["POST"])
def create_post(thread_id):
    thread = _get(Thread, thread_id)
    user = _require("thread.reply", thread)
    data = json_body()
    refuse_unknown_fields(data, POST_FIELDS)
    body = string_field(data, "body", required=True, strip=False, multiline=True)
    reply_to = _int(data.get("reply_to"), "reply_to")
    try:
        post = service.reply(thread, user, body, reply_to_id=reply_to)
    except ServiceError as error:
        db.session.rollback()
        raise service_error(error) from None
    db.session.commit()
    return jsonify(post_json(post)), 201


@bp.route("/posts/<int:post_id>", methods=["PUT"])
def update_post(post_id):
    post = _get(Post, post_id)
    _require("thread.read", post.thread)
    user = _require("post.edit", post)
    data = json_body()
    refuse_unknown_fields(data, EDIT_FIELDS)
    try:
        service.edit_post(post, user, string_field(data, "body", required=True, strip=False, multiline=True))
    except ServiceError as error:
        db.session.rollback()
        raise service_error(error) from None
    db.session.commit()
    return jsonify(post_json(post))


@bp.route("/threads/<int:thread_id>", methods=["PATCH"])
def update_thread(thread_id):
    """Move a thread to another category and/or replace its tags; what is not sent stays."""
    thread = _get(Thread, thread_id)
    _require("thread.read", thread)
    _require("thread.edit", thread)
    data = json_body()
    refuse_unknown_fields(data, {"category", "tags"})
    category = _int(data.get("category"), "category")
    tags = data.get("tags")
    if tags is not None and (not isinstance(tags, list) or len(tags) > 100 or not all(isinstance(t, str) for t in tags)):
        raise invalid({"tags": _("Must be a list of tags (strings).")})
    try:
        service.update_thread(thread, category_id=category, tags=tags)
    except ServiceError as error:
        db.session.rollback()
        raise service_error(error) from None
    db.session.commit()
    return jsonify(thread_json(thread, service.thread_page(thread, 1, MAX_PAGE_SIZE), 1, service.page_count(thread, MAX_PAGE_SIZE)))


@bp.route("/communities/<slug>/categories")
def list_categories(slug):
    """The community's discussion categories, the default one first."""
    community = _community(slug)
    _require("discussion.read", community)
    counts = service.category_counts(community)
    return jsonify({"categories": [
        {"id": c.id, "name": c.name, "description": c.description or "", "default": i == 0, "thread_count": counts.get(c.id, 0)}
        for i, c in enumerate(service.categories(community))
    ]})


@bp.route("/posts/<int:post_id>", methods=["DELETE"])
def delete_post(post_id):
    post = _get(Post, post_id)
    _require("thread.read", post.thread)
    user = _require("post.delete", post)
    service.delete_post(post, user)
    db.session.commit()
    return "", 204
