"""Moderation: member flags, content hidden pending review, the facilitators' and admins' queues.

Each flaggable kind is declared here once, by an adapter naming its feature's public pieces (its
model, its pages, its delete service); the features themselves only know the ``hidden_at`` column of
their own model and ask ``access.hidden_from`` before showing something.
"""
import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l

from ..extensions import db
from . import service
from .service import Kind


def _get(model):
    return lambda object_id: db.session.get(model, object_id)


def _post_kind():
    from ..discussions import service as discussions
    from ..discussions.models import Post, Thread

    def hidden_ids(community_id):
        return db.session.execute(
            sa.select(Post.id).join(Thread, Thread.id == Post.thread_id)
            .where(Thread.community_id == community_id, Post.hidden_at.is_not(None), Post.deleted_at.is_(None))
        ).scalars().all()

    def delete(post, actor):
        discussions.delete_post(post, actor)

    def load(object_id):
        post = db.session.get(Post, object_id)
        return post if post is not None and not post.is_deleted else None

    return Kind(
        name="post", label=_l("Message"), load=load, community=lambda p: p.thread.community, author=lambda p: p.author,
        title=lambda p: p.thread.title, url=lambda p: url_for("discussions.post", post_id=p.id), hidden_ids=hidden_ids,
        search=lambda p: [("post", p.id), ("thread", p.thread_id)], delete=delete,
        read_action="thread.read", read_target=lambda p: p.thread,
    )


def _resource_kind():
    from ..resources import service as resources
    from ..resources.models import Resource

    def delete(resource, actor):
        hashes = resources.delete(resource)
        return lambda: resources.forget_files(hashes)

    return Kind(
        name="resource", label=_l("Resource"), load=_get(Resource), community=lambda r: r.community, author=lambda r: r.author,
        title=lambda r: r.title, url=lambda r: url_for("resources.show", resource_id=r.id),
        hidden_ids=lambda cid: db.session.execute(
            sa.select(Resource.id).where(Resource.community_id == cid, Resource.hidden_at.is_not(None))
        ).scalars().all(),
        search=lambda r: [("resource", r.id)], delete=delete,
        read_action="resource.read", read_target=lambda r: r,
    )


def _note_kind():
    from ..notes import service as notes
    from ..notes.models import Note

    def delete(note, actor):
        notes.delete_note(note)

    return Kind(
        name="note", label=_l("Note"), load=_get(Note), community=lambda n: n.community, author=lambda n: n.owner,
        title=lambda n: n.title, url=lambda n: url_for("notes.show", note_id=n.id),
        hidden_ids=lambda cid: db.session.execute(
            sa.select(Note.id).where(Note.community_id == cid, Note.hidden_at.is_not(None))
        ).scalars().all(),
        search=lambda n: [("note", n.id)], delete=delete,
        read_action="note.read", read_target=lambda n: n,
    )


def _profile_kind():
    from ..accounts.models import User

    return Kind(
        name="profile", label=_l("Profile"), load=_get(User), community=lambda u: None, author=lambda u: u,
        title=lambda u: u.display_name, url=lambda u: url_for("accounts.user_profile", user_id=u.id),
        hidden_ids=lambda cid: db.session.execute(sa.select(User.id).where(User.hidden_at.is_not(None))).scalars().all()
        if cid is None else [],
        read_action="user.view", read_target=lambda u: u,
    )


def init_app(app):
    from .views import bp

    for make in (_post_kind, _resource_kind, _note_kind, _profile_kind):
        service.register(make())
    app.register_blueprint(bp)
