"""What needs me ("To do"): each kind of item appears for the right person, on the personal home, the
community overview, the header count and the API, and leaves as soon as it is done, live on open pages."""
import re

import sqlalchemy as sa

from tests.api.spec import assert_matches_spec
from tests.attention.conftest import attention, auth, events, signed_in, socket_for
from tests.meetings.conftest import create_poll


def _header_count(page):
    match = re.search(r'data-attention-badge(?: hidden)?><span data-attention-count>(\d+)</span>', page)
    assert match, "the header shows the count"
    return int(match.group(1))


def test_a_poll_appears_for_those_invited_and_leaves_once_answered(app, client, cast):
    poll = create_poll(client, cast, who="facilitator", deadline=None).get_json()
    assert "id" in poll, poll
    julie = signed_in(app, cast, "julie")
    home = julie.get("/").get_data(as_text=True)
    assert 'data-attention-key="poll-%d"' % poll["id"] in home and _header_count(home) == 1
    assert "Rencontre sur l&#39;approvisionnement responsable" in home or "Rencontre sur l'approvisionnement responsable" in home
    overview = julie.get(f"/c/{cast.slug}").get_data(as_text=True)
    assert 'data-attention-key="poll-%d"' % poll["id"] in overview
    data = assert_matches_spec(client.get("/api/v1/me/attention", headers=auth(cast, "julie")), "get", "/me/attention")
    assert [(i["kind"], i["id"], i["community"]) for i in data["items"]] == [("poll", poll["id"], cast.slug)]
    assert data["items"][0]["url"].endswith(f"/polls/{poll['id']}")
    # The organiser, the observer (who may not answer), the guest (not invited by name) and the outsider have nothing.
    for who in ("facilitator", "observer", "guest", "outsider"):
        assert attention(client, cast, who) == [], who

    sock = socket_for(app, cast, "julie")
    slot = poll["slots"][0]["id"]
    answered = client.put(f"/api/v1/polls/{poll['id']}/answers", json={"answers": {str(slot): "yes"}}, headers=auth(cast, "julie"))
    assert answered.status_code == 200
    assert events(sock, "attention") == [{"remove": [f"poll-{poll['id']}"], "count": 0}]
    assert attention(client, cast, "julie") == []
    home = julie.get("/").get_data(as_text=True)
    assert 'data-attention-key="poll-' not in home and _header_count(home) == 0
    # The community overview kept for Julie is not served again with the old list (hub/pagecache.py).
    overview = julie.get(f"/c/{cast.slug}").get_data(as_text=True)
    assert 'data-attention-key="poll-' not in overview and _header_count(overview) == 0


def test_a_poll_leaves_everyone_s_list_when_decided(app, client, cast):
    poll = create_poll(client, cast, who="facilitator").get_json()
    karim = signed_in(app, cast, "karim")
    assert _header_count(karim.get(f"/c/{cast.slug}").get_data(as_text=True)) == 1
    sock = socket_for(app, cast, "karim")
    slot = poll["slots"][0]["id"]
    assert client.post(f"/api/v1/polls/{poll['id']}/finalize", json={"slot_id": slot}, headers=auth(cast, "facilitator")).status_code == 201
    assert {"remove": [f"poll-{poll['id']}"], "count": 0} in events(sock, "attention")
    assert attention(client, cast, "karim") == []
    assert _header_count(karim.get(f"/c/{cast.slug}").get_data(as_text=True)) == 0


def test_unread_mentions_until_the_thread_is_read(app, client, cast):
    response = client.post(f"/api/v1/communities/{cast.slug}/threads", json={"title": "Clauses sociales", "body": "Un avis, @karim-benali ?"},
                           headers=auth(cast, "julie"))
    thread_id = response.get_json()["id"]
    assert [(i["kind"], i["id"]) for i in attention(client, cast, "karim")] == [("mention", thread_id)]
    assert attention(client, cast, "julie") == []
    karim = signed_in(app, cast, "karim")
    sock = socket_for(app, cast, "karim")
    karim.get(f"/threads/{thread_id}")
    assert events(sock, "attention") == [{"remove": [f"mention-{thread_id}"], "count": 0}]
    assert attention(client, cast, "karim") == []


def test_follow_ups_assigned_by_name_until_done(app, client, cast):
    from hub.extensions import db
    from hub.meetings.models import FollowUp

    poll = create_poll(client, cast, who="facilitator").get_json()
    meeting_id = client.post(f"/api/v1/polls/{poll['id']}/finalize", json={"slot_id": poll["slots"][0]["id"]},
                             headers=auth(cast, "facilitator")).get_json()["meeting_id"]
    sophie = signed_in(app, cast, "facilitator")
    assert sophie.post(f"/meetings/{meeting_id}/follow-ups", data={"what": "Partager le gabarit", "who": "julie roy", "due": "2027-01-15"}).status_code == 302
    assert sophie.post(f"/meetings/{meeting_id}/follow-ups", data={"what": "Écrire au TIESS", "who": "Roy"}).status_code == 302  # names nobody exactly
    items = attention(client, cast, "julie")
    assert [(i["kind"], i["title"], i["due_at"]) for i in items] == [("follow_up", "Partager le gabarit", "2027-01-15")]
    with app.app_context():
        item = db.session.execute(sa.select(FollowUp).where(FollowUp.what == "Partager le gabarit")).scalar_one()
        assert item.assignee_id == cast.ids["julie"]
        item_id = item.id
    sock = socket_for(app, cast, "julie")
    assert sophie.post(f"/follow-ups/{item_id}/done").status_code == 302
    assert events(sock, "attention") == [{"remove": [f"follow_up-{item_id}"], "count": 0}]
    assert attention(client, cast, "julie") == []


def test_join_requests_for_facilitators_and_invitations_for_the_invited(app, client, cast, factory):
    from hub.extensions import db
    from hub.communities.models import JoinRequest

    _id, newcomer = factory.user("Gaëlle Fortin")
    public = factory.community(cast.emails["facilitator"], "CP Parcs", visibility="listed")
    person = app.test_client()
    from tests.conftest import login

    login(person, newcomer)
    assert person.post(f"/c/{public}/join", data={"message": "Bonjour"}).status_code == 302
    items = attention(client, cast, "facilitator")
    assert [(i["kind"], i["title"], i["community"]) for i in items] == [("join_request", "Gaëlle Fortin", public)]
    assert attention(client, cast, "julie") == []
    sophie = signed_in(app, cast, "facilitator")
    with app.app_context():
        request_id = db.session.execute(sa.select(JoinRequest.id)).scalar_one()
    sock = socket_for(app, cast, "facilitator")
    assert sophie.post(f"/c/{public}/requests/{request_id}/approve").status_code == 302
    assert {"remove": [f"join_request-{request_id}"], "count": 0} in events(sock, "attention")
    assert attention(client, cast, "facilitator") == []

    assert sophie.post(f"/c/{public}/invitations", data={"email": cast.emails["outsider"], "role": "member"}).status_code in (200, 302)
    items = attention(client, cast, "outsider")
    assert [(i["kind"], i["community"]) for i in items] == [("invitation", public)]


def test_a_note_shared_by_name_until_opened(app, client, cast):
    response = client.post(f"/api/v1/communities/{cast.slug}/notes", json={
        "title": "Compte rendu", "body": "Voir @julie-roy", "visibility": "members", "members": [cast.ids["karim"]],
    }, headers=auth(cast, "julie"))
    assert response.status_code == 201, response.get_data(as_text=True)
    note_id = response.get_json()["id"]
    assert [(i["kind"], i["id"]) for i in attention(client, cast, "karim")] == [("note", note_id)]
    assert attention(client, cast, "facilitator") == [], "not shared with her"
    karim = signed_in(app, cast, "karim")
    sock = socket_for(app, cast, "karim")
    assert karim.get(f"/notes/{note_id}").status_code == 200
    assert events(sock, "attention") == [{"remove": [f"note-{note_id}"], "count": 0}]
    assert attention(client, cast, "karim") == []


def test_pages_in_both_languages_without_javascript(app, client, cast):
    create_poll(client, cast, who="facilitator")
    julie = signed_in(app, cast, "julie")
    page = julie.get("/").get_data(as_text=True)
    assert "À faire" in page and "Sondage à répondre" in page
    julie.post("/language", data={"lang": "en"})
    page = julie.get("/").get_data(as_text=True)
    assert "To do" in page and "Poll to answer" in page
    outsider = signed_in(app, cast, "outsider")
    assert "Rien ne vous attend" in outsider.get("/").get_data(as_text=True)
    assert client.get("/api/v1/me/attention").status_code == 401
