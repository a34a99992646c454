from flask import url_for

from .. import access


def iso(value):
    return value.isoformat() if value else None


def user_json(user, private=False):
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
    if private:
        data.update(email=user.email, timezone=user.timezone, locale=user.locale, is_admin=user.is_admin, created_at=iso(user.created_at))
    return data


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
