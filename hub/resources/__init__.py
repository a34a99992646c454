"""Resource repository: files and links with metadata, versions, text extraction."""


def init_app(app):
    """Declare resources to the search (kinds are registered once per process, before catch-up)."""
    from .. import search
    from ..search.query import register_values
    from ..notifications.mail import register_periodic
    from .service import SWEEP_SECONDS, all_ids, load, sweep_uploads, to_document

    search.register("resource", to_document, load, all_ids=all_ids)
    register_values("type", type_names)
    register_periodic("orphan-uploads", sweep_uploads, SWEEP_SECONDS)
    register_kinds()


def type_names():
    """{type code: its names in every language}, for ``type:étude de cas`` in searches."""
    from flask import current_app
    from flask_babel import force_locale

    from .forms import type_labels

    names = {code: [] for code in type_labels()}
    for locale in current_app.config["LANGUAGES"]:
        with force_locale(locale):
            for code, label in type_labels().items():
                names[code].append(str(label))
    return names


def register_kinds():
    import sqlalchemy as sa
    from flask_babel import lazy_gettext as _l

    from .. import kinds
    from ..extensions import db
    from .models import Resource

    def recent(community):
        return db.session.execute(sa.select(Resource).where(Resource.community_id == community.id).order_by(Resource.id.desc()).limit(100)).scalars().all()

    def visible(viewer, item):
        """The resource exists; hidden pending moderation, only for its author and the facilitators."""
        shown = sa.or_(Resource.hidden_at.is_(None), Resource.author_id == viewer.user_id, viewer.moderates(Resource.community_id))
        return sa.exists().where(Resource.id == item.object_id, shown)

    kinds.register(
        "resource", Resource, "resource.read", "resources.show", "resource_id", label=lambda r: r.title,
        noun=_l("Resource"), attach_label=_l("Resource: %(title)s"), icon="file", prefixes=("ressource",),
        search_kind="resource", attachable=True, recent=recent, visible=visible,
        actions={"created": _l("%(actor)s added the resource %(title)s"), "version": _l("%(actor)s added a new version of %(title)s")},
    )
