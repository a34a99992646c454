"""Walk every route as each kind of visitor and check what they get.

A new route fails this test until its expected statuses are written here: access is
decided on purpose, never by accident.
"""
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import login

ROLES = ["anonymous", "outsider", "observer", "guest", "member", "facilitator", "admin"]

LOGIN = "login"  # a redirect to the login page
OK_REDIRECT = "redirect"  # a redirect elsewhere: the action went through (or its form was shown again)

# Statuses for: anonymous, outsider, observer, guest, member, facilitator, admin
EVERYONE_200 = (200,) * 7
ACCOUNT = (LOGIN, 200, 200, 200, 200, 200, 200)
READER = (404, 404, 200, 200, 200, 200, 200)
DIRECTORY = (404, 404, 200, 403, 200, 200, 200)
MANAGE_GET = (404, 404, 403, 403, 403, 200, 200)
MANAGE_POST = (404, 404, 403, 403, 403, OK_REDIRECT, OK_REDIRECT)
# Forms posted with invalid data by those allowed: shown again with their errors.
ACCOUNT_POST = (LOGIN, 422, 422, 422, 422, 422, 422)
MANAGE_INVALID_POST = (404, 404, 403, 403, 403, 422, 422)
# Run last: they change the visitor's own membership or session.
LAST = ["discussions.delete_category", "discussions.delete_post", "api.delete_post", "meetings.revoke_guest", "meetings.close_poll", "meetings.cancel_occurrence", "meetings.cancel", "meetings.regenerate_feed",
        "meetings.revoke_feed", "api.delete_resource", "resources.delete", "notes.delete_template", "notes.delete", "communities.leave",
        "communities.invitation", "admin.set_active", "admin.archive", "api.admin_archive", "accounts.logout"]
# Meetings: the member organises the poll and the meeting; the guest was invited to neither.
CONTRIBUTOR_GET = (404, 404, 403, 403, 200, 200, 200)
CONTRIBUTOR_POST = (404, 404, 403, 403, OK_REDIRECT, OK_REDIRECT, OK_REDIRECT)
CONTRIBUTOR_INVALID = (404, 404, 403, 403, 422, 422, 422)
RESOURCE_EDIT = (404, 404, 403, 403, 200, 200, 200)  # the member is the resource's author
RESOURCE_EDIT_POST = (404, 404, 403, 403, OK_REDIRECT, OK_REDIRECT, OK_REDIRECT)
NOTE_OWNER_GET = (404, 404, 403, 403, 200, 403, 200)  # the member owns the note
NOTE_OWNER_POST = (404, 404, 403, 403, OK_REDIRECT, 403, OK_REDIRECT)
NOTE_OWNER_INVALID = (404, 404, 403, 403, 422, 403, 422)
ADMIN_GET = (LOGIN, 403, 403, 403, 403, 403, 200)
ADMIN_POST = (LOGIN, 403, 403, 403, 403, 403, OK_REDIRECT)
ADMIN_API = (401, 403, 403, 403, 403, 403, 200)

EXPECTED = {
    # Moderation (on the member's first post): flag it, the queues, an action (restore).
    ("GET", "moderation.flag"): (LOGIN, 404, 200, 200, 403, 200, 200),
    ("POST", "moderation.flag"): (LOGIN, 404, 422, 422, 403, 422, 422),
    ("GET", "moderation.community_queue"): MANAGE_GET,
    ("GET", "moderation.profiles_queue"): (LOGIN, 403, 403, 403, 403, 403, 200),
    ("POST", "moderation.act"): (LOGIN, 404, 403, 403, 403, OK_REDIRECT, OK_REDIRECT),
    ("POST", "api.create_flag"): (401, 422, 422, 422, 422, 422, 422),
    ("GET", "api.community_queue"): (404, 404, 403, 403, 403, 200, 200),
    ("GET", "api.profiles_queue"): (401, 403, 403, 403, 403, 403, 200),
    ("POST", "api.moderate"): (401, 404, 403, 403, 403, 200, 200),
    ("GET", "core.home"): EVERYONE_200,
    # The activity feed: one's own across communities, and a community's for its readers.
    ("GET", "activity.mine"): ACCOUNT,
    ("GET", "activity.community"): READER,
    ("GET", "api.my_activity"): (401, 200, 200, 200, 200, 200, 200),
    ("GET", "api.community_activity"): (404, 404, 200, 200, 200, 200, 200),
    ("POST", "core.set_language"): (OK_REDIRECT,) * 7,
    ("GET", "core.healthz"): EVERYONE_200,
    ("GET", "core.confirm"): (LOGIN, 404, 404, 404, 404, 404, 404),  # without a signed question: nothing to confirm
    ("GET", "accounts.register"): (200,) + (OK_REDIRECT,) * 6,
    ("GET", "accounts.registration_sent"): (OK_REDIRECT,) * 7,  # nothing sent from this session: back to the form
    ("GET", "accounts.confirm_registration"): (400,) * 7,
    ("POST", "accounts.confirm_registration"): (400,) * 7,
    ("GET", "accounts.login"): (200,) + (OK_REDIRECT,) * 6,
    ("POST", "accounts.logout"): (OK_REDIRECT,) * 7,
    ("GET", "accounts.request_reset"): EVERYONE_200,
    ("GET", "accounts.reset_password"): (400,) * 7,
    ("GET", "accounts.profile"): ACCOUNT,
    ("GET", "accounts.change_password"): ACCOUNT,
    ("GET", "accounts.change_email"): ACCOUNT,
    ("GET", "accounts.confirm_email"): (LOGIN, 400, 400, 400, 400, 400, 400),
    ("GET", "accounts.tokens"): ACCOUNT,
    ("POST", "accounts.revoke_token"): (LOGIN, 404, 404, 404, OK_REDIRECT, 404, OK_REDIRECT),
    ("GET", "accounts.user_profile"): (LOGIN, 404, 200, 200, 200, 200, 200),
    ("GET", "accounts.avatar"): (LOGIN, 404, 200, 200, 200, 200, 200),
    ("GET", "communities.index"): EVERYONE_200,
    ("GET", "communities.create"): ACCOUNT,
    ("GET", "communities.show"): READER,
    ("GET", "communities.settings"): MANAGE_GET,
    ("GET", "communities.members"): DIRECTORY,
    ("POST", "communities.change_role"): MANAGE_POST,
    ("POST", "communities.remove_member"): MANAGE_POST,
    ("POST", "communities.leave"): (404, 404, OK_REDIRECT, OK_REDIRECT, OK_REDIRECT, OK_REDIRECT, 403),
    ("POST", "communities.join"): (404, 404, 403, 403, 403, 403, 403),
    ("POST", "communities.decide_request"): MANAGE_POST,
    ("GET", "communities.invitations"): MANAGE_GET,
    ("POST", "communities.revoke_invitation"): MANAGE_POST,
    ("GET", "communities.invitation"): EVERYONE_200,
    ("POST", "communities.invitation"): (200,) + (OK_REDIRECT,) * 6,
    ("POST", "accounts.register"): (422,) + (OK_REDIRECT,) * 6,
    ("POST", "accounts.login"): (422,) + (OK_REDIRECT,) * 6,
    ("POST", "accounts.request_reset"): (422,) * 7,
    ("POST", "accounts.reset_password"): (400,) * 7,
    ("POST", "accounts.profile"): (LOGIN,) + (OK_REDIRECT,) * 6,  # fields not sent keep their values
    ("POST", "accounts.change_password"): ACCOUNT_POST,
    ("POST", "accounts.change_email"): ACCOUNT_POST,
    ("POST", "accounts.tokens"): ACCOUNT_POST,
    ("POST", "communities.create"): ACCOUNT_POST,
    ("POST", "communities.settings"): MANAGE_POST,  # fields not sent keep their values
    ("POST", "communities.invitations"): MANAGE_INVALID_POST,
    ("GET", "resources.browse"): READER,
    ("GET", "resources.create"): (404, 404, 403, 403, 200, 200, 200),
    ("POST", "resources.create"): (404, 404, 403, 403, 422, 422, 422),
    ("GET", "resources.show"): READER,
    ("GET", "resources.print_view"): READER,
    ("GET", "resources.download"): READER,
    ("GET", "resources.edit"): RESOURCE_EDIT,
    ("POST", "resources.edit"): RESOURCE_EDIT_POST,  # fields not sent keep their values
    ("POST", "resources.add_version"): RESOURCE_EDIT_POST,  # no file: the page says so
    ("POST", "resources.delete"): RESOURCE_EDIT_POST,
    ("GET", "resources.themes"): MANAGE_GET,
    ("POST", "resources.themes"): MANAGE_INVALID_POST,
    ("POST", "resources.delete_theme"): MANAGE_POST,
    # Following a theme: its readers (the facilitator's and admin's walks deleted it just before: 404).
    ("POST", "resources.follow_theme"): (404, 404, OK_REDIRECT, OK_REDIRECT, OK_REDIRECT, 404, 404),
    ("GET", "api.list_themes"): (404, 404, 200, 200, 200, 200, 200),
    ("PUT", "api.follow_theme"): (404, 404, 200, 200, 200, 200, 200),
    ("DELETE", "api.follow_theme"): (404, 404, 200, 200, 200, 200, 200),
    ("GET", "api.my_attention"): (401, 200, 200, 200, 200, 200, 200),
    ("GET", "search.results"): ACCOUNT,
    ("GET", "api.search"): (401, 200, 200, 200, 200, 200, 200),
    ("POST", "api.create_resource"): (404, 404, 403, 403, 415, 415, 415),  # JSON where multipart is expected
    ("GET", "api.list_resources"): READER,
    ("GET", "api.get_resource"): READER,
    ("PUT", "api.update_resource"): (404, 404, 403, 403, 200, 200, 200),
    ("DELETE", "api.delete_resource"): (404, 404, 403, 403, 204, 204, 204),
    ("GET", "api.resource_download"): READER,
    ("POST", "api.add_resource_version"): (404, 404, 403, 403, 415, 415, 415),
    ("GET", "api.openapi"): EVERYONE_200,
    ("POST", "api.register"): (422,) * 7,
    ("POST", "api.token"): (422,) * 7,
    ("GET", "api.me"): (401, 200, 200, 200, 200, 200, 200),
    ("GET", "api.list_communities"): EVERYONE_200,
    ("POST", "api.create_community"): (401, 422, 422, 422, 422, 422, 422),
    ("GET", "api.get_community"): (404, 404, 200, 200, 200, 200, 200),
    ("GET", "api.community_members"): (404, 404, 200, 403, 200, 200, 200),
    ("POST", "api.invite"): (404, 404, 403, 403, 403, 422, 422),
    ("POST", "api.accept_invitation"): (401, 404, 404, 404, 404, 404, 404),
    ("DELETE", "api.remove_member"): (404, 404, 403, 403, 403, 204, 204),  # someone else: facilitators only
    ("PATCH", "api.update_member"): (404, 404, 403, 403, 403, 415, 415),  # form data where JSON is expected
    ("GET", "api.export_me"): (401, 200, 200, 200, 200, 200, 200),
    ("DELETE", "api.delete_me"): (401, 415, 415, 415, 415, 415, 415),
    ("GET", "privacy.policy"): EVERYONE_200,
    ("GET", "privacy.edit_policy"): (LOGIN, 403, 403, 403, 403, 403, 200),
    ("POST", "privacy.edit_policy"): (LOGIN, 403, 403, 403, 403, 403, 422),
    ("GET", "privacy.my_data"): ACCOUNT,
    ("POST", "privacy.export"): (LOGIN, 422, 422, 422, 422, 422, 422),  # allowed; the walk does not send the page's button
    ("POST", "privacy.delete_account"): ACCOUNT_POST,  # no password sent
    ("GET", "meetings.new_poll"): CONTRIBUTOR_GET,
    ("POST", "meetings.new_poll"): CONTRIBUTOR_INVALID,
    ("GET", "meetings.poll"): READER,
    ("POST", "meetings.answer"): CONTRIBUTOR_INVALID,  # the guest was not invited to this poll
    ("GET", "meetings.guest_poll"): EVERYONE_200,  # the guest's link is the only key
    ("POST", "meetings.guest_poll"): (422,) * 7,
    ("POST", "meetings.finalize"): CONTRIBUTOR_POST,  # no slot chosen: the poll page says so
    ("POST", "meetings.close_poll"): CONTRIBUTOR_POST,
    ("POST", "meetings.revoke_guest"): CONTRIBUTOR_POST,
    ("GET", "meetings.new_entry"): CONTRIBUTOR_GET,
    ("POST", "meetings.new_entry"): CONTRIBUTOR_INVALID,
    ("GET", "meetings.show"): READER,
    ("GET", "meetings.download"): READER,
    ("GET", "meetings.edit"): CONTRIBUTOR_GET,
    ("POST", "meetings.edit"): CONTRIBUTOR_INVALID,
    ("POST", "meetings.cancel"): CONTRIBUTOR_POST,
    ("GET", "meetings.edit_occurrence"): CONTRIBUTOR_GET,
    ("POST", "meetings.edit_occurrence"): CONTRIBUTOR_INVALID,
    ("POST", "meetings.cancel_occurrence"): CONTRIBUTOR_POST,
    ("POST", "meetings.attendance"): CONTRIBUTOR_POST,
    ("POST", "meetings.propose_topic"): CONTRIBUTOR_POST,  # the guest was not invited to this meeting
    ("POST", "meetings.support"): CONTRIBUTOR_POST,
    ("POST", "meetings.add_follow_up"): CONTRIBUTOR_POST,  # an empty form: the meeting page says what is missing
    ("POST", "meetings.follow_up_done"): CONTRIBUTOR_POST,
    ("GET", "meetings.calendar"): READER,
    ("GET", "meetings.feed"): EVERYONE_200,  # the token in the address is the only key
    ("GET", "meetings.account_calendar"): ACCOUNT,
    ("POST", "meetings.account_calendar"): (LOGIN,) + (OK_REDIRECT,) * 6,
    ("POST", "meetings.regenerate_feed"): (LOGIN,) + (OK_REDIRECT,) * 6,
    ("POST", "meetings.revoke_feed"): (LOGIN,) + (OK_REDIRECT,) * 6,
    ("POST", "api.create_poll"): CONTRIBUTOR_INVALID,
    ("GET", "api.get_poll"): READER,
    ("PUT", "api.answer_poll"): CONTRIBUTOR_INVALID,
    ("POST", "api.finalize_poll"): CONTRIBUTOR_INVALID,
    ("GET", "api.get_meeting"): READER,
    ("GET", "api.meeting_ics"): READER,
    ("GET", "api.community_calendar"): READER,
    ("GET", "api.calendar_feed"): (401, 200, 200, 200, 200, 200, 200),
    # Notes: the member owns a note shared with the whole community; only its owner shares, attaches
    # or deletes it; the guest and the observer read it; a community template for the facilitator.
    ("GET", "notes.mine"): ACCOUNT,
    ("GET", "notes.community"): READER,
    ("GET", "notes.new"): CONTRIBUTOR_GET,
    ("POST", "notes.new"): CONTRIBUTOR_INVALID,
    ("GET", "notes.show"): READER,
    ("GET", "notes.edit"): CONTRIBUTOR_GET,
    ("POST", "notes.edit"): CONTRIBUTOR_INVALID,
    ("GET", "notes.share"): NOTE_OWNER_GET,
    ("POST", "notes.share"): NOTE_OWNER_INVALID,
    ("GET", "notes.attach"): NOTE_OWNER_GET,
    ("POST", "notes.attach"): NOTE_OWNER_POST,  # nothing chosen: detached
    ("POST", "notes.delete"): NOTE_OWNER_POST,
    ("GET", "notes.history"): READER,
    ("GET", "notes.revision"): READER,
    ("POST", "notes.restore"): CONTRIBUTOR_POST,
    ("GET", "notes.export"): READER,
    ("GET", "notes.print_view"): READER,
    ("GET", "notes.templates"): MANAGE_GET,
    ("POST", "notes.templates"): MANAGE_INVALID_POST,
    ("POST", "notes.delete_template"): MANAGE_POST,
    ("POST", "api.create_note"): CONTRIBUTOR_INVALID,
    ("GET", "api.get_note"): READER,
    ("PUT", "api.update_note"): CONTRIBUTOR_INVALID,
    ("GET", "api.note_revisions"): READER,
    ("POST", "api.share_note"): NOTE_OWNER_INVALID,
    # Discussions: the member started the thread and wrote its posts; the guest was not invited to it.
    ("GET", "discussions.index"): READER,
    ("GET", "discussions.new_thread"): CONTRIBUTOR_GET,
    ("POST", "discussions.new_thread"): CONTRIBUTOR_INVALID,
    ("GET", "discussions.categories"): MANAGE_GET,
    ("POST", "discussions.categories"): MANAGE_INVALID_POST,
    ("POST", "discussions.delete_category"): MANAGE_POST,  # no category chosen: its discussions go to the default one
    ("GET", "discussions.edit_category"): MANAGE_GET,
    ("POST", "discussions.edit_category"): MANAGE_INVALID_POST,
    ("POST", "discussions.move_category"): MANAGE_POST,  # no direction: the categories page says so
    ("GET", "discussions.tags"): MANAGE_GET,
    ("POST", "discussions.rename_tag"): MANAGE_INVALID_POST,
    ("POST", "discussions.delete_tag"): MANAGE_INVALID_POST,
    ("GET", "discussions.edit_thread"): RESOURCE_EDIT,  # the thread's author or a facilitator
    ("POST", "discussions.edit_thread"): RESOURCE_EDIT_POST,  # fields not sent keep their values
    ("GET", "discussions.mentions"): READER,
    ("GET", "discussions.thread"): READER,
    ("POST", "discussions.reply"): CONTRIBUTOR_INVALID,
    ("POST", "discussions.subscription"): (404, 404, 422, 422, 422, 422, 422),
    ("POST", "discussions.pin"): MANAGE_POST,
    ("POST", "discussions.lock"): MANAGE_POST,
    ("POST", "discussions.invite"): CONTRIBUTOR_INVALID,  # the thread's author or a facilitator; nobody chosen
    ("GET", "discussions.post"): (404, 404) + (OK_REDIRECT,) * 5,
    ("GET", "discussions.post_fragment"): READER,
    ("GET", "discussions.preview_image"): READER,
    ("GET", "discussions.edit_post"): RESOURCE_EDIT,
    ("POST", "discussions.edit_post"): CONTRIBUTOR_INVALID,
    ("GET", "discussions.history"): READER,
    ("POST", "discussions.delete_post"): RESOURCE_EDIT_POST,
    ("POST", "discussions.react"): CONTRIBUTOR_INVALID,  # no reaction chosen
    ("POST", "discussions.mark_answer"): CONTRIBUTOR_POST,
    ("GET", "discussions.share"): READER,
    ("POST", "discussions.share"): (404, 404, 422, 422, 422, 422, 422),
    ("GET", "notifications.index"): ACCOUNT,
    ("POST", "notifications.mark_read"): (LOGIN,) + (OK_REDIRECT,) * 6,
    ("GET", "notifications.preferences"): ACCOUNT,
    ("POST", "notifications.preferences"): ACCOUNT_POST,
    ("GET", "notifications.unsubscribe"): EVERYONE_200,  # the signed link is the only key; a GET changes nothing
    ("POST", "notifications.unsubscribe"): (400,) * 7,  # without the one-click body (List-Unsubscribe=One-Click)
    ("GET", "notifications.weekly_unsubscribe"): EVERYONE_200,  # the signed link is the only key; a GET changes nothing
    ("POST", "notifications.weekly_unsubscribe"): (400,) * 7,  # without the one-click body
    ("POST", "notifications.weekly_setting"): (LOGIN,) + (OK_REDIRECT,) * 6,
    ("POST", "api.create_thread"): CONTRIBUTOR_INVALID,
    ("GET", "api.get_thread"): READER,
    ("PATCH", "api.update_thread"): (404, 404, 403, 403, 415, 415, 415),  # a form where JSON is expected
    ("GET", "api.list_categories"): READER,
    ("POST", "api.create_post"): CONTRIBUTOR_INVALID,
    ("PUT", "api.update_post"): CONTRIBUTOR_INVALID,
    ("DELETE", "api.delete_post"): (404, 404, 403, 403, 204, 204, 204),
    ("GET", "api.list_notifications"): (401, 200, 200, 200, 200, 200, 200),
    # Administration: instance admins only (403 for everyone else, whatever their role).
    **{("GET", f"admin.{name}"): ADMIN_GET for name in ("index", "people", "community_list", "transfer", "outbox", "search_index", "storage", "audit_log", "audit_csv")},
    **{("POST", f"admin.{name}"): ADMIN_POST for name in ("set_active", "end_sessions", "set_admin", "archive", "unarchive", "retry_failed", "reindex")},
    ("POST", "admin.transfer"): ADMIN_GET[:-1] + (422,),
    ("POST", "admin.retry_email"): ADMIN_GET[:-1] + (404,),  # no such email
    **{("GET", f"api.admin_{name}"): ADMIN_API for name in ("users", "communities", "outbox", "search_check", "storage", "audit", "audit_csv")},
    ("PATCH", "api.admin_update_user"): ADMIN_API[:-1] + (415,),  # a form where JSON is expected
    ("POST", "api.admin_end_sessions"): ADMIN_API[:-1] + (204,),
    ("POST", "api.admin_archive"): ADMIN_API[:-1] + (409,),  # already archived by admin.archive, just before
    ("POST", "api.admin_unarchive"): ADMIN_API[:-1] + (409,),  # not archived
    ("POST", "api.admin_transfer"): ADMIN_API[:-1] + (422,),
    ("POST", "api.admin_retry_email"): ADMIN_API[:-1] + (404,),
    ("POST", "api.admin_retry_failed"): ADMIN_API,
    ("POST", "api.admin_search_reindex"): ADMIN_API,
}


@pytest.fixture
def world(app, factory):
    """A private community with one person of each role, plus an outsider and an admin."""
    from hub.accounts.models import ApiToken, User
    from hub.communities.models import Invitation, JoinRequest, Membership
    from hub.extensions import db
    from hub.timeutil import utcnow

    people = {role: factory.user(f"{role.title()} Test") for role in ROLES[1:]}
    emails = {role: email for role, (_id, email) in people.items()}
    slug = factory.community(emails["facilitator"], "Communauté privée")
    for role in ("observer", "guest", "member"):
        factory.add_member(slug, emails[role], role)
    _tid, target_email = factory.user("Cible Un")
    _tid2, target2_email = factory.user("Cible Deux")
    api_removal_user, target3_email = factory.user("Cible Trois")
    factory.add_member(slug, target_email)
    factory.add_member(slug, target2_email)
    factory.add_member(slug, target3_email)
    _rid, requester_email = factory.user("Demande Adhésion")
    with app.app_context():
        admin = db.session.get(User, people["admin"][0])
        admin.is_admin = True
        community = db.session.execute(sa.select(Membership).join(User).where(User.email == target_email)).scalar_one().community
        member = db.session.get(User, people["member"][0])
        member.avatar_file, member.avatar_type = None, None
        from hub.accounts import service

        with app.test_request_context():
            service.set_avatar(member, io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\0" * 64))
        token, _raw = ApiToken.issue(member, "walk")
        raw_invitation, token_hash = Invitation.new_token()
        invitation = Invitation(community=community, email="someone@exemple.ca", role="member", token_hash=token_hash, expires_at=utcnow() + timedelta(days=3))
        raw_to_accept, accept_hash = Invitation.new_token()
        db.session.add(Invitation(community=community, email="other@exemple.ca", role="member", token_hash=accept_hash, expires_at=utcnow() + timedelta(days=3)))
        requester = db.session.execute(sa.select(User).where(User.email == requester_email)).scalar_one()
        join_request = JoinRequest(community=community, user=requester)
        db.session.add_all([invitation, join_request])
        db.session.commit()
        target = db.session.execute(sa.select(Membership).join(User).where(User.email == target_email)).scalar_one()
        target2 = db.session.execute(sa.select(Membership).join(User).where(User.email == target2_email)).scalar_one()
        args = {
            "slug": slug, "token": raw_invitation, "token_id": token.id, "user_id": member.id,
            "membership_id": target.id, "invitation_id": invitation.id, "request_id": join_request.id,
        }
        removal_target = target2.id
        from werkzeug.datastructures import FileStorage

        from hub.resources import service as resources
        from hub.resources.models import Theme

        theme = Theme(community_id=community.id, name="Habitation")
        db.session.add(theme)
        with app.test_request_context():
            documents = [
                resources.create(community, member, {"title": title, "type": "report", "language": "fr"},
                                 file=FileStorage(io.BytesIO("Rapport annuel, économie sociale.".encode()), "rapport.txt"))
                for title in ("Rapport", "Rapport à supprimer par l'API")
            ]
        db.session.commit()
        args.update(resource_id=documents[0].id, number=1, theme_id=theme.id)
        api_deletion = documents[1].id
        args.update(_meetings_world(app, community, member))
        args.update(_notes_world(app, community, member, args["meeting_id"]))
        args.update(_discussions_world(app, community, member))
    tokens = {role: factory.token(email) for role, email in emails.items()}
    return {"emails": emails, "args": args, "tokens": tokens, "removal_target": removal_target, "api_removal_user": api_removal_user, "accept_token": raw_to_accept, "api_deletion": api_deletion}


def _meetings_world(app, community, member):
    """A poll for the whole community with one guest link, and a weekly meeting with an agenda
    topic and a follow-up, both organised by the member."""
    from zoneinfo import ZoneInfo

    from hub.extensions import db
    from hub.meetings import service as meetings
    from hub.timeutil import utcnow

    start = (utcnow() + timedelta(days=7)).astimezone(ZoneInfo("America/Toronto")).replace(hour=10, minute=0, second=0, microsecond=0)
    with app.test_request_context():
        poll, links = meetings.create_poll(
            community, member, title="Sondage", duration_minutes=60, tz_name="America/Toronto",
            slots=[(start, start + timedelta(hours=1)), (start + timedelta(days=1), start + timedelta(days=1, hours=1))],
            guest_emails=["guest.poll@exemple.ca"],
        )
        meeting = meetings.create_meeting(
            community, member, title="Rencontre mensuelle", start=start, end=start + timedelta(hours=1),
            tz_name="America/Toronto", rrule="FREQ=WEEKLY",
        )
        item = meetings.propose_topic(meeting, member, "Habitation communautaire")
        follow_up = meetings.add_follow_up(meeting, member, "Envoyer le règlement")
        db.session.commit()
        guest_invitee = next(i for i in poll.invitees if i.email)
        feed = meetings.feed_for(member)
        db.session.commit()
        return {
            "poll_id": poll.id, "invitee_id": guest_invitee.id, "meeting_id": meeting.id, "item_id": item.id,
            "follow_up_id": follow_up.id, "key": start.astimezone(ZoneInfo("UTC")).strftime("%Y%m%dT%H%M%SZ"),
            "guest_poll_token": links["guest.poll@exemple.ca"], "feed_token": meetings.feed_url(feed).rsplit("/", 1)[1][:-4],
        }


def _notes_world(app, community, member, meeting_id):
    """A note of the member's, shared with the whole community and attached to the meeting, and a
    community template."""
    from hub.extensions import db
    from hub.notes import service as notes

    with app.test_request_context():
        note = notes.create_note(community, member, title="Compte rendu", body="Présents : tous", visibility="community",
                                 attachment=("meeting", meeting_id))
        template = notes.add_template(community, member, "Fiche projet", "## Budget")
        db.session.commit()
        return {"note_id": note.id, "template_id": template.id}


def _discussions_world(app, community, member):
    """A thread started by the member with two posts (one for the API to delete), a link preview card
    with its image on the first, a second category, and a signed unsubscribe link."""
    from PIL import Image

    from hub.discussions import images, previews
    from hub.discussions import service as discussions
    from hub.discussions.models import PostAttachment
    from hub.extensions import db
    from hub.notifications import service as notifications
    from hub.notifications import weekly

    with app.test_request_context():
        thread, post = discussions.create_thread(community, member, "Habitation communautaire", "Qui a un règlement ?")
        second = discussions.reply(thread, member, "Un exemple à Lévis.")
        category = discussions.add_category(community, "Financement")
        png = io.BytesIO()
        Image.new("RGB", (8, 6), (30, 120, 90)).save(png, "PNG")
        image = previews.check_image(png.getvalue())
        card = PostAttachment(post_id=post.id, kind="link", url="https://exemple.ca/fiche", title="Fiche", image_sha256=images.store(image),
                              image_type=image.mimetype, image_width=image.width, image_height=image.height)
        db.session.add(card)
        db.session.commit()
        return {
            "thread_id": thread.id, "post_id": post.id, "api_post_deletion": second.id, "category_id": category.id,
            "attachment_id": card.id,
            "unsubscribe_token": notifications.unsubscribe_token(member.id, community.id),
            "weekly_unsubscribe_token": weekly.unsubscribe_token(member.id),
        }


def _url(app, endpoint, rule, args, world):
    values = {name: args[name] for name in rule.arguments if name in args}
    if endpoint in ("accounts.reset_password", "accounts.confirm_email", "accounts.confirm_registration"):
        values["token"] = "not-a-valid-token"
    if endpoint == "communities.decide_request":
        values["decision"] = "decline"
    if endpoint == "communities.remove_member":
        values["membership_id"] = world["removal_target"]
    if endpoint == "api.remove_member":
        values["user_id"] = world["api_removal_user"]
    if endpoint == "api.delete_resource":
        values["resource_id"] = world["api_deletion"]
    if endpoint == "communities.invitation":
        values["token"] = world["accept_token"]
    if endpoint == "api.accept_invitation":
        values["token"] = "unknown-token"
    if endpoint == "meetings.guest_poll":
        values["token"] = args["guest_poll_token"]
    if endpoint == "meetings.feed":
        values["token"] = args["feed_token"]
    if endpoint == "notifications.unsubscribe":
        values["token"] = args["unsubscribe_token"]
    if endpoint == "notifications.weekly_unsubscribe":
        values["token"] = args["weekly_unsubscribe_token"]
    if endpoint in ("admin.retry_email", "api.admin_retry_email"):
        values["email_id"] = 999999
    if endpoint == "api.delete_post":
        values["post_id"] = args["api_post_deletion"]
    if endpoint in ("moderation.flag", "moderation.act", "api.moderate"):
        values.update(kind="post", object_id=args["post_id"])
    if endpoint in ("moderation.act", "api.moderate"):
        values["action"] = "restore"
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **values)


def _outcome(response):
    if response.status_code in (301, 302, 303):
        return LOGIN if "/login" in response.headers["Location"] else OK_REDIRECT
    return response.status_code


def test_every_route_has_an_expectation(app):
    routes = {(m, r.endpoint) for r in app.url_map.iter_rules() if r.endpoint != "static" for m in r.methods - {"HEAD", "OPTIONS"}}
    assert routes - set(EXPECTED) == set(), "routes without an access expectation"
    assert set(EXPECTED) - routes == set(), "expectations for routes that no longer exist"


@pytest.mark.parametrize("role", ROLES)
def test_route_walk(app, world, role):
    client = app.test_client()
    headers = {}
    if role != "anonymous":
        login(client, world["emails"][role])
    failures = []
    rules = sorted((r for r in app.url_map.iter_rules() if r.endpoint != "static"), key=lambda r: (LAST.index(r.endpoint) if r.endpoint in LAST else -1, r.endpoint))
    for rule in rules:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            expected = EXPECTED[(method, rule.endpoint)][ROLES.index(role)]
            url = _url(app, rule.endpoint, rule, world["args"], world)
            if rule.endpoint.startswith("api.") and role != "anonymous":
                headers = {"Authorization": f"Bearer {world['tokens'][role]}"}
            else:
                headers = {}
            kwargs = {"json": {}} if rule.endpoint.startswith("api.") and method in ("POST", "PUT") else {"data": {"role": "observer"}}
            response = client.open(url, method=method, headers=headers, **kwargs)
            got = _outcome(response)
            if got != expected:
                failures.append(f"{method} {url} ({rule.endpoint}): expected {expected}, got {got}")
    assert not failures, f"as {role}:\n" + "\n".join(failures)


def test_expired_guest_loses_access(app, factory):
    from hub.timeutil import utcnow

    _fid, facilitator = factory.user()
    _gid, guest = factory.user()
    slug = factory.community(facilitator)
    factory.add_member(slug, guest, "guest", expires_at=utcnow() - timedelta(minutes=1))
    client = app.test_client()
    login(client, guest)
    assert client.get(f"/c/{slug}").status_code == 404


def test_listed_and_public_showcases(app, factory):
    _fid, facilitator = factory.user()
    _oid, outsider = factory.user()
    listed = factory.community(facilitator, "Liste", visibility="listed")
    public = factory.community(facilitator, "Vitrine", visibility="public")
    anonymous = app.test_client()
    assert anonymous.get(f"/c/{public}").status_code == 200
    assert anonymous.get(f"/c/{listed}").status_code == 404
    client = app.test_client()
    login(client, outsider)
    page = client.get(f"/c/{listed}")
    assert page.status_code == 200 and b'data-testid="showcase"' in page.data
    assert client.get(f"/c/{listed}/members").status_code == 403
