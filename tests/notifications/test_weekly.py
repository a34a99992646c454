"""The weekly email "This week in your communities": what it gathers (only what the person may read),
skipped when empty, in the person's language and zone, and its one-click unsubscribe."""
import re
from datetime import timedelta

import sqlalchemy as sa

from tests.attention.conftest import auth, cast, signed_in  # noqa: F401  (cast is a fixture)
from tests.meetings.conftest import create_poll, future


def _emails(app, subject_start):
    from hub.extensions import db
    from hub.notifications.models import OutgoingEmail

    with app.app_context():
        return [{"to": m.recipient, "subject": m.subject, "body": m.body_text, "headers": m.headers or {}}
                for m in db.session.execute(sa.select(OutgoingEmail).order_by(OutgoingEmail.id)).scalars()
                if m.subject.startswith(subject_start)]


def _run(app, days=0):
    from hub.notifications import weekly
    from hub.timeutil import utcnow

    with app.app_context():
        return weekly.run_weekly(app, now=utcnow() + timedelta(days=days))


def test_the_week_starts_then_the_email_gathers_what_each_may_read(app, client, cast):
    assert _run(app) == 0, "the first pass starts everyone's week"
    assert _run(app, 2) == 0, "not a week yet"
    response = client.post(f"/api/v1/communities/{cast.slug}/threads", json={"title": "Clauses sociales", "body": "Vos exemples ?"},
                           headers=auth(cast, "julie"))
    assert response.status_code == 201
    poll = create_poll(client, cast, who="facilitator", title="Comité habitation").get_json()
    assert "id" in poll
    queued = _run(app, 7.01)
    french = {m["to"]: m for m in _emails(app, "Cette semaine dans vos communautés")}
    english = {m["to"]: m for m in _emails(app, "This week in your communities")}
    assert set(french) | set(english) == {cast.emails[w] for w in ("facilitator", "julie", "karim", "guest", "observer")}
    assert queued == 5 and cast.emails["outsider"] not in french and set(english) == {cast.emails["karim"]}
    julie = french[cast.emails["julie"]]["body"]
    assert "Discussions avec de nouveaux messages" in julie and "Clauses sociales" in julie
    assert "Sondages qui attendent votre réponse" in julie and "Comité habitation" in julie
    karim = english[cast.emails["karim"]]["body"]
    assert "Polls awaiting your answer" in karim and "Comité habitation" in karim
    # The organiser has no poll to answer; the observer may not answer it.
    assert "Comité habitation" not in french[cast.emails["facilitator"]]["body"]
    assert "Comité habitation" not in french[cast.emails["observer"]]["body"]
    headers = french[cast.emails["julie"]]["headers"]
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" and headers["Auto-Submitted"] == "auto-generated"
    # A week later with nothing new (the poll still waits for Julie): only those with something to read get one.
    assert client.put(f"/api/v1/polls/{poll['id']}/answers", json={"answers": {str(poll['slots'][0]['id']): "yes"}},
                      headers=auth(cast, "julie")).status_code == 200
    before = len(_emails(app, "Cette semaine")) + len(_emails(app, "This week"))
    _run(app, 14.02)
    after = _emails(app, "Cette semaine") + _emails(app, "This week")
    assert sorted(m["to"] for m in after[before:]) == [cast.emails["karim"]], "skipped when empty"


def test_meetings_in_the_person_s_zone_and_follow_ups_due(app, client, cast):
    from hub.extensions import db
    from hub.accounts.models import User

    with app.app_context():
        db.session.get(User, cast.ids["karim"]).timezone = "Europe/Paris"
        db.session.commit()
    poll = create_poll(client, cast, who="facilitator", slots=[future(30, 10)]).get_json()
    _run(app)
    from hub.meetings.models import Meeting, Poll
    from hub.timeutil import utcnow

    slot = poll["slots"][0]["id"]
    meeting_id = client.post(f"/api/v1/polls/{poll['id']}/finalize", json={"slot_id": slot}, headers=auth(cast, "facilitator")).get_json()["meeting_id"]
    sophie = signed_in(app, cast, "facilitator")
    assert sophie.post(f"/meetings/{meeting_id}/follow-ups", data={"what": "Envoyer le gabarit", "who": "Karim Benali",
                                                                     "due": (utcnow() + timedelta(days=9)).date().isoformat()}).status_code == 302
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        start = utcnow().replace(microsecond=0) + timedelta(days=10)
        meeting.start, meeting.end = start.replace(hour=14, minute=0, second=0), start.replace(hour=15, minute=0, second=0)
        db.session.get(Poll, poll["id"])
        db.session.commit()
    _run(app, 7.01)
    (mail,) = [m for m in _emails(app, "This week") if m["to"] == cast.emails["karim"]]
    assert "Meetings in the coming week" in mail["body"] and re.search(r"3:00\sPM", mail["body"]), mail["body"]  # 14:00 UTC, in Paris in winter
    assert "Your follow-ups due" in mail["body"] and "Envoyer le gabarit" in mail["body"]
    (french,) = [m for m in _emails(app, "Cette semaine") if m["to"] == cast.emails["julie"]]
    assert "Rencontres de la semaine à venir" in french["body"] and " h " in french["body"] and "Envoyer le gabarit" not in french["body"]


def test_one_click_unsubscribe_and_the_setting(app, client, cast):
    from hub.notifications import weekly

    with app.app_context():
        token = weekly.unsubscribe_token(cast.ids["julie"])
    page = client.get(f"/notifications/weekly/unsubscribe/{token}")
    assert page.status_code == 200 and b"unsubscribe-confirm" in page.data
    assert client.post(f"/notifications/weekly/unsubscribe/{token}").status_code == 400
    done = client.post(f"/notifications/weekly/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and b'data-testid="unsubscribed"' in done.data
    assert client.get("/notifications/weekly/unsubscribe/not-a-token").status_code == 404
    _run(app)
    client.post(f"/api/v1/communities/{cast.slug}/threads", json={"title": "Clauses sociales", "body": "Vos exemples ?"}, headers=auth(cast, "karim"))
    _run(app, 7.01)
    assert cast.emails["julie"] not in [m["to"] for m in _emails(app, "Cette semaine")]
    julie = signed_in(app, cast, "julie")
    settings = julie.get("/account/notifications").get_data(as_text=True)
    assert "Courriel hebdomadaire" in settings and "Vous ne le recevez pas." in settings
    assert julie.post("/account/notifications/weekly", data={"weekly": "1"}).status_code == 302
    assert "Vous le recevez." in julie.get("/account/notifications").get_data(as_text=True)
