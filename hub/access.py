"""The one place that answers "may this user do this to that?".

Every view and API endpoint asks ``can`` or ``require`` with an action name. An action
without a rule is refused: authorization is default-deny. Rules take the user (possibly
anonymous) and the target object, and return a bool.

Roles in a community, from most to least trusted:
- facilitator: manages settings, invitations, members and categories;
- member: reads and takes part;
- guest: reads the community page, takes part only where invited, may have an end date;
- observer: reads only.
The instance admin may do everything, except change what an archived community holds: an
archived community is read-only for everyone (see ``ARCHIVE_ALLOWS``).
"""
from flask import abort, g, request
from flask_login import current_user

from .extensions import db
from .timeutil import utcnow

RULES = {}

READING_ROLES = {"facilitator", "member", "observer", "guest"}
DIRECTORY_ROLES = {"facilitator", "member", "observer"}
CONTRIBUTING_ROLES = {"facilitator", "member"}


def rule(action):
    def register(fn):
        RULES[action] = fn
        return fn

    return register


def _authenticated(user):
    return user is not None and getattr(user, "is_authenticated", False)


def _admin(user):
    return _authenticated(user) and bool(user.is_admin)


def role_in(user, community):
    """The user's current role in the community, or None (expired guests have none)."""
    if not _authenticated(user) or community is None:
        return None
    cache = g.setdefault("_hub_roles", {}) if _has_app_context() else {}
    key = (user.id, community.id)
    if key not in cache:
        from .communities.models import Membership

        found = db.session.execute(
            db.select(Membership.role, Membership.expires_at).filter_by(user_id=user.id, community_id=community.id)
        ).first()
        cache[key] = found.role if found is not None and (found.expires_at is None or found.expires_at > utcnow()) else None
    return cache[key]


def forget_roles():
    """Drop cached roles after a membership changes within a request."""
    if _has_app_context():
        g.pop("_hub_roles", None)


def _has_app_context():
    from flask import has_app_context

    return has_app_context()


def can(user, action, target=None):
    check = RULES.get(action)
    if check is None:
        return False
    if action not in ARCHIVE_ALLOWS and archived(target):
        return False
    if _admin(user) and action not in NOT_FOR_ADMIN:
        return True
    return bool(check(user, target))


def require(action, target=None, user=None):
    """Abort unless the user may do the action.

    Users who may not even know the target exists get 404; anonymous users are then sent
    to log in (401 for the API); the others get 403.
    """
    user = current_user if user is None else user
    if can(user, action, target):
        return
    if refused_as_archived(user, action, target):
        refuse_archived()
    # Checked before asking to log in, so a login redirect never reveals that a private community exists.
    if conceals(user, action, target):
        abort(404)
    if not _authenticated(user) and action not in PUBLIC_ACTIONS:
        if request.blueprint == "api":
            abort(401)
        from .extensions import login_manager

        abort(login_manager.unauthorized())
    abort(403)


# Objects whose very existence is kept from those who may not read them, by the rule that reads them:
# refusing any action on one answers 404 to them, as for an object that does not exist.
CONCEALED_BY = {
    "poll.read": "poll.read",
    "poll.answer": "poll.read",
    "poll.manage": "poll.read",
}


def conceals(user, action, target):
    """True when refusing ``action`` must not reveal that the target exists (a 404, not a 403 or a
    request to log in): its community is hidden from the user, or the user, signed in, may not read
    the target itself (a poll sent to chosen people). Anonymous visitors of a community they may
    see are still asked to log in, so that an emailed link works once they have."""
    community = getattr(target, "community", target)
    if hasattr(community, "visibility") and not can(user, "community.see", community):
        return True
    read = CONCEALED_BY.get(action)
    return read is not None and _authenticated(user) and not can(user, read, target)


# Actions an anonymous visitor may be granted; for the others anonymity means "log in first".
PUBLIC_ACTIONS = {"community.see", "account.register"}
# Rules about the user's own standing, which being an admin does not change.
NOT_FOR_ADMIN = {"community.request_join", "community.leave", "account.register"}


# --- archived communities ---------------------------------------------------------------

# What may still be done in an archived community: read it, and leave it. Every other action on the
# community or on anything it holds (post, reply, react, upload, edit, delete, poll, meeting, note,
# invite, manage…) is refused to everyone, instance admins included, until an admin unarchives it.
ARCHIVE_ALLOWS = {
    "community.see", "community.read", "community.directory", "community.leave",
    "discussion.read", "thread.read", "post.attachments", "post.share",
    "resource.read", "poll.read", "meeting.read", "note.read",
}


def community_of(target):
    """The community a target belongs to (itself for a community), or None."""
    from .communities.models import Community

    for _depth in range(3):
        if target is None or isinstance(target, Community):
            return target
        target = getattr(target, "community", None) or getattr(target, "thread", None)
    return None


def archived(target):
    community = community_of(target)
    return community is not None and community.archived_at is not None


def refused_as_archived(user, action, target):
    """True when ``action`` is refused only because the target's community is archived."""
    check = RULES.get(action)
    if check is None or action in ARCHIVE_ALLOWS or not archived(target):
        return False
    return _admin(user) and action not in NOT_FOR_ADMIN or bool(check(user, target))


def refuse_archived():
    """Stop the request with a 403 page (or JSON error) that says the community is archived."""
    from flask import make_response

    from .errors import render_error

    abort(make_response(render_error(403, archived_message())))


def archived_message():
    from flask_babel import gettext as _

    return _("This community is archived: it can be read, but nothing in it can be added or changed.")


# --- accounts -------------------------------------------------------------------------


@rule("account.register")
def _register(user, target):
    from flask import current_app

    return not _authenticated(user) and current_app.config["REGISTRATION"] == "open"


@rule("account.manage")
def _manage_account(user, target):
    return _authenticated(user) and (target is None or target.id == user.id)


@rule("token.revoke")
def _revoke_token(user, token):
    return _authenticated(user) and token is not None and token.user_id == user.id


@rule("user.view")
def _view_user(user, other):
    """Profiles are visible to oneself and to people who share a community."""
    if not _authenticated(user) or other is None:
        return False
    if other.id == user.id:
        return True
    from .communities.models import Membership

    mine = db.select(Membership.community_id).where(Membership.user_id == user.id)
    shared = db.session.execute(
        db.select(Membership.id).where(Membership.user_id == other.id, Membership.community_id.in_(mine)).limit(1)
    ).first()
    return shared is not None


# --- communities ----------------------------------------------------------------------


@rule("community.create")
def _create_community(user, target):
    return _authenticated(user)


@rule("community.see")
def _see(user, community):
    """Name and mission: the showcase of a public or listed community."""
    if community.visibility == "public":
        return True
    if community.visibility == "listed":
        return _authenticated(user)
    return role_in(user, community) is not None


@rule("community.read")
def _read(user, community):
    """Everything a community shares with its members and invited guests."""
    return role_in(user, community) in READING_ROLES


@rule("community.directory")
def _directory(user, community):
    return role_in(user, community) in DIRECTORY_ROLES


@rule("community.contribute")
def _contribute(user, community):
    return role_in(user, community) in CONTRIBUTING_ROLES


@rule("community.manage")
def _manage(user, community):
    return role_in(user, community) == "facilitator"


@rule("member.remove")
def _remove_member(user, membership):
    """Facilitators remove members; anyone removes themselves (leaving)."""
    return role_in(user, membership.community) == "facilitator" or (_authenticated(user) and membership.user_id == user.id)


@rule("community.leave")
def _leave(user, community):
    return role_in(user, community) is not None


@rule("community.request_join")
def _request_join(user, community):
    return (
        _authenticated(user)
        and community.visibility in {"listed", "public"}
        and role_in(user, community) is None
    )


def _facilitator_or_own(user, community, owner_id):
    """The community's facilitators, and the object's own author or organiser while still a contributor."""
    role = role_in(user, community)
    return role == "facilitator" or (role in CONTRIBUTING_ROLES and owner_id == user.id)


# --- resources ------------------------------------------------------------------------


@rule("resource.read")
def _read_resource(user, resource):
    return role_in(user, resource.community) in READING_ROLES


@rule("theme.follow")
def _follow_theme(user, theme):
    """Follow a theme (be told of its new resources), or stop: whoever reads the community's resources."""
    return theme is not None and role_in(user, theme.community) in READING_ROLES


@rule("resource.create")
def _create_resource(user, community):
    return role_in(user, community) in CONTRIBUTING_ROLES


@rule("resource.edit")
def _edit_resource(user, resource):
    """Its author while still a contributor, and the community's facilitators."""
    return _facilitator_or_own(user, resource.community, resource.author_id)


RULES["resource.delete"] = _edit_resource


@rule("community.themes")
def _manage_themes(user, community):
    return role_in(user, community) == "facilitator"


# --- meetings, polls and the calendar ------------------------------------------------------

PARTICIPATING_ROLES = {"facilitator", "member", "guest"}


def _poll_organizer_or_facilitator(user, poll):
    return _facilitator_or_own(user, poll.community, poll.organizer_id)


@rule("poll.create")
def _create_poll(user, community):
    return role_in(user, community) in CONTRIBUTING_ROLES


@rule("poll.read")
def _read_poll(user, poll):
    """Polls for the whole community are read by its readers; the others by those invited, the
    organiser and the facilitators."""
    role = role_in(user, poll.community)
    if role not in READING_ROLES:
        return False
    if poll.invite_all or _poll_organizer_or_facilitator(user, poll):
        return True
    return any(i.user_id == user.id and i.revoked_at is None for i in poll.invitees)


@rule("poll.answer")
def _answer_poll(user, poll):
    """Contributors answer the polls sent to the whole community; guests only those they were invited to."""
    role = role_in(user, poll.community)
    if role not in PARTICIPATING_ROLES:
        return False
    if poll.invite_all and role in CONTRIBUTING_ROLES:
        return True
    return any(i.user_id == user.id and i.revoked_at is None for i in poll.invitees)


@rule("poll.manage")
def _manage_poll(user, poll):
    """Choose the slot, close the poll, withdraw guest links: the organiser and the facilitators."""
    return _poll_organizer_or_facilitator(user, poll)


@rule("meeting.read")
def _read_meeting(user, meeting):
    return role_in(user, meeting.community) in READING_ROLES


@rule("meeting.create")
def _create_meeting(user, community):
    return role_in(user, community) in CONTRIBUTING_ROLES


@rule("meeting.edit")
def _edit_meeting(user, meeting):
    """Change or cancel: its organiser (while a contributor) and the community's facilitators."""
    return _facilitator_or_own(user, meeting.community, meeting.organizer_id)


@rule("meeting.participate")
def _participate(user, meeting):
    """Say whether one is going, propose and support agenda topics: contributors, and guests invited to it."""
    role = role_in(user, meeting.community)
    if role in CONTRIBUTING_ROLES:
        return True
    return role == "guest" and any(a.user_id == user.id and a.invited for a in meeting.attendees)


@rule("meeting.follow_up")
def _follow_up(user, meeting):
    return role_in(user, meeting.community) in CONTRIBUTING_ROLES


# --- notes ------------------------------------------------------------------------------


def _note_role(user, note):
    """The reader's role in the note's community if they may read the note: its owner, everyone
    for a community note, the chosen members for a shared one; None otherwise."""
    role = role_in(user, note.community)
    if role not in READING_ROLES:
        return None
    if note.owner_id == user.id or note.visibility == "community":
        return role
    if note.visibility == "members" and user.id in note.shared_user_ids:
        return role
    return None


@rule("note.create")
def _create_note(user, community):
    return role_in(user, community) in CONTRIBUTING_ROLES


@rule("note.see")
def _see_note(user, note):
    """Whether the note exists for the person (it may be hidden pending moderation from them)."""
    return _note_role(user, note) is not None


@rule("note.read")
def _read_note(user, note):
    return _note_role(user, note) is not None and not hidden_from(user, "note", note)


@rule("note.edit")
def _edit_note(user, note):
    """Contributors who may read it; a guest only a note shared with them by name. Observers read only."""
    role = _note_role(user, note)
    if hidden_from(user, "note", note):
        return False
    if role in CONTRIBUTING_ROLES:
        return True
    return role == "guest" and (note.owner_id == user.id or user.id in note.shared_user_ids)


@rule("note.manage")
def _manage_note(user, note):
    """Share, withdraw, attach, delete: the note's owner only, while a contributor."""
    return _authenticated(user) and note.owner_id == user.id and role_in(user, note.community) in CONTRIBUTING_ROLES


@rule("note.templates")
def _note_templates(user, community):
    return role_in(user, community) == "facilitator"


@rule("calendar.feed")
def _own_feed(user, target):
    return _authenticated(user)


@rule("privacy.edit")
def _edit_privacy_policy(user, target):
    return False  # only the instance admin, who passes every rule


@rule("admin.panel")
def _admin_panel(user, target):
    """/admin and /api/v1/admin: people, communities, outbox, search index, storage, audit log."""
    return False  # only the instance admin, who passes every rule


# --- discussions ------------------------------------------------------------------------


def _invited_to_thread(user, thread):
    return _authenticated(user) and any(i.user_id == user.id for i in thread.invitees)


@rule("discussion.read")
def _read_discussions(user, community):
    return role_in(user, community) in READING_ROLES


@rule("thread.create")
def _create_thread(user, community):
    return role_in(user, community) in CONTRIBUTING_ROLES


@rule("thread.read")
def _read_thread(user, thread):
    return role_in(user, thread.community) in READING_ROLES


@rule("thread.reply")
def _reply(user, thread):
    """Contributors, and guests invited to the thread; a locked thread only takes facilitators' posts.
    Observers read only."""
    role = role_in(user, thread.community)
    if role == "facilitator":
        return True
    if thread.locked:
        return False
    return role in CONTRIBUTING_ROLES or (role == "guest" and _invited_to_thread(user, thread))


RULES["post.react"] = lambda user, post: _reply(user, post.thread)


@rule("thread.moderate")
def _moderate(user, thread):
    """Pin and lock: the community's facilitators."""
    return role_in(user, thread.community) == "facilitator"


@rule("thread.edit")
def _edit_thread(user, thread):
    """Move it to another category, change its tags: the community's facilitators, and its author
    while a contributor, until it is locked."""
    if role_in(user, thread.community) == "facilitator":
        return True
    return not thread.locked and _facilitator_or_own(user, thread.community, thread.author_id)


@rule("thread.invite")
def _invite_to_thread(user, thread):
    return _facilitator_or_own(user, thread.community, thread.author_id)


@rule("thread.mark_answer")
def _mark_answer(user, thread):
    role = role_in(user, thread.community)
    return role == "facilitator" or (role in PARTICIPATING_ROLES and thread.author_id == user.id and _reply(user, thread))


@rule("post.edit")
def _edit_post(user, post):
    """Its author while still able to post in the thread, and the community's facilitators."""
    if post.deleted_at is not None:
        return False
    role = role_in(user, post.thread.community)
    return role == "facilitator" or (post.author_id == user.id and _reply(user, post.thread))


RULES["post.delete"] = _edit_post


@rule("post.attachments")
def _post_attachments(user, post):
    """What a post shows besides its text (link preview images): whoever reads its thread, until the
    post is deleted."""
    return post.deleted_at is None and _read_thread(user, post.thread) and not hidden_from(user, "post", post)


@rule("post.share")
def _share_post(user, post):
    return post.deleted_at is None and role_in(user, post.thread.community) in READING_ROLES and not hidden_from(user, "post", post)


@rule("discussion.categories")
def _manage_categories(user, community):
    return role_in(user, community) == "facilitator"


@rule("discussion.tags")
def _manage_tags(user, community):
    """Rename, merge and delete the tags of every discussion of the community: its facilitators."""
    return role_in(user, community) == "facilitator"


# --- moderation -------------------------------------------------------------------------
# Flags go to the facilitators of the item's community; profiles, in no community, to the instance
# admins. Hidden content is shown only to its author, the facilitators and the admins; the others
# see a placeholder (``hidden_from``).


@rule("community.moderate")
def _moderate_community(user, community):
    """The moderation queue of a community and its actions (hide, restore, delete): its facilitators."""
    return role_in(user, community) == "facilitator"


@rule("moderation.profiles")
def _moderate_profiles(user, target):
    return False  # only the instance admin, who passes every rule


@rule("post.read_hidden")
def _read_hidden_post(user, post):
    return _authenticated(user) and (post.author_id == user.id or role_in(user, post.thread.community) == "facilitator")


@rule("resource.read_hidden")
def _read_hidden_resource(user, resource):
    return _authenticated(user) and (resource.author_id == user.id or role_in(user, resource.community) == "facilitator")


@rule("note.read_hidden")
def _read_hidden_note(user, note):
    return _authenticated(user) and (note.owner_id == user.id or role_in(user, note.community) == "facilitator")


@rule("profile.read_hidden")
def _read_hidden_profile(user, profile):
    return _authenticated(user) and profile.id == user.id


@rule("post.flag")
def _flag_post(user, post):
    """Whoever reads the thread (guests too), for someone else's message still in place."""
    return _authenticated(user) and post.deleted_at is None and post.author_id != user.id and _read_thread(user, post.thread)


@rule("resource.flag")
def _flag_resource(user, resource):
    return _authenticated(user) and resource.author_id != user.id and _read_resource(user, resource)


@rule("note.flag")
def _flag_note(user, note):
    return _authenticated(user) and note.owner_id != user.id and _read_note(user, note)


@rule("profile.flag")
def _flag_profile(user, profile):
    return _authenticated(user) and profile.id != user.id and _view_user(user, profile)


def hidden_from(user, kind, obj):
    """True when ``obj`` (of ``kind``: post, resource, note, profile) is hidden pending moderation
    and ``user`` is not among those who still see it."""
    return obj is not None and getattr(obj, "hidden_at", None) is not None and not can(user, f"{kind}.read_hidden", obj)


# --- activity feed ----------------------------------------------------------------------
# Across one's communities: each item is filtered in the feed's query by its kind's condition
# (hub/kinds.py ``visible``), which follows the read rules above.


@rule("activity.own")
def _own_activity(user, target):
    return _authenticated(user)


# --- notifications ----------------------------------------------------------------------


@rule("notifications.own")
def _own_notifications(user, target):
    return _authenticated(user)


def init_app(app):
    @app.context_processor
    def _can():
        return {"can": lambda action, target=None: can(current_user, action, target), "archived_community": _archived_community}

    # A global, so that imported macros (an avatar, a post) may ask it too.
    app.jinja_env.globals["hidden_from_me"] = lambda kind, obj: hidden_from(current_user, kind, obj)


def _archived_community(*targets):
    """For the banner of base.html: the first archived community among a page's objects, or None."""
    for target in targets:
        community = community_of(target) if target is not None else None
        if community is not None:
            return community if community.archived_at is not None else None
    return None
