"""Communities of practice: settings, memberships and roles, invitations, directory."""


def init_app(app):
    register_kinds()


def register_kinds():
    """Members who joined appear in the activity feed of those who may read the member directory."""
    import sqlalchemy as sa
    from flask_babel import lazy_gettext as _l

    from .. import kinds
    from .models import Membership

    kinds.register(
        # No title is kept with the item: the feed shows the person's current name (none is left once the
        # account is deleted).
        "member", Membership, "user.view", "accounts.user_profile", "user_id", label=lambda m: "",
        noun=_l("Member"), icon="person", referable=False, page_of=lambda m: m.user_id,
        visible=lambda viewer, item: sa.and_(viewer.in_directory(item.community_id), sa.exists().where(Membership.id == item.object_id)),
        actions={"joined": _l("%(title)s joined the community")},
    )
