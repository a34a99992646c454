"""The cast of tests/discussions (a facilitator, two members — Karim reads English —, a guest, an
observer, an outsider) and helpers acting as one of them through the services."""
from contextlib import contextmanager
from datetime import timedelta

import pytest

from tests.conftest import auth  # noqa: F401
from tests.discussions.conftest import cast, post_reply, signed_in, start_thread  # noqa: F401


@contextmanager
def acting(app, cast, who):
    """A request by ``who`` (signed in), committed at the end: yields (user, community)."""
    from flask_login import login_user

    from hub.accounts.models import User
    from hub.communities import service as communities
    from hub.extensions import db

    with app.test_request_context("/"):
        user = db.session.get(User, cast.ids[who])
        login_user(user)
        yield user, communities.by_slug(cast.slug)
        db.session.commit()


def feed(client, cast, who, url="/api/v1/me/activity", **params):
    response = client.get(url, query_string=params, headers=auth(cast, who))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def actions(data):
    return [(item["kind"], item["action"]) for item in data["items"]]


def make_meeting(app, cast, who="julie", title="Rencontre de décembre", days=7):
    from hub.meetings import service as meetings
    from hub.timeutil import utcnow

    with acting(app, cast, who) as (user, community):
        start = (utcnow() + timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
        meeting = meetings.create_meeting(community, user, title=title, start=start, end=start + timedelta(hours=1), tz_name="America/Toronto")
        return meeting.id


def make_resource(app, cast, who="julie", title="Guide d’approvisionnement responsable"):
    from hub.resources import service as resources

    with acting(app, cast, who) as (user, community):
        return resources.create(community, user, {"title": title, "type": "tool", "language": "fr"}, url="https://exemple.ca/guide").id


def make_note(app, cast, who="julie", title="Notes de lecture", visibility="community", members=()):
    from hub.notes import service as notes

    with acting(app, cast, who) as (user, community):
        return notes.create_note(community, user, title=title, body="Texte", visibility=visibility,
                                 member_ids=[cast.ids[m] for m in members]).id


def make_poll(app, cast, who="julie", title="Rencontre de janvier", invite_all=True, invitees=()):
    from hub.meetings import service as meetings
    from hub.timeutil import utcnow

    with acting(app, cast, who) as (user, community):
        start = (utcnow() + timedelta(days=10)).replace(minute=0, second=0, microsecond=0)
        poll, _links = meetings.create_poll(community, user, title=title, duration_minutes=60, tz_name="America/Toronto",
                                            slots=[(start, start + timedelta(hours=1)), (start + timedelta(days=1), start + timedelta(days=1, hours=1))],
                                            invite_all=invite_all, user_ids=[cast.ids[m] for m in invitees])
        return poll.id


@pytest.fixture
def every_action(app, client, cast):
    """One of each action the feed tells, in order; returns the ids."""
    from hub.communities import service as communities
    from hub.extensions import db
    from hub.meetings import service as meetings
    from hub.meetings.models import FollowUp, Meeting, Poll

    ids = {}
    ids["thread"] = start_thread(client, cast)
    post_reply(client, cast, ids["thread"], "Montréal en a une depuis 2019.")
    ids["resource"] = make_resource(app, cast)
    with acting(app, cast, "julie") as (user, _community):
        from io import BytesIO

        from werkzeug.datastructures import FileStorage

        from hub.resources import service as resources

        file_resource = resources.create(_community, user, {"title": "Règlement type", "type": "tool", "language": "fr"},
                                         file=FileStorage(BytesIO(b"Version 1"), "reglement.txt"))
        db.session.flush()
        resources.add_version(file_resource, user, FileStorage(BytesIO(b"Version 2"), "reglement.txt"))
    ids["poll"] = make_poll(app, cast)
    with acting(app, cast, "julie"):
        poll = db.session.get(Poll, ids["poll"])
        meetings.finalize(poll, poll.organizer, poll.slots[0])
    ids["meeting"] = make_meeting(app, cast)
    with acting(app, cast, "facilitator"):
        meeting = db.session.get(Meeting, ids["meeting"])
        meetings.update_meeting(meeting, title=meeting.title, start=meeting.start + timedelta(hours=2), end=meeting.end + timedelta(hours=2),
                                tz_name=meeting.timezone, description="", location="", remote_url="", rrule="")
    cancelled = make_meeting(app, cast, title="Rencontre annulée", days=8)
    with acting(app, cast, "facilitator"):
        meetings.cancel_meeting(db.session.get(Meeting, cancelled))
    ids["note"] = make_note(app, cast)
    with acting(app, cast, "julie") as (user, _community):
        meeting = db.session.get(Meeting, ids["meeting"])
        ids["agenda"] = meetings.propose_topic(meeting, user, "Bilan des achats responsables").id
        ids["followup"] = meetings.add_follow_up(meeting, user, "Envoyer le gabarit de politique").id
    with acting(app, cast, "karim"):
        meetings.toggle_follow_up(db.session.get(FollowUp, ids["followup"]))
    with acting(app, cast, "outsider") as (user, community):
        from hub.communities.models import JoinRequest

        community.visibility = "listed"
        join = communities.request_to_join(community, user, "Bonjour")
        db.session.flush()
        ids["join"] = join.id
    with acting(app, cast, "facilitator") as (user, _community):
        communities.decide(db.session.get(JoinRequest, ids["join"]), user, True)
    return ids
