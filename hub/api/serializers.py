from flask import url_for

from .. import access


def iso(value):
    return value.isoformat() if value else None


def user_json(user, private=False):
    if not private and _hidden_profile(user):  # details hidden pending moderation: the name stays
        return {"id": user.id, "display_name": user.display_name, "organization": "", "job_title": "", "bio": "",
                "expertise": [], "languages": [], "avatar_url": None, "hidden": True}
    data = {
        "id": user.id,
        "display_name": user.display_name,
        "organization": user.organization,
        "job_title": user.job_title,
        "bio": user.bio,
        "expertise": user.expertise_tags,
        "languages": user.language_list,
        "avatar_url": url_for("accounts.avatar", user_id=user.id, _external=True) if user.avatar_file else None,
    }
    data["hidden"] = user.hidden_at is not None
    if private:
        data.update(email=user.email, timezone=user.timezone, locale=user.locale, is_admin=user.is_admin, created_at=iso(user.created_at))
    return data


def _hidden_profile(user):
    from flask_login import AnonymousUserMixin

    from .helpers import authenticated_user

    return access.hidden_from(authenticated_user() or AnonymousUserMixin(), "profile", user)


def community_json(community, user):
    role = access.role_in(user, community)
    data = {
        "slug": community.slug,
        "name": community.name,
        "mission": community.mission,
        "visibility": community.visibility,
        "url": url_for("communities.show", slug=community.slug, _external=True),
        "my_role": role,
    }
    if access.can(user, "community.read", community):
        data.update(values=community.values, created_at=iso(community.created_at), archived_at=iso(community.archived_at))
    return data


def member_json(membership):
    return {"role": membership.role, "joined_at": iso(membership.joined_at), "expires_at": iso(membership.expires_at), "user": user_json(membership.user)}
