"""Discussions: categories, threads, posts, reactions, subscriptions; live through Socket.IO rooms."""


def init_app(app):
    """Declare threads and posts to the search, and the sweep of unused preview images to the worker."""
    from .. import search
    from ..notifications.mail import register_periodic
    from . import images
    from .service import all_post_ids, all_thread_ids, best_messages, fill_previews, load_posts, load_threads, post_document, thread_document

    search.register("thread", thread_document, load_threads, all_ids=all_thread_ids, refine=best_messages)
    search.register("post", post_document, load_posts, all_ids=all_post_ids)
    register_periodic("link-preview-images", images.sweep, images.SWEEP_SECONDS)
    register_periodic("link-previews", fill_previews, 0)
    register_kinds()


def register_kinds():
    import sqlalchemy as sa
    from flask_babel import lazy_gettext as _l

    from .. import kinds
    from ..extensions import db

    def recent(community):
        return db.session.execute(sa.select(Thread).where(Thread.community_id == community.id).order_by(Thread.id.desc()).limit(100)).scalars().all()

    def thread_visible(viewer, item):
        """The thread exists; when its opening message is hidden pending moderation, only its author and
        the facilitators see it (the others would read its title)."""
        opening = sa.orm.aliased(Post)
        first = sa.select(sa.func.min(opening.id)).where(opening.thread_id == Thread.id).scalar_subquery()
        hidden = sa.exists().where(Post.id == first, Post.hidden_at.is_not(None), sa.or_(Post.author_id.is_(None), Post.author_id != viewer.user_id))
        return sa.exists().where(Thread.id == item.object_id, sa.or_(viewer.moderates(Thread.community_id), ~hidden))

    def replied(count):
        from flask_babel import get_translations

        return get_translations().ngettext("%(actor)s replied in %(title)s", "%(num)d new messages in %(title)s, the latest from %(actor)s", count)

    kinds.register(
        "thread", Thread, "thread.read", "discussions.thread", "thread_id", label=lambda t: t.title,
        noun=_l("Discussion"), attach_label=_l("Discussion: %(title)s"), icon="chat", prefixes=("discussion",),
        search_kind="thread", attachable=True, recent=recent,
        visible=thread_visible,
        actions={"created": _l("%(actor)s started the discussion %(title)s"), "replied": replied},
    )
    kinds.register(
        "post", Post, "thread.read", "discussions.post", "post_id", label=lambda p: f"{p.thread.title} #{p.id}",
        noun=_l("Message"), icon="chat", prefixes=("message",), search_kind="post",
        read_target=lambda p: p.thread, community_id=lambda p: p.thread.community_id,
    )


def _thread_affects(thread, deleted):
    return ([], [f"thread:{thread.id}"]) if deleted or realtime.changed(thread, "community_id") else None


def _invitee_affects(invitee, deleted):
    return ([invitee.user_id], []) if deleted else None


from .. import realtime  # noqa: E402
from .models import Post, Thread, ThreadInvitee  # noqa: E402

realtime.register_room("thread", realtime.by_id(Thread), "thread.read")
realtime.watch(Thread, _thread_affects)
realtime.watch(ThreadInvitee, _invitee_affects)
