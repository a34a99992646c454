"""Notices: each event of polls, meetings, follow-ups, notes, join requests and followed themes is
notified to the right people only (never to those who cannot read the object), in the hub and by email
in each person's language; texts read references and mentions as titles and names."""
import io
from datetime import timedelta

import sqlalchemy as sa

from tests.attention.conftest import auth, cast, signed_in  # noqa: F401  (cast is a fixture)
from tests.meetings.conftest import create_poll, future


def _notices(app, event=None):
    """{(event, user_id)} of the notifications written, with their rows."""
    from hub.extensions import db
    from hub.notifications.models import Notification

    with app.app_context():
        query = sa.select(Notification).order_by(Notification.id)
        if event:
            query = query.where(Notification.event == event)
        return [
            {"event": n.event, "user": n.user_id, "title": n.title, "excerpt": n.excerpt, "url": n.url, "emailed": n.emailed_at is not None}
            for n in db.session.execute(query).scalars()
        ]


def _who(app, event, cast):
    names = {uid: name for name, uid in cast.ids.items()}
    return sorted(names[n["user"]] for n in _notices(app, event))


def _emails(app):
    from hub.extensions import db
    from hub.notifications.models import OutgoingEmail

    with app.app_context():
        return [{"to": m.recipient, "subject": m.subject, "body": m.body_text, "headers": m.headers or {}}
                for m in db.session.execute(sa.select(OutgoingEmail).order_by(OutgoingEmail.id)).scalars()]


def _finalize(client, cast, poll, who="facilitator"):
    response = client.post(f"/api/v1/polls/{poll['id']}/finalize", json={"slot_id": poll["slots"][0]["id"]}, headers=auth(cast, who))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["meeting_id"]


def test_poll_invitation_in_the_hub_for_those_who_may_answer(app, client, cast):
    before = len(_emails(app))
    poll = create_poll(client, cast, who="facilitator").get_json()
    assert _who(app, "poll_invitation", cast) == ["julie", "karim"]  # not the organiser, observer, guest or outsider
    # The invitation email is the poll's own: one per person, not a second one for the notice.
    sent = _emails(app)[before:]
    assert sorted(m["to"] for m in sent) == sorted([cast.emails["julie"], cast.emails["karim"]])
    chosen = create_poll(client, cast, who="facilitator", invitees={"community": False, "users": [cast.ids["guest"]]}).get_json()
    assert [n["user"] for n in _notices(app, "poll_invitation") if n["url"].endswith(f"/polls/{chosen['id']}")] == [cast.ids["guest"]]
    assert poll["id"] != chosen["id"]


def test_poll_reminder_once_before_the_deadline_to_those_who_have_not_answered(app, client, cast):
    from hub.extensions import db
    from hub.meetings import service
    from hub.meetings.models import Poll
    from hub.timeutil import utcnow

    poll = create_poll(client, cast, who="facilitator").get_json()
    slot = poll["slots"][0]["id"]
    assert client.put(f"/api/v1/polls/{poll['id']}/answers", json={"answers": {str(slot): "yes"}}, headers=auth(cast, "julie")).status_code == 200
    with app.test_request_context():
        assert service.queue_due_notices() == 0  # no deadline: no reminder
        db.session.get(Poll, poll["id"]).deadline = utcnow() + timedelta(hours=30)
        db.session.commit()
        assert service.queue_due_notices() == 0  # not yet: 24 h before by default
        db.session.get(Poll, poll["id"]).deadline = utcnow() + timedelta(hours=20)
        db.session.commit()
        before = len(_emails(app))
        assert service.queue_due_notices() == 1
        assert service.queue_due_notices() == 0, "once"
    assert _who(app, "poll_reminder", cast) == ["karim"]
    (mail,) = _emails(app)[before:]
    assert mail["to"] == cast.emails["karim"] and mail["subject"].startswith("Poll closing soon, your answer is awaited")
    assert "List-Unsubscribe" in mail["headers"]


def test_poll_reminder_hours_are_a_setting(app, client, cast):
    from hub.extensions import db
    from hub.meetings import service
    from hub.meetings.models import Poll
    from hub.timeutil import utcnow

    poll = create_poll(client, cast, who="facilitator").get_json()
    app.config["POLL_REMINDER_HOURS"] = 48
    with app.test_request_context():
        db.session.get(Poll, poll["id"]).deadline = utcnow() + timedelta(hours=40)
        db.session.commit()
        assert service.queue_due_notices() == 2
    app.config["POLL_REMINDER_HOURS"] = 0
    with app.test_request_context():
        assert service.queue_due_notices() == 0
    french = [m for m in _emails(app) if m["to"] == cast.emails["julie"] and "Sondage bientôt fermé" in m["subject"]]
    assert len(french) == 1 and "Rencontre sur l'approvisionnement responsable" in french[0]["body"]


def test_poll_decided_meeting_moved_and_cancelled(app, client, cast):
    poll = create_poll(client, cast, who="facilitator").get_json()
    meeting_id = _finalize(client, cast, poll)
    assert _who(app, "poll_decided", cast) == ["julie", "karim"]
    sophie = signed_in(app, cast, "facilitator")
    page = sophie.get(f"/meetings/{meeting_id}/edit")
    assert page.status_code == 200
    response = sophie.post(f"/meetings/{meeting_id}/edit", data={
        "kind": "meeting", "title": "Rencontre déplacée", "description": "", "start_date": future(9)[:10], "start_time": "13:00",
        "end_time": "14:00", "end_date": "", "timezone": "America/Toronto", "remote_url": "", "location": "", "repeat": "none",
        "repeat_until": "",
    })
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert _who(app, "meeting_moved", cast) == ["julie", "karim"]
    assert sophie.post(f"/meetings/{meeting_id}/cancel").status_code == 302
    assert _who(app, "meeting_cancelled", cast) == ["julie", "karim"]
    karim = signed_in(app, cast, "karim")
    karim.post("/language", data={"lang": "en"})
    centre = karim.get("/notifications").get_data(as_text=True)
    assert "Meeting cancelled" in centre and "Meeting changed" in centre and "Meeting scheduled" in centre
    julie = signed_in(app, cast, "julie")
    centre = julie.get("/notifications").get_data(as_text=True)
    assert "Rencontre annulée" in centre and "Rencontre modifiée" in centre and "Rencontre fixée" in centre


def test_agenda_topic_and_follow_ups(app, client, cast):
    from hub.extensions import db
    from hub.meetings import service
    from hub.meetings.models import FollowUp
    from hub.timeutil import utcnow

    meeting_id = _finalize(client, cast, create_poll(client, cast, who="facilitator").get_json())
    julie = signed_in(app, cast, "julie")
    assert julie.post(f"/meetings/{meeting_id}/agenda", data={"title": "Clauses sociales"}).status_code == 302
    assert _who(app, "agenda_topic", cast) == ["facilitator", "karim"]  # those invited, not the author, observer or outsider
    sophie = signed_in(app, cast, "facilitator")
    before = len(_emails(app))
    assert sophie.post(f"/meetings/{meeting_id}/follow-ups", data={"what": "Écrire au TIESS", "who": "@karim-benali"}).status_code == 302
    assert _who(app, "follow_up_assigned", cast) == ["karim"]
    (mail,) = _emails(app)[before:]
    assert mail["to"] == cast.emails["karim"] and mail["subject"] == "Sophie Gagnon assigned you a follow-up: Écrire au TIESS"
    with app.test_request_context():
        item = db.session.execute(sa.select(FollowUp)).scalar_one()
        item.due = (utcnow() + timedelta(days=5)).date()
        db.session.commit()
        assert service.queue_due_notices() == 0
        item.due = utcnow().date()
        db.session.commit()
        assert service.queue_due_notices() == 1
        assert service.queue_due_notices() == 0, "once"
    assert _who(app, "follow_up_due", cast) == ["karim"]


def test_note_shared_by_name_only_with_those_named(app, client, cast):
    before = len(_emails(app))
    response = client.post(f"/api/v1/communities/{cast.slug}/notes", json={
        "title": "Compte rendu", "body": "Notes de @julie-roy", "visibility": "members", "members": [cast.ids["karim"]],
    }, headers=auth(cast, "julie"))
    assert response.status_code == 201, response.get_data(as_text=True)
    assert _who(app, "note_shared", cast) == ["karim"]
    (notice,) = _notices(app, "note_shared")
    assert notice["excerpt"] == "Notes de @Julie Roy"
    (mail,) = _emails(app)[before:]
    assert mail["subject"] == "Julie Roy shared a note with you: Compte rendu" and "Notes de @Julie Roy" in mail["body"]
    note_id = response.get_json()["id"]
    assert client.post(f"/api/v1/notes/{note_id}/share", json={"visibility": "members", "members": [cast.ids["karim"], cast.ids["facilitator"]]},
                       headers=auth(cast, "julie")).status_code == 200
    assert _who(app, "note_shared", cast) == ["facilitator", "karim"], "told once, when first shared with them"
    french = [m for m in _emails(app) if m["to"] == cast.emails["facilitator"]]
    assert french[-1]["subject"] == "Julie Roy a partagé une note avec vous : Compte rendu"


def test_join_request_for_the_facilitators(app, client, cast, factory):
    from tests.conftest import login

    listed = factory.community(cast.emails["facilitator"], "CP Parcs", visibility="listed")
    factory.add_member(listed, cast.emails["julie"], "member")
    _id, newcomer = factory.user("Gaëlle Fortin")
    person = app.test_client()
    login(person, newcomer)
    assert person.post(f"/c/{listed}/join", data={"message": "Bonjour"}).status_code == 302
    assert _who(app, "join_request", cast) == ["facilitator"]
    centre = signed_in(app, cast, "facilitator").get("/notifications").get_data(as_text=True)
    assert "Demande d&#39;adhésion" in centre or "Demande d'adhésion" in centre


def _theme(app, cast, name):
    sophie = signed_in(app, cast, "facilitator")
    assert sophie.post(f"/c/{cast.slug}/themes", data={"name": name}).status_code == 302
    themes = sophie.get(f"/api/v1/communities/{cast.slug}/themes", headers=auth(cast, "facilitator")).get_json()["themes"]
    return next(t["id"] for t in themes if t["name"] == name)


def _resource(client, cast, who, title, themes=""):
    response = client.post(f"/api/v1/communities/{cast.slug}/resources", headers=auth(cast, who), content_type="multipart/form-data",
                           data={"title": title, "type": "policy", "language": "fr", "url": "https://exemple.ca/" + title[:3], "themes": themes})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["id"]


def test_new_resource_in_a_followed_theme(app, client, cast):
    from tests.api.spec import assert_matches_spec

    theme_id = _theme(app, cast, "Habitation")
    other = _theme(app, cast, "Parcs")
    follow = f"/api/v1/communities/{cast.slug}/themes/{theme_id}/follow"
    data = assert_matches_spec(client.put(follow, headers=auth(cast, "karim")), "put", "/communities/{slug}/themes/{theme_id}/follow")
    assert data == {"id": theme_id, "name": "Habitation", "following": True}
    assert client.put(follow, headers=auth(cast, "observer")).status_code == 200
    assert client.put(follow, headers=auth(cast, "outsider")).status_code == 404
    # Julie follows from the resources page, without JavaScript.
    julie = signed_in(app, cast, "julie")
    page = julie.get(f"/c/{cast.slug}/resources").get_data(as_text=True)
    assert f'data-testid="follow-theme-{theme_id}"' in page and "Suivre" in page
    assert julie.post(f"/c/{cast.slug}/themes/{theme_id}/follow", data={"follow": "1"}).status_code == 302
    assert 'aria-pressed="true" data-testid="follow-theme-%d"' % theme_id in julie.get(f"/c/{cast.slug}/resources").get_data(as_text=True)
    themes = assert_matches_spec(client.get(f"/api/v1/communities/{cast.slug}/themes", headers=auth(cast, "julie")), "get", "/communities/{slug}/themes")
    assert {t["id"]: t["following"] for t in themes["themes"]} == {theme_id: True, other: False}

    _resource(client, cast, "facilitator", "Parcs urbains", "Parcs")
    assert _notices(app, "new_resource") == []
    _resource(client, cast, "julie", "Règlement sur l'habitation", "Habitation")
    assert _who(app, "new_resource", cast) == ["karim", "observer"], "the followers who read it, not its author"
    # Stopping: no more notices; a follower who left the community is not told either.
    assert client.delete(follow, headers=auth(cast, "karim")).get_json()["following"] is False
    assert julie.post(f"/c/{cast.slug}/themes/{theme_id}/follow", data={"follow": "0"}).status_code == 302
    leaving = signed_in(app, cast, "observer")
    assert leaving.post(f"/c/{cast.slug}/leave").status_code == 302
    _resource(client, cast, "facilitator", "Habitation communautaire", "Habitation")
    assert _who(app, "new_resource", cast) == ["karim", "observer"]


def test_notices_read_references_and_mentions_as_titles_and_names(app, client, cast):
    resource_id = _resource(client, cast, "julie", "Politique d'achat responsable")
    response = client.post(f"/api/v1/communities/{cast.slug}/threads", json={
        "title": "Achats", "body": f"Voir #ressource-{resource_id} et **surtout** @karim-benali gadgetmotcle",
    }, headers=auth(cast, "julie"))
    assert response.status_code == 201
    (notice,) = _notices(app, "mention")
    assert notice["excerpt"] == "Voir Politique d'achat responsable et surtout @Karim Benali gadgetmotcle"
    mail = [m for m in _emails(app) if m["to"] == cast.emails["karim"]][-1]
    assert "#ressource-" not in mail["body"] and "Politique d'achat responsable" in mail["body"] and "**" not in mail["body"]
    found = client.get("/api/v1/search", query_string={"q": "gadgetmotcle"}, headers=auth(cast, "karim")).get_json()
    snippets = " ".join(r["snippet"] for r in found["results"])
    assert "Politique" in snippets and "#ressource" not in snippets and "karim-benali" not in snippets
