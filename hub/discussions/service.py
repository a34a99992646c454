"""Threads, posts, reactions, read state and subscriptions, shared by the pages and the API."""
import logging
import re
import time

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import lazy_gettext as _l

from .. import access, activity, audit, kinds, pagecache, search, worker
from ..accounts.models import User
from ..communities.models import Community, Membership
from ..communities.service import fold, slugify
from ..exceptions import ServiceError
from ..extensions import db
from ..forms import single_line
from ..markup import expand, plain, render, tag_name, urls_in
from ..notifications import service as notifications
from ..realtime import emit_after_commit
from ..search.base import SearchDocument
from ..timeutil import utcnow
from . import images, previews
from .models import (
    DEFAULT_CATEGORY, LEVELS, REACTIONS, Category, Post, PostAttachment, PostRevision, Reaction, Thread, ThreadInvitee,
    ThreadRead, ThreadSubscription, ThreadTag,
)

log = logging.getLogger(__name__)

PER_PAGE = 25
THREADS_PER_PAGE = 30
MAX_TITLE = 200
MAX_BODY = 50_000
MAX_TAGS = 10
MAX_PREVIEWS = 3
MAX_FILES = 10


def get(model, object_id, with_community=False):
    if not isinstance(object_id, int) or isinstance(object_id, bool) or not 0 < object_id < 2**31:
        return None
    options = [sa.orm.joinedload(model.community)] if with_community else None
    return db.session.get(model, object_id, options=options)


# --- categories ---------------------------------------------------------------------------


def categories(community, create_default=False):
    """The community's categories, the default one first; before the first thread, the default one
    (not yet saved, id None)."""
    rows = db.session.execute(
        sa.select(Category).filter_by(community_id=community.id).order_by(Category.position, Category.id)
    ).scalars().all()
    if not rows:
        rows = [default_category(community) if create_default else Category(community_id=community.id, name=DEFAULT_CATEGORY, position=0)]
    return rows


def default_category(community):
    """The first category: where discussions go when no category is chosen. It stays first and cannot
    be deleted (it can be renamed)."""
    found = db.session.execute(
        sa.select(Category).filter_by(community_id=community.id).order_by(Category.position, Category.id).limit(1)
    ).scalar_one_or_none()
    if found is None:
        found = Category(community_id=community.id, name=DEFAULT_CATEGORY, position=0)
        db.session.add(found)
        db.session.flush()
    return found


def _category_fields(community, name, description, category=None):
    """(name, description, the community's categories) once checked: a name, unique in the community
    whatever its capitals."""
    name = " ".join(single_line(name).split()) if isinstance(name, str) else ""
    if not name:
        raise ServiceError(_l("Give the category a name."), field="name")
    if len(name) > 80:
        raise ServiceError(_l("At most %(max)d characters.", max=80), field="name")
    description = " ".join(single_line(description).split()) if isinstance(description, str) else ""
    if len(description) > 300:
        raise ServiceError(_l("At most %(max)d characters.", max=300), field="description")
    existing = categories(community, create_default=True)
    if any(c.name.casefold() == name.casefold() and c is not category for c in existing):
        raise ServiceError(_l("This category already exists."), field="name", status=409)
    return name, description, existing


def add_category(community, name, description=""):
    name, description, existing = _category_fields(community, name, description)
    category = Category(community_id=community.id, name=name, description=description,
                        position=max((c.position for c in existing), default=0) + 1)
    db.session.add(category)
    db.session.flush()
    return category


def rename_category(category, name, description=""):
    """A new name and description; its discussions are indexed again (search shows their category)."""
    name, description, _existing = _category_fields(category.community, name, description, category)
    renamed = name != category.name
    category.name, category.description = name, description
    if renamed:
        reindex_threads(db.session.execute(sa.select(Thread.id).where(Thread.category_id == category.id)).scalars().all())
    return category


def move_category(category, offset):
    """One place up (-1) or down (+1) among the others: the default category stays first. Returns
    whether it moved."""
    rows = categories(category.community)
    movable = rows[1:]
    if category not in movable:
        return False
    here = movable.index(category)
    there = here + offset
    if not 0 <= there < len(movable):
        return False
    movable[here], movable[there] = movable[there], movable[here]
    for position, row in enumerate([rows[0]] + movable):
        row.position = position
    return True


def delete_category(category, target_id=None):
    """Its discussions move to the category ``target_id`` (the default one when None), and are
    indexed again; the default category cannot be deleted. Returns (target, discussions moved)."""
    default = default_category(category.community)
    if category.id == default.id:
        raise ServiceError(_l("The default category cannot be deleted: discussions without a category go there. You can rename it."), status=409)
    target = default if target_id in (None, "", 0) else get(Category, target_id)
    if target is None or target.community_id != category.community_id or target.id == category.id:
        raise ServiceError(_l("Choose another category of this community for its discussions."), field="target")
    moved = db.session.execute(sa.select(Thread).where(Thread.category_id == category.id)).scalars().all()
    for thread in moved:
        thread.category = target
    reindex_threads([t.id for t in moved])
    db.session.delete(category)
    db.session.flush()
    return target, len(moved)


def category_counts(community):
    """{category id: number of discussions}."""
    return dict(db.session.execute(
        sa.select(Thread.category_id, sa.func.count()).where(Thread.community_id == community.id).group_by(Thread.category_id)
    ).all())


def category_of(community, category_id):
    if category_id in (None, "", 0):
        return default_category(community)
    category = get(Category, category_id)
    if category is None or category.community_id != community.id:
        raise ServiceError(_l("Choose a category from the list."), field="category")
    return category


# --- Markdown with mentions, references and hashtags --------------------------------------


def mentionable(community):
    """Current members by their handle (the slug of their name): {handle: user}."""
    rows = db.session.execute(
        sa.select(Membership).where(Membership.community_id == community.id).options(sa.orm.joinedload(Membership.user))
    ).scalars().all()
    found = {}
    for m in sorted(rows, key=lambda m: m.id):
        if m.is_current and m.user.is_active:
            found.setdefault(slugify(m.user.display_name), m.user)
    return found


def mention_candidates(community, query, limit=8):
    words = fold(query or "").split()
    people = mentionable(community)
    hits = [
        (handle, user) for handle, user in people.items()
        if all(w in fold(" ".join([handle, user.display_name, user.organization])) for w in words)
    ]
    hits.sort(key=lambda hit: fold(hit[1].display_name))
    return [{"handle": handle, "name": user.display_name, "organization": user.organization, "id": user.id} for handle, user in hits[:limit]]


def resolve_handle(people, typed):
    """The handle a typed ``@name`` means: the handle itself ("julie-roy"), or else the one member
    whose first name, name without spaces or handle's start it is ("@julie", "@JulieRoy");
    None when nobody or several members match."""
    typed = (typed or "").lower()
    if typed in people:
        return typed
    key = fold(typed).replace("-", "").replace(".", "").replace("_", "")
    if not key:
        return None
    matches = [
        handle for handle, user in people.items()
        if key in {fold(handle.split("-")[0]), fold(handle).replace("-", ""), fold(user.display_name.split()[0]) if user.display_name.split() else ""}
    ]
    return matches[0] if len(matches) == 1 else None


def prepare(community, author, text):
    """(html, mentioned users, hashtags, urls) for a post's Markdown."""
    people = mentionable(community)

    def mention(typed):
        handle = resolve_handle(people, typed)
        return (people[handle].display_name, url_for("accounts.user_profile", user_id=people[handle].id)) if handle else None

    source, found = expand(
        text,
        mention=mention,
        reference=lambda kind, object_id: kinds.reference(author, kind, object_id, community.id),
        hashtag=lambda tag: (tag, url_for("discussions.index", slug=community.slug, tag=tag.lower())),
        autolink=True,
    )
    mentioned = []
    for typed in found["mentions"]:
        user = people.get(resolve_handle(people, typed))
        if user is not None and user not in mentioned:
            mentioned.append(user)
    tags = []
    for hashtag in found["hashtags"]:
        name = tag_name(hashtag)
        if name and name not in tags:
            tags.append(name)
    return render(source), mentioned, tags, urls_in(text)


def _check_body(body, field="body"):
    if not isinstance(body, str) or not body.strip():
        raise ServiceError(_l("Write a message."), field=field)
    if len(body) > MAX_BODY:
        raise ServiceError(_l("At most %(max)d characters.", max=MAX_BODY), field=field, status=413 if len(body) > 10 * MAX_BODY else 422)
    return body.strip()


def _check_title(title):
    title = " ".join(single_line(title).split()) if isinstance(title, str) else ""
    if not title:
        raise ServiceError(_l("Give the discussion a title."), field="title")
    if len(title) > MAX_TITLE:
        raise ServiceError(_l("At most %(max)d characters.", max=MAX_TITLE), field="title")
    return title


def _add_tags(thread, tags):
    have = {t.name for t in thread.tags}
    for tag in tags:
        if tag not in have and len(have) < MAX_TAGS:
            thread.tags.append(ThreadTag(name=tag))
            have.add(tag)


# --- threads and posts --------------------------------------------------------------------


def thread_url(thread, external=False):
    path = url_for("discussions.thread", thread_id=thread.id)
    return current_app.config["BASE_URL"] + path if external else path


def post_url(post):
    return url_for("discussions.post", post_id=post.id)


def create_thread(community, author, title, body, category_id=None, is_question=False, files=(), invite_ids=()):
    """A thread with its first post. Nothing is committed."""
    title = _check_title(title)
    body = _check_body(body)
    category = category_of(community, category_id)
    gathered = _gather(community, author, body, files)
    thread = Thread(community=community, category=category, author=author, title=title, is_question=bool(is_question))
    db.session.add(thread)
    db.session.flush()
    post = _new_post(thread, author, gathered, event="new_thread")
    activity.record("thread", thread, "created", author)
    for user_id in invite_ids or ():  # after the opening post, which their invitation quotes
        invite(thread, user_id, author)
    return thread, post


def reply(thread, author, body, reply_to_id=None, files=()):
    body = _check_body(body)
    reply_to = None
    if reply_to_id:
        reply_to = get(Post, reply_to_id)
        if reply_to is None or reply_to.thread_id != thread.id:
            raise ServiceError(_l("The message you answer is not in this discussion."), field="reply_to")
    post = _new_post(thread, author, _gather(thread.community, author, body, files), reply_to=reply_to)
    activity.record("thread", thread, "replied", author, group=True)
    return post


def quote(post):
    """The Markdown quoting a post, to start a reply with."""
    if post.is_deleted:
        return ""
    name = post.author.display_name if post.author else ""
    lines = [f"> {line}" if line else ">" for line in post.body.splitlines()]
    return f"> **{name}**\n>\n" + "\n".join(lines) + "\n\n"


class _Gathered:
    """A new post's Markdown made ready, with what it needs from outside the database."""

    def __init__(self, body, html, mentioned, tags, links, files):
        self.body, self.html, self.mentioned, self.tags = body, html, mentioned, tags
        self.links = links  # [(url, preview, image or None)]
        self.files = files  # resources holding the dropped files, their text already extracted


def _gather(community, author, body, files):
    """Everything a new post takes from outside the database, before the post writes anything:
    its links' preview cards (a few seconds for a slow site) and its files stored with their text
    (a child process, up to EXTRACTION_TIMEOUT). Once a post has written its first row, it holds
    SQLite's only write lock (and, on PostgreSQL, the community's row) until it commits: everyone
    else posting meanwhile would wait for it, and on SQLite give up after five seconds."""
    html, mentioned, tags, urls = prepare(community, author, body)
    links = []
    started = time.monotonic()
    deferred = worker.is_external(current_app)  # the worker reads the cards (fill_previews)
    for url in urls[:MAX_PREVIEWS]:
        if len(url) > 2000:
            continue
        if deferred:
            links.append((url, None, None))
            continue
        preview = previews.fetch(url)
        image = None
        if preview.image_url and time.monotonic() - started < _image_budget():
            image = previews.fetch_image(preview.image_url)
        links.append((url, preview, image))
    from ..resources import service as resources

    files = list(files or ())[:MAX_FILES]
    if files and not files_to_resources(author, community):
        raise ServiceError(
            _l("Attached files are filed in the community's resources, which your role does not let you add to: send the message without them."),
            field="file", status=403, code="forbidden",
        )
    stored = resources.create_from_files(community, author, files, {"type": "reference", "language": "fr"})
    return _Gathered(body, html, mentioned, tags, links, stored)


def files_to_resources(author, community):
    """Whether a post's files and links are filed in the community's resources: only when its author
    may add resources there (a guest invited to a thread may not; their links get a card all the same)."""
    return access.can(author, "resource.create", community)


def _new_post(thread, author, gathered, reply_to=None, event="new_post"):
    community = thread.community
    body, html, mentioned, tags = gathered.body, gathered.html, gathered.mentioned, gathered.tags
    now = utcnow()
    post = Post(thread=thread, author=author, body=body, body_html=html, reply_to_id=reply_to.id if reply_to else None, created_at=now)
    db.session.add(post)
    db.session.flush()
    thread.post_count = (thread.post_count or 0) + 1
    thread.last_post_id = post.id
    thread.last_post_at = now
    _add_tags(thread, tags)
    _attach(post, community, author, gathered)
    _subscribe_if_unset(thread, author, "watching")
    _mark_read(thread, author, post.id)
    search.enqueue("post", post.id)
    search.enqueue("thread", thread.id)
    _notify_new_post(thread, post, author, mentioned, reply_to, event)
    emit_after_commit(f"thread:{thread.id}", "post.new", live_payload(post))
    return post


def live_payload(post):
    return {
        "thread_id": post.thread_id, "post_id": post.id, "author": post.author.display_name if post.author else None,
        "body_html": "" if post.is_deleted or post.hidden_at is not None else post.body_html, "deleted": post.is_deleted,
        "fragment_url": url_for("discussions.post_fragment", post_id=post.id),
    }


def _attach(post, community, author, gathered):
    """Link preview cards, and every link and file filed as a resource pointing back to the thread."""
    from ..resources import service as resources

    back = thread_url(post.thread, external=True)
    summary = str(_l("Shared in the discussion “%(title)s”: %(url)s", title=post.thread.title, url=back))
    filing = files_to_resources(author, community)
    for url, preview, image in gathered.links:
        resource = resources.create(
            community, author,
            {"title": ((preview.title if preview else "") or url)[:300], "type": "reference", "language": "fr", "summary": summary},
            url=url,
        ) if filing else None
        attachment = PostAttachment(
            post_id=post.id, resource_id=resource.id if resource else None, kind="link", url=url,
            title=preview.title if preview else "", description=preview.description if preview else "",
            image_url=preview.image_url if preview else "", preview_pending=preview is None,
        )
        _keep_image(attachment, image)
        db.session.add(attachment)
    for resource in gathered.files:
        resources.update(resource, {"summary": summary})
        version = resource.current_version
        db.session.add(PostAttachment(
            post_id=post.id, resource_id=resource.id, kind="file", filename=version.filename if version else "",
            title=resource.title,
        ))
    db.session.flush()


# --- link previews read by the worker ----------------------------------------------------------
PREVIEWS_PER_PASS = 20


def fill_previews(app):
    """The worker's job: read the cards of links posted while web processes leave the outside world to
    the worker (HUB_WORKER=external). The pages are fetched with no transaction open, then each card
    is written, the filed resource takes the page's title, and open pages of the thread are told."""
    from ..resources import service as resources

    pending = db.session.execute(
        sa.select(PostAttachment.id, PostAttachment.url).where(PostAttachment.preview_pending.is_(True))
        .order_by(PostAttachment.id).limit(PREVIEWS_PER_PASS)
    ).all()
    db.session.rollback()  # hold nothing while the sites answer
    done = 0
    for attachment_id, url in pending:
        preview = previews.fetch(url)
        image = previews.fetch_image(preview.image_url) if preview.image_url else None
        attachment = db.session.get(PostAttachment, attachment_id)
        if attachment is None or not attachment.preview_pending:
            db.session.rollback()
            continue
        attachment.title, attachment.description, attachment.image_url = preview.title, preview.description, preview.image_url
        attachment.preview_pending = False
        _keep_image(attachment, image)
        resource = resources.get(attachment.resource_id) if attachment.resource_id else None
        if resource is not None and preview.title and resource.title == url[:300]:
            resources.update(resource, {"title": preview.title[:300]})
        post = attachment.post
        with app.test_request_context("/", base_url=app.config.get("BASE_URL") or None):  # the payload's links
            emit_after_commit(f"thread:{post.thread_id}", "post.edited", live_payload(post))
        db.session.commit()
        done += 1
    return done


def _image_budget():
    """Seconds a post may spend on its link previews before their images are left out."""
    return 2 * float(current_app.config.get("LINK_PREVIEW_TIMEOUT", previews.TIMEOUT))


def _keep_image(attachment, image):
    """Show this image (or none) on the card; its file is kept in the instance folder."""
    if image is None:
        return
    try:
        attachment.image_sha256 = images.store(image)
    except OSError:  # a full or read-only disk costs the card its image, never the post
        log.exception("Could not keep a link preview image")
        return
    attachment.image_type, attachment.image_width, attachment.image_height = image.mimetype, image.width, image.height


def preview_image_path(attachment):
    """The file of a card's image, or None when the card has none."""
    return images.path_of(attachment.image_sha256) if attachment.image_sha256 else None


def _excerpt(post):
    text = plain(post.body, community_id=post.thread.community_id)
    return text[:280] + ("…" if len(text) > 280 else "")


def _readers(thread, user_ids):
    """Those of these people who may read the thread."""
    if not user_ids:
        return []
    users = db.session.execute(sa.select(User).where(User.id.in_(list(user_ids)))).scalars().all()
    return [u for u in users if access.can(u, "thread.read", thread)]


def _notify_new_post(thread, post, author, mentioned, reply_to, event):
    community = thread.community
    subs = {s.user_id: s.level for s in db.session.execute(
        sa.select(ThreadSubscription).filter_by(thread_id=thread.id)).scalars()}
    muted = {uid for uid, level in subs.items() if level == "muted"}
    done = {author.id}
    kwargs = dict(community=community, actor=author, object_kind="thread", object_id=thread.id, title=thread.title,
                  excerpt=_excerpt(post), url=post_url(post))
    mentioned_readers = [u for u in _readers(thread, [u.id for u in mentioned]) if u.id not in muted and u.id not in done]
    notifications.notify("mention", mentioned_readers, **kwargs)
    done.update(u.id for u in mentioned_readers)
    if reply_to is not None and reply_to.author_id and reply_to.author_id not in done and reply_to.author_id not in muted:
        notifications.notify("reply", _readers(thread, [reply_to.author_id]), **kwargs)
        done.add(reply_to.author_id)
    watching = {uid for uid, level in subs.items() if level == "watching"} | notifications.watchers(community.id)
    others = [u for u in _readers(thread, watching - done - muted)]
    notifications.notify(event, others, **kwargs)


def _subscribe_if_unset(thread, user, level):
    found = db.session.get(ThreadSubscription, (thread.id, user.id))
    if found is None:
        db.session.add(ThreadSubscription(thread_id=thread.id, user_id=user.id, level=level))


def set_subscription(thread, user, level):
    if level not in LEVELS:
        raise ServiceError(_l("Choose watching, normal or muted."), field="level")
    found = db.session.get(ThreadSubscription, (thread.id, user.id))
    if found is None:
        found = ThreadSubscription(thread_id=thread.id, user_id=user.id, level=level)
        db.session.add(found)
    found.level = level
    return found


def subscription_level(thread, user):
    found = db.session.get(ThreadSubscription, (thread.id, user.id))
    return found.level if found is not None else "normal"


def edit_post(post, editor, body):
    body = _check_body(body)
    if body == post.body:
        return post
    db.session.add(PostRevision(post_id=post.id, editor_id=editor.id, body=post.body, body_html=post.body_html))
    html, mentioned, tags, _urls = prepare(post.thread.community, editor, body)
    before = {u.id for u in prepare(post.thread.community, editor, post.body)[1]}
    post.body, post.body_html, post.edited_at = body, html, utcnow()
    _add_tags(post.thread, tags)
    new_mentions = [u for u in _readers(post.thread, [u.id for u in mentioned if u.id not in before])]
    notifications.notify("mention", new_mentions, community=post.thread.community, actor=editor, object_kind="thread",
                         object_id=post.thread_id, title=post.thread.title, excerpt=_excerpt(post), url=post_url(post))
    search.enqueue("post", post.id)
    emit_after_commit(f"thread:{post.thread_id}", "post.edited", live_payload(post))
    return post


def delete_post(post, actor):
    """Soft deletion: "message deleted" stays in place; the text is kept in the history for facilitators."""
    if post.is_deleted:
        return post
    post.deleted_at = utcnow()
    post.deleted_by_id = actor.id
    thread = post.thread
    audit.record("post.delete", actor, post, target_label=thread.title, community=thread.community_id, thread_id=thread.id, author_id=post.author_id)
    post.is_answer = False
    # Its cards' images are no longer shown; their files go with the last card showing them.
    shown = [a.image_sha256 for a in post.attachments if a.image_sha256]
    for attachment in post.attachments:
        attachment.image_sha256 = attachment.image_type = attachment.image_width = attachment.image_height = None
    images.forget_after_commit(shown)
    search.enqueue("post", post.id)
    emit_after_commit(f"thread:{post.thread_id}", "post.deleted", live_payload(post))
    return post


def toggle_reaction(post, user, emoji):
    if emoji not in REACTIONS:
        raise ServiceError(_l("Choose a reaction from the list."), field="emoji")
    if post.is_deleted:
        raise ServiceError(_l("This message was deleted."), status=409)
    found = db.session.execute(sa.select(Reaction).filter_by(post_id=post.id, user_id=user.id, emoji=emoji)).scalar_one_or_none()
    if found is not None:
        db.session.delete(found)
    else:
        db.session.add(Reaction(post_id=post.id, user_id=user.id, emoji=emoji))
    db.session.flush()
    db.session.expire(post, ["reactions"])
    emit_after_commit(f"thread:{post.thread_id}", "post.reactions", {**live_payload(post), "reactions": reaction_counts(post)})
    return found is None


def reaction_counts(post, user=None):
    counts = {}
    for r in post.reactions:
        entry = counts.setdefault(r.emoji, {"count": 0, "mine": False})
        entry["count"] += 1
        if user is not None and r.user_id == getattr(user, "id", None):
            entry["mine"] = True
    return counts


def set_flag(thread, name, value):
    if name not in ("pinned", "locked"):
        raise ValueError(name)
    setattr(thread, name, bool(value))
    search.enqueue("thread", thread.id)


def mark_answer(post):
    thread = post.thread
    if post.is_deleted:
        raise ServiceError(_l("This message was deleted."), status=409)
    was = post.is_answer
    db.session.execute(sa.update(Post).where(Post.thread_id == thread.id).values(is_answer=False))
    pagecache.touch(thread.community_id)
    db.session.refresh(post)
    post.is_answer = not was
    thread.is_question = True
    return post.is_answer


def invite(thread, user_id, inviter):
    """Invite a person of the community (typically a guest) to take part in this thread."""
    user = get(User, user_id)
    if user is None or access.role_in(user, thread.community) is None:
        raise ServiceError(_l("Invite people of the community only."), field="user")
    if db.session.get(ThreadInvitee, (thread.id, user.id)) is None:
        db.session.add(ThreadInvitee(thread_id=thread.id, user_id=user.id, invited_by_id=inviter.id))
        db.session.flush()
        db.session.expire(thread, ["invitees"])
        opening = db.session.execute(sa.select(Post).filter_by(thread_id=thread.id).order_by(Post.id).limit(1)).scalar_one_or_none()
        notifications.notify("thread_invitation", [user], community=thread.community, actor=inviter, object_kind="thread",
                             object_id=thread.id, title=thread.title,
                             excerpt=_excerpt(opening) if opening is not None and not opening.is_deleted else "",
                             url=thread_url(thread))
    return user


def share_post(post, user, target):
    """Start a thread in another community the person contributes to, quoting the post and linking back."""
    if target is None or target.id == post.thread.community_id or not access.can(user, "thread.create", target):
        raise ServiceError(_l("Choose a community where you can start a discussion."), field="community")
    author = post.author.display_name if post.author else ""
    origin = thread_url(post.thread, external=True) + f"#post-{post.id}"
    body = "\n".join(f"> {line}" if line else ">" for line in post.body.splitlines())
    body += "\n\n" + str(_l("Shared from “%(title)s” (%(community)s), by %(author)s: %(url)s",
                            title=post.thread.title, community=post.thread.community.name, author=author, url=origin))
    title = str(_l("Shared: %(title)s", title=post.thread.title))[:MAX_TITLE]
    return create_thread(target, user, title, body)


def share_targets(user, post):
    rows = db.session.execute(
        sa.select(Community).join(Membership, Membership.community_id == Community.id)
        .where(Membership.user_id == user.id, Community.id != post.thread.community_id).order_by(Community.name)
    ).scalars().all()
    return [c for c in rows if access.can(user, "thread.create", c)]


# --- a thread's category and tags; the community's tags -------------------------------------


def parse_tags(value):
    """Tags typed by a person (commas or spaces between them) or sent as a list, in the form
    #hashtags give them: "#Habitation, parcs" -> ["habitation", "parcs"]. A ServiceError (field
    "tags") names what is not a tag."""
    words = [w for w in re.split(r"[\s,;]+", value) if w] if isinstance(value, str) else list(value or ())
    names, invalid = [], []
    for word in words:
        name = tag_name(word) if isinstance(word, str) else None
        if name is None:
            invalid.append(str(word)[:60].encode("utf-8", "replace").decode())  # a lone surrogate shown as "?"
        elif name not in names:
            names.append(name)
    if invalid:
        raise ServiceError(_l("Not a tag: %(tags)s. A tag starts with a letter, followed by letters, digits, hyphens or underscores (at most 50 characters).",
                              tags=", ".join(invalid[:5])), field="tags")
    if len(names) > MAX_TAGS:
        raise ServiceError(_l("At most %(max)d tags.", max=MAX_TAGS), field="tags")
    return names


def update_thread(thread, category_id=None, tags=None):
    """Move a thread to another category and/or replace its tags (None leaves it as it is). Returns
    whether anything changed; a changed thread is indexed again in the same transaction."""
    category = category_of(thread.community, category_id) if category_id is not None else None
    names = parse_tags(tags) if tags is not None else None
    changed = False
    if category is not None and category.id != thread.category_id:
        thread.category = category
        changed = True
    if names is not None and set(names) != set(thread.tag_names):
        have = thread.tag_names
        thread.tags = [t for t in thread.tags if t.name in names] + [ThreadTag(name=n) for n in names if n not in have]
        changed = True
    if changed:
        reindex_threads([thread.id])
    return changed


def _tagged(community, name):
    return db.session.execute(
        sa.select(Thread).where(Thread.community_id == community.id, Thread.tags.any(ThreadTag.name == name))
        .options(sa.orm.selectinload(Thread.tags))
    ).scalars().all()


def _used_tag(community, name):
    """The discussions of the community tagged ``name`` (a tag from the list), or a ServiceError."""
    name = tag_name(name) if isinstance(name, str) else None
    threads = _tagged(community, name) if name else []
    if not threads:
        raise ServiceError(_l("Choose a tag from the list."), field="tag")
    return name, threads


def rename_tag(community, old, new):
    """Rename a tag on every discussion of the community. When the new name is already a tag, the
    two become one (a discussion that had both keeps one). Returns (new name, discussions changed,
    whether it was a merge)."""
    old, threads = _used_tag(community, old)
    if not isinstance(new, str) or not new.strip():
        raise ServiceError(_l("Give the tag its new name."), field="name")
    name = tag_name(new)
    if name is None:
        raise ServiceError(_l("A tag starts with a letter, followed by letters, digits, hyphens or underscores (at most 50 characters)."), field="name")
    if name == old:
        return name, 0, False
    merged = bool(_tagged(community, name))
    for thread in threads:
        kept = [t for t in thread.tags if t.name != old]
        if name not in {t.name for t in kept}:
            kept.append(ThreadTag(name=name))
        thread.tags = kept
    db.session.flush()
    reindex_threads([t.id for t in threads])
    return name, len(threads), merged


def delete_tag(community, name):
    """Take a tag off every discussion of the community. Returns (tag, discussions changed)."""
    name, threads = _used_tag(community, name)
    for thread in threads:
        thread.tags = [t for t in thread.tags if t.name != name]
    db.session.flush()
    reindex_threads([t.id for t in threads])
    return name, len(threads)


def reindex_threads(thread_ids):
    """Index these threads and their messages again once the transaction commits: each of their
    documents carries the thread's category and tags."""
    ids = sorted(set(thread_ids))
    for thread_id in ids:
        search.enqueue("thread", thread_id)
    for start in range(0, len(ids), 500):
        post_ids = db.session.execute(
            sa.select(Post.id).where(Post.thread_id.in_(ids[start:start + 500]), Post.deleted_at.is_(None)).order_by(Post.id)
        ).scalars().all()
        for post_id in post_ids:
            search.enqueue("post", post_id)


# --- reading ------------------------------------------------------------------------------


def list_threads(community, user, category=None, tag=None, page=1, per_page=THREADS_PER_PAGE):
    """(total, [(thread, unread count or None if never opened)]) pinned first, then most recent."""
    query = sa.select(Thread).where(Thread.community_id == community.id)
    if category is not None:
        query = query.where(Thread.category_id == category.id)
    if tag:
        query = query.where(Thread.tags.any(ThreadTag.name == tag.lower()[:60]))
    total = db.session.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    threads = db.session.execute(
        query.order_by(Thread.pinned.desc(), Thread.last_post_at.desc(), Thread.id.desc())
        .offset((page - 1) * per_page).limit(per_page)
        .options(sa.orm.joinedload(Thread.author), sa.orm.joinedload(Thread.category), sa.orm.selectinload(Thread.tags))
    ).unique().scalars().all()
    reads = {}
    if threads and getattr(user, "is_authenticated", False):
        reads = dict(db.session.execute(
            sa.select(ThreadRead.thread_id, ThreadRead.last_read_post_id)
            .where(ThreadRead.user_id == user.id, ThreadRead.thread_id.in_([t.id for t in threads]))
        ).all())
        unread = dict(db.session.execute(
            sa.select(Post.thread_id, sa.func.count(Post.id))
            .outerjoin(ThreadRead, sa.and_(ThreadRead.thread_id == Post.thread_id, ThreadRead.user_id == user.id))
            .where(Post.thread_id.in_([t.id for t in threads]), Post.deleted_at.is_(None),
                   Post.id > sa.func.coalesce(ThreadRead.last_read_post_id, 0))
            .group_by(Post.thread_id)
        ).all())
    else:
        unread = {}
    return total, [(t, unread.get(t.id, 0), t.id in reads) for t in threads]


def thread_page(thread, page, per_page=PER_PAGE):
    """The posts of one page, with their authors, reactions and attachments (a fixed number of queries)."""
    rows = db.session.execute(
        sa.select(Post).where(Post.thread_id == thread.id).order_by(Post.id).offset((page - 1) * per_page).limit(per_page)
        .options(sa.orm.joinedload(Post.author), sa.orm.selectinload(Post.reactions), sa.orm.selectinload(Post.attachments))
    ).unique().scalars().all()
    return rows


def page_count(thread, per_page=PER_PAGE):
    return max(1, -(-(thread.post_count or 0) // per_page))


def page_of(post, per_page=PER_PAGE):
    before = db.session.execute(
        sa.select(sa.func.count(Post.id)).where(Post.thread_id == post.thread_id, Post.id < post.id)
    ).scalar_one()
    return before // per_page + 1


def last_read(thread, user):
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.execute(
        sa.select(ThreadRead.last_read_post_id).where(ThreadRead.thread_id == thread.id, ThreadRead.user_id == user.id)
    ).scalar()


def _mark_read(thread, user, post_id):
    found = db.session.get(ThreadRead, (thread.id, user.id))
    if found is None:
        db.session.add(ThreadRead(thread_id=thread.id, user_id=user.id, last_read_post_id=post_id, read_at=utcnow()))
    elif post_id > found.last_read_post_id:
        found.last_read_post_id = post_id
        found.read_at = utcnow()


def mark_read(thread, user, posts):
    """After showing a page: remember the last post seen, and mark its notifications read."""
    if not getattr(user, "is_authenticated", False) or not posts:
        return
    mark_read_upto(thread, user, max(p.id for p in posts))


def read_notifications(thread, user):
    """Mark the thread's notifications to ``user`` read; how many were unread."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return notifications.mark_read_for(user, "thread", [thread.id])


def mark_read_upto(thread, user, post_id):
    _mark_read(thread, user, post_id)
    notifications.mark_read_for(user, "thread", [thread.id])


def thread_tags(community, limit=30):
    """[(tag, number of discussions)], the most used first; every tag when ``limit`` is None."""
    query = (
        sa.select(ThreadTag.name, sa.func.count()).join(Thread, Thread.id == ThreadTag.thread_id)
        .where(Thread.community_id == community.id).group_by(ThreadTag.name).order_by(sa.func.count().desc(), ThreadTag.name)
    )
    return db.session.execute(query.limit(limit) if limit is not None else query).all()


def revisions(post):
    return post.revisions.options(sa.orm.joinedload(PostRevision.editor)).all()


# --- search -------------------------------------------------------------------------------




def _visible(post):
    return not post.is_deleted and post.hidden_at is None  # hidden pending moderation: out of the index until restored


def thread_document(thread):
    """One search document per thread: its title, every visible message and its tags, so that a
    thread is found once whichever of its messages matches (``best_messages`` picks the message)."""
    posts = db.session.execute(sa.select(Post).where(Post.thread_id == thread.id).order_by(Post.id)).scalars().all()
    texts = [plain(p.body, community_id=thread.community_id) for p in posts if _visible(p)]
    return SearchDocument(
        kind="thread", id=thread.id, community_id=thread.community_id, readers=search.community_readers(thread.community_id),
        title=thread.title, body="\n\n".join(t for t in [*texts, " ".join(thread.tag_names)] if t),
        url=url_for("discussions.thread", thread_id=thread.id), language="fr", updated_at=thread.last_post_at,
        tags=thread.tag_names, categories=[thread.category.name] if thread.category is not None else [],
    )


def post_document(post):
    """A message is searched through its thread's document: indexing a message indexes its thread
    again (and removes a message document an older index may hold)."""
    return thread_document(post.thread)


def best_messages(hits, text):
    """Point each thread hit at its message that matches the query's words best (the first
    message when none matches better)."""
    from ..search import query as search_query
    from ..search.analysis import analyze

    thread_hits = [h for h in hits if h.kind == "thread"]
    try:
        parsed = search_query.parse(text)
    except Exception:
        return
    wanted = {term for word in search_query.positive_words(parsed.root) for term in analyze(word.text, "fr")}
    if not thread_hits or not wanted:
        return
    posts = db.session.execute(
        sa.select(Post).where(Post.thread_id.in_([h.id for h in thread_hits]), Post.deleted_at.is_(None), Post.hidden_at.is_(None)).order_by(Post.id)
    ).scalars().all()
    best = {}
    for post in posts:
        score = len(wanted & set(analyze(plain(post.body), "fr")))
        if score and score > best.get(post.thread_id, (0, None))[0]:
            best[post.thread_id] = (score, post)
    firsts = {}
    for post in posts:
        firsts.setdefault(post.thread_id, post.id)
    for hit in thread_hits:
        score, post = best.get(hit.id, (0, None))
        if post is not None and post.id != firsts.get(hit.id):
            hit.url = post_url(post)


def load_threads(ids):
    return db.session.execute(
        sa.select(Thread).where(Thread.id.in_(list(ids))).options(sa.orm.selectinload(Thread.tags), sa.orm.joinedload(Thread.category))
    ).scalars().all()


def load_posts(ids):
    thread = sa.orm.joinedload(Post.thread)
    return db.session.execute(
        sa.select(Post).where(Post.id.in_(list(ids))).options(thread.joinedload(Thread.category), thread.selectinload(Thread.tags))
    ).unique().scalars().all()


def all_thread_ids():
    return db.session.execute(sa.select(Thread.id).order_by(Thread.id)).scalars().all()


def all_post_ids():
    """No message has a document of its own (its thread's document holds it)."""
    return []
