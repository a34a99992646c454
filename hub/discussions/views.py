"""Pages: discussion lists, threads, the composer, edits and their history, reactions, sharing."""
from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import access, pagecache
from ..communities import service as communities
from ..communities.views import community_or_404
from ..exceptions import ServiceError
from ..extensions import db
from ..forms import show_service_error
from . import service
from .forms import (
    CategoryForm, ComposerForm, DeleteCategoryForm, DeleteTagForm, EditCategoryForm, EditPostForm, InviteForm, MoveCategoryForm,
    ReactionForm, RenameTagForm, ShareForm, SubscriptionForm, ThreadEditForm, ThreadForm,
)
from .models import REACTIONS, Category, Post, PostAttachment, Thread

bp = Blueprint("discussions", __name__)


def _int_arg(name):
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 10 and 0 < int(value) < 2**31 else None


def _thread_or_404(thread_id, action="thread.read"):
    thread = service.get(Thread, thread_id, with_community=True)
    if thread is None:
        abort(404)
    access.require(action, thread)
    return thread


def _post_or_404(post_id, action="thread.read"):
    post = service.get(Post, post_id)
    if post is None:
        abort(404)
    access.require("thread.read", post.thread)
    if action != "thread.read":
        access.require(action, post if action.startswith("post.") else post.thread)
    return post


def _files(form):
    return [f for f in (form.files.data or []) if getattr(f, "filename", None)]


def _reply_to(form):
    value = form.reply_to.data or ""
    return int(value) if isinstance(value, str) and value.isdigit() and len(value) < 10 and 0 < int(value) < 2**31 else None


# --- lists --------------------------------------------------------------------------------


@bp.route("/c/<slug>/discussions")
def index(slug):
    community = community_or_404(slug)
    access.require("discussion.read", community)
    cats = service.categories(community)
    category = next((c for c in cats if c.id == _int_arg("category")), None)
    tag = (request.args.get("tag") or "")[:60] or None
    page = _int_arg("page") or 1
    total, rows = service.list_threads(community, current_user, category=category, tag=tag, page=page)
    return render_template(
        "discussions/index.html", community=community, categories=cats, category=category, tag=tag, rows=rows, total=total,
        page=page, per_page=service.THREADS_PER_PAGE, tags=service.thread_tags(community),
        can_start=access.can(current_user, "thread.create", community),
    )


@bp.route("/c/<slug>/discussions/new", methods=["GET", "POST"])
def new_thread(slug):
    community = community_or_404(slug)
    access.require("thread.create", community)
    form = ThreadForm()
    cats = service.categories(community)
    form.category.choices = [(c.id or 0, c.name) for c in cats]
    if request.method == "GET" and _int_arg("category"):
        form.category.data = _int_arg("category")
    if form.validate_on_submit():
        try:
            thread, _post = service.create_thread(
                community, current_user, form.title.data, form.body.data, category_id=form.category.data,
                is_question=form.is_question.data, files=_files(form),
            )
        except ServiceError as error:
            db.session.rollback()
            show_service_error(form, error, {"file": "files", "reply_to": "body"})
        else:
            db.session.commit()
            flash(_("Your discussion is started."), "success")
            return redirect(url_for("discussions.thread", thread_id=thread.id))
    return render_template("discussions/new.html", community=community, form=form), 422 if form.errors else 200


# --- categories and tags ------------------------------------------------------------------


@bp.route("/c/<slug>/discussions/categories", methods=["GET", "POST"])
def categories(slug):
    community = community_or_404(slug)
    access.require("discussion.categories", community)
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            service.add_category(community, form.name.data, form.description.data)
        except ServiceError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            db.session.commit()
            flash(_("The category is added."), "success")
            return redirect(url_for("discussions.categories", slug=community.slug))
    if request.method == "GET" and service.categories(community)[0].id is None:
        service.default_category(community)  # saved, so that it can be renamed before the first discussion
        db.session.commit()
    return render_template(
        "discussions/categories.html", community=community, form=form, categories=service.categories(community),
        counts=service.category_counts(community),
    ), 422 if form.errors else 200


def _category_or_404(community, category_id):
    category = service.get(Category, category_id)
    if category is None or category.community_id != community.id:
        abort(404)
    return category


def _category_page(community, category, form, delete_form):
    cats = service.categories(community)
    delete_form.target.choices = [(c.id, c.name) for c in cats if c.id != category.id]
    if delete_form.target.data is None:
        delete_form.target.data = cats[0].id
    return render_template(
        "discussions/category.html", community=community, category=category, form=form, delete_form=delete_form,
        is_default=cats[0].id == category.id, count=service.category_counts(community).get(category.id, 0),
    )


@bp.route("/c/<slug>/discussions/categories/<int:category_id>", methods=["GET", "POST"])
def edit_category(slug, category_id):
    community = community_or_404(slug)
    access.require("discussion.categories", community)
    category = _category_or_404(community, category_id)
    form = EditCategoryForm(obj=category if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            service.rename_category(category, form.name.data, form.description.data)
        except ServiceError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            db.session.commit()
            flash(_("The category is saved."), "success")
            return redirect(url_for("discussions.categories", slug=community.slug))
    return _category_page(community, category, form, DeleteCategoryForm(formdata=None)), 422 if form.errors else 200


@bp.route("/c/<slug>/discussions/categories/<int:category_id>/move", methods=["POST"])
def move_category(slug, category_id):
    community = community_or_404(slug)
    access.require("discussion.categories", community)
    category = _category_or_404(community, category_id)
    form = MoveCategoryForm()
    if not form.validate_on_submit():
        flash(_("Choose to move the category up or down."), "error")
    elif service.move_category(category, -1 if form.direction.data == "up" else 1):
        db.session.commit()
    return redirect(url_for("discussions.categories", slug=community.slug) + f"#category-{category_id}")


@bp.route("/c/<slug>/discussions/categories/<int:category_id>/delete", methods=["POST"])
def delete_category(slug, category_id):
    """Its discussions move to the chosen category (the default one when none is chosen)."""
    community = community_or_404(slug)
    access.require("discussion.categories", community)
    category = _category_or_404(community, category_id)
    form = DeleteCategoryForm()
    if form.validate_on_submit():
        name = category.name
        try:
            target, _moved = service.delete_category(category, form.target.data)
        except ServiceError as error:
            db.session.rollback()
            if error.field is None:
                flash(str(error.message), "error")
                return redirect(url_for("discussions.edit_category", slug=community.slug, category_id=category_id))
            show_service_error(form, error)
        else:
            target_name = target.name
            db.session.commit()
            flash(_("The category “%(name)s” is deleted; its discussions are now in “%(target)s”.", name=name, target=target_name), "success")
            return redirect(url_for("discussions.categories", slug=community.slug))
    return _category_page(community, category, EditCategoryForm(obj=category), form), 422


def _tags_page(community, rename_form, delete_form):
    return render_template("discussions/tags.html", community=community, tags=service.thread_tags(community, limit=None),
                           rename_form=rename_form, delete_form=delete_form)


def _tag_forms(community):
    """The two forms of the tags page, the one posted filled in (with the community's tags as choices)."""
    posted = request.endpoint.rsplit(".", 1)[-1] if request.method == "POST" else None
    choices = [(name, f"#{name} ({count})") for name, count in service.thread_tags(community, limit=None)]
    rename = RenameTagForm(prefix="rename") if posted == "rename_tag" else RenameTagForm(formdata=None, prefix="rename")
    delete = DeleteTagForm(prefix="delete") if posted == "delete_tag" else DeleteTagForm(formdata=None, prefix="delete")
    rename.tag.choices, delete.tag.choices = choices, list(choices)
    return rename, delete


@bp.route("/c/<slug>/discussions/tags")
def tags(slug):
    community = community_or_404(slug)
    access.require("discussion.tags", community)
    rename_form, delete_form = _tag_forms(community)
    chosen = (request.args.get("tag") or "")[:60]
    rename_form.tag.data = delete_form.tag.data = chosen
    return _tags_page(community, rename_form, delete_form)


@bp.route("/c/<slug>/discussions/tags/rename", methods=["POST"])
def rename_tag(slug):
    """Rename a tag on every discussion; a name that is already a tag merges the two."""
    community = community_or_404(slug)
    access.require("discussion.tags", community)
    form, delete_form = _tag_forms(community)
    if form.validate_on_submit():
        old = form.tag.data
        try:
            name, count, merged = service.rename_tag(community, old, form.name.data)
        except ServiceError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            db.session.commit()
            if not count:
                flash(_("The tag #%(name)s keeps its name.", name=name), "info")
            elif merged:
                flash(_("The tag #%(old)s is merged into #%(name)s.", old=old, name=name), "success")
            else:
                flash(_("The tag #%(old)s is renamed #%(name)s.", old=old, name=name), "success")
            return redirect(url_for("discussions.tags", slug=community.slug))
    return _tags_page(community, form, delete_form), 422


@bp.route("/c/<slug>/discussions/tags/delete", methods=["POST"])
def delete_tag(slug):
    community = community_or_404(slug)
    access.require("discussion.tags", community)
    rename_form, form = _tag_forms(community)
    if form.validate_on_submit():
        try:
            name, _count = service.delete_tag(community, form.tag.data)
        except ServiceError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            db.session.commit()
            flash(_("The tag #%(name)s is removed from every discussion.", name=name), "success")
            return redirect(url_for("discussions.tags", slug=community.slug))
    return _tags_page(community, rename_form, form), 422


@bp.route("/threads/<int:thread_id>/edit", methods=["GET", "POST"])
def edit_thread(thread_id):
    """A discussion's category and tags: its author (until it is locked) and the facilitators."""
    thread = _thread_or_404(thread_id, "thread.edit")
    form = ThreadEditForm() if request.method == "POST" else ThreadEditForm(category=thread.category_id, tags=", ".join(thread.tag_names))
    form.category.choices = [(c.id or 0, c.name) for c in service.categories(thread.community)]
    if form.validate_on_submit():
        try:
            service.update_thread(thread, category_id=form.category.data, tags=form.tags.data if form.tags.raw_data else None)
        except ServiceError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            db.session.commit()
            flash(_("The category and tags of the discussion are saved."), "success")
            return redirect(url_for("discussions.thread", thread_id=thread_id))
    g.private_page = True
    return render_template("discussions/edit_thread.html", thread=thread, community=thread.community, form=form), 422 if form.errors else 200


@bp.route("/c/<slug>/mentions")
def mentions(slug):
    """Autocomplete for @mentions: members whose name matches."""
    community = community_or_404(slug)
    access.require("discussion.read", community)
    query = (request.args.get("q") or "")[:60]
    return jsonify({"members": service.mention_candidates(community, query)})


# --- a thread -----------------------------------------------------------------------------


_READ_STATE_UNKNOWN = object()


def _thread_context(thread, form, page=None, last_read=_READ_STATE_UNKNOWN):
    pages = service.page_count(thread)
    page = min(page or _int_arg("page") or pages, pages)
    if last_read is _READ_STATE_UNKNOWN:  # the thread view has it already, from the page cache's state
        last_read = service.last_read(thread, current_user)
    posts = service.thread_page(thread, page)
    can_reply = access.can(current_user, "thread.reply", thread)
    subscription = SubscriptionForm(formdata=None, level=service.subscription_level(thread, current_user), prefix="subscription") if current_user.is_authenticated else None
    invite_form = None
    if access.can(current_user, "thread.invite", thread):
        invited = {i.user_id for i in thread.invitees}
        invite_form = InviteForm(formdata=None, prefix="invite")
        invite_form.user.choices = [
            (m.user.id, m.user.display_name) for m in communities.members(thread.community, roles={"guest"})
            if m.user.id not in invited
        ]
    return dict(
        thread=thread, community=thread.community, posts=posts, page=page, pages=pages, last_read=last_read, form=form,
        can_reply=can_reply, can_file=service.files_to_resources(current_user, thread.community),
        reactions=REACTIONS, reaction_form=ReactionForm(formdata=None), subscription_form=subscription,
        invite_form=invite_form, can_moderate=access.can(current_user, "thread.moderate", thread),
        can_mark_answer=access.can(current_user, "thread.mark_answer", thread),
        invitees=[i.user_id for i in thread.invitees],
    )


@bp.route("/threads/<int:thread_id>")
def thread(thread_id):
    g.private_page = True
    # A page this reader was already shown, while nothing it depends on has changed (hub/pagecache.py):
    # the same reader, role and community generation that access.require passed when it was made.
    key, last_read = (None, None) if _int_arg("quote") else pagecache.thread_page(thread_id)
    cached = pagecache.get(key)
    if cached is not None:
        page, newest = cached
        if newest is not None and newest > (last_read or 0):
            service.mark_read_upto(db.session.get(Thread, thread_id), current_user, newest)
            db.session.commit()
        return page
    thread = _thread_or_404(thread_id)
    if key is None:
        last_read = service.last_read(thread, current_user)
    # Its notifications are read from now on, so the header's count leaves them out: committed at
    # once, not held through the render (SQLite has one write lock). A page rendered after that no
    # longer matches the count its key was made with; the next view keeps one.
    if service.read_notifications(thread, current_user):
        db.session.commit()
        key = None
    form = ComposerForm(formdata=None)
    quoted = service.get(Post, _int_arg("quote")) if _int_arg("quote") else None
    if quoted is not None and quoted.thread_id == thread.id and not access.hidden_from(current_user, "post", quoted):
        form.body.data = service.quote(quoted)
        form.reply_to.data = str(quoted.id)
    context = _thread_context(thread, form, last_read=last_read)
    page = render_template("discussions/thread.html", **context)
    newest = max((p.id for p in context["posts"]), default=None)
    pagecache.put(key, page, newest)
    # Remembered after rendering: a commit first would expire the posts and load each one again.
    service.mark_read(thread, current_user, context["posts"])
    db.session.commit()
    return page


@bp.route("/threads/<int:thread_id>/reply", methods=["POST"])
def reply(thread_id):
    thread = _thread_or_404(thread_id, "thread.reply")
    form = ComposerForm()
    if form.validate_on_submit():
        try:
            post = service.reply(thread, current_user, form.body.data, reply_to_id=_reply_to(form), files=_files(form))
        except ServiceError as error:
            db.session.rollback()
            show_service_error(form, error, {"file": "files", "reply_to": "body", "category": "body", "title": "body"})
        else:
            db.session.commit()
            return redirect(url_for("discussions.post", post_id=post.id))
    g.private_page = True
    return render_template("discussions/thread.html", **_thread_context(thread, form)), 422


@bp.route("/threads/<int:thread_id>/subscription", methods=["POST"])
def subscription(thread_id):
    thread = _thread_or_404(thread_id)
    form = SubscriptionForm(prefix="subscription")
    if not form.validate_on_submit():
        g.private_page = True
        context = _thread_context(thread, ComposerForm(formdata=None))
        context["subscription_form"] = form
        return render_template("discussions/thread.html", **context), 422
    service.set_subscription(thread, current_user, form.level.data)
    db.session.commit()
    flash(_("Your notification setting for this discussion is saved."), "success")
    return redirect(url_for("discussions.thread", thread_id=thread.id))


def _toggle_flag(thread_id, flag, when_set, when_cleared):
    """Pin or lock a thread, or undo it (facilitators); ``when_set`` and ``when_cleared`` say which it is now."""
    thread = _thread_or_404(thread_id, "thread.moderate")
    service.set_flag(thread, flag, not getattr(thread, flag))
    db.session.commit()
    flash(when_set if getattr(thread, flag) else when_cleared, "success")
    return redirect(url_for("discussions.thread", thread_id=thread.id))


@bp.route("/threads/<int:thread_id>/pin", methods=["POST"])
def pin(thread_id):
    return _toggle_flag(thread_id, "pinned", _("The discussion is pinned to the top."), _("The discussion is no longer pinned."))


@bp.route("/threads/<int:thread_id>/lock", methods=["POST"])
def lock(thread_id):
    return _toggle_flag(thread_id, "locked", _("The discussion is locked: only facilitators can post."), _("The discussion is open again."))


@bp.route("/threads/<int:thread_id>/invite", methods=["POST"])
def invite(thread_id):
    thread = _thread_or_404(thread_id, "thread.invite")
    form = InviteForm(prefix="invite")
    form.user.choices = [(m.user.id, m.user.display_name) for m in communities.members(thread.community)]
    if not form.validate_on_submit():
        flash(_("Choose a person to invite."), "error")
        g.private_page = True
        return render_template("discussions/thread.html", **_thread_context(thread, ComposerForm(formdata=None))), 422
    try:
        user = service.invite(thread, form.user.data, current_user)
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("discussions.thread", thread_id=thread.id))
    db.session.commit()
    flash(_("%(name)s can now take part in this discussion.", name=user.display_name), "success")
    return redirect(url_for("discussions.thread", thread_id=thread.id))


# --- posts --------------------------------------------------------------------------------


@bp.route("/posts/<int:post_id>")
def post(post_id):
    post = _post_or_404(post_id)
    return redirect(url_for("discussions.thread", thread_id=post.thread_id, page=service.page_of(post)) + f"#post-{post.id}")


@bp.route("/posts/<int:post_id>/fragment")
def post_fragment(post_id):
    """One post as the thread page shows it, for the live updates of an open page."""
    post = _post_or_404(post_id)
    g.private_page = True
    thread = post.thread
    return render_template(
        "discussions/_post.html", post=post, thread=thread, last_read=None, reactions=REACTIONS,
        can_reply=access.can(current_user, "thread.reply", thread), can_mark_answer=access.can(current_user, "thread.mark_answer", thread),
    )


@bp.route("/link-previews/<int:attachment_id>/image")
def preview_image(attachment_id):
    """The hub's copy of a link preview's image, for those who read the post. Its address carries
    the image's hash (``v``), so browsers may keep it as long as they like."""
    attachment = service.get(PostAttachment, attachment_id)
    if attachment is None:
        abort(404)
    _post_or_404(attachment.post_id, "post.attachments")
    path = service.preview_image_path(attachment)
    if path is None or not path.is_file():
        abort(404)
    response = send_file(path, mimetype=attachment.image_type, etag=attachment.image_sha256, conditional=True)
    versioned = request.args.get("v") == attachment.image_sha256[:16]
    # Private: only the reader's own browser keeps it, never a shared cache.
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable" if versioned else "private, max-age=3600"
    response.headers["Content-Disposition"] = "inline"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
def edit_post(post_id):
    post = _post_or_404(post_id, "post.edit")
    form = EditPostForm(obj=post if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            service.edit_post(post, current_user, form.body.data)
        except ServiceError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            db.session.commit()
            flash(_("Your message is changed; its history keeps the earlier text."), "success")
            return redirect(url_for("discussions.post", post_id=post.id))
    g.private_page = True
    return render_template("discussions/edit.html", post=post, thread=post.thread, community=post.thread.community, form=form), 422 if form.errors else 200


@bp.route("/posts/<int:post_id>/history")
def history(post_id):
    post = _post_or_404(post_id)
    g.private_page = True
    show_text = (not post.is_deleted or access.can(current_user, "thread.moderate", post.thread)) and not access.hidden_from(current_user, "post", post)
    return render_template("discussions/history.html", post=post, thread=post.thread, community=post.thread.community,
                           revisions=service.revisions(post) if show_text else [], show_text=show_text)


@bp.route("/posts/<int:post_id>/delete", methods=["POST"])
def delete_post(post_id):
    post = _post_or_404(post_id, "post.delete")
    service.delete_post(post, current_user)
    db.session.commit()
    flash(_("The message is deleted."), "success")
    return redirect(url_for("discussions.post", post_id=post.id))


@bp.route("/posts/<int:post_id>/react", methods=["POST"])
def react(post_id):
    post = _post_or_404(post_id, "post.react")
    form = ReactionForm()
    if not form.validate_on_submit():
        abort(422)
    try:
        service.toggle_reaction(post, current_user, form.emoji.data)
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        db.session.commit()
    return redirect(url_for("discussions.post", post_id=post.id))


@bp.route("/posts/<int:post_id>/answer", methods=["POST"])
def mark_answer(post_id):
    post = _post_or_404(post_id, "thread.mark_answer")
    try:
        marked = service.mark_answer(post)
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        db.session.commit()
        flash(_("Marked as the answer.") if marked else _("No longer marked as the answer."), "success")
    return redirect(url_for("discussions.post", post_id=post.id))


@bp.route("/posts/<int:post_id>/share", methods=["GET", "POST"])
def share(post_id):
    post = _post_or_404(post_id, "post.share")
    form = ShareForm()
    targets = service.share_targets(current_user, post)
    form.community.choices = [(c.slug, c.name) for c in targets]
    if form.validate_on_submit():
        try:
            thread, _first = service.share_post(post, current_user, communities.by_slug(form.community.data))
        except ServiceError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            db.session.commit()
            flash(_("The message is shared."), "success")
            return redirect(url_for("discussions.thread", thread_id=thread.id))
    g.private_page = True
    return render_template("discussions/share.html", post=post, thread=post.thread, community=post.thread.community, form=form,
                           targets=targets), 422 if form.errors else 200
