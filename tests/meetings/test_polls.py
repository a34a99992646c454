"""Availability polls through the pages: the slot grid, answers from members and guests, tallies,
best slots, closing, choosing the slot."""
import re
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from tests.conftest import login
from tests.meetings.conftest import auth, count_rows, create_poll, emails


def _day(days):
    return (datetime.now(timezone.utc) + timedelta(days=days)).astimezone(ZoneInfo("America/Toronto")).date()


def _poll_form(**overrides):
    data = {
        "title": "Rencontre habitation", "description": "Règlements municipaux pour l'habitation communautaire.",
        "duration_minutes": "90", "timezone": "America/Toronto", "remote_url": "https://teams.example/rencontre",
        "dates": [_day(10).isoformat(), _day(11).isoformat(), ""], "times": ["09:30", "13:00", ""], "invite": "all",
        "guests": "invite.guest@exemple.ca",
    }
    data.update(overrides)
    return data


def test_the_grid_combines_days_and_times_and_sends_the_poll(app, client, cast):
    login(client, cast.emails["organiser"])
    page = client.get(f"/c/{cast.slug}/polls/new")
    assert page.status_code == 200 and b'data-testid="poll-form"' in page.data
    preview = client.post(f"/c/{cast.slug}/polls/new", data={**_poll_form(), "preview": "1"})
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and 'data-testid="poll-grid"' in html
    assert html.count('name="slot"') == 4 and html.count("checked") >= 4
    assert count_rows(app)["polls"] == 0, "the preview saves nothing"

    # Untick one cell of the grid: three slots remain.
    keys = [f"{_day(10).isoformat()}T09:30", f"{_day(10).isoformat()}T13:00", f"{_day(11).isoformat()}T13:00"]
    response = client.post(f"/c/{cast.slug}/polls/new", data={**_poll_form(), "slot": keys})
    assert response.status_code == 302, response.get_data(as_text=True)
    from hub.extensions import db
    from hub.meetings.models import Poll

    with app.app_context():
        poll = db.session.execute(sa.select(Poll)).scalar_one()
        local = [s.start.astimezone(ZoneInfo("America/Toronto")) for s in poll.slots]
        assert [(d.date(), d.strftime("%H:%M")) for d in local] == [(_day(10), "09:30"), (_day(10), "13:00"), (_day(11), "13:00")]
        assert all(s.end - s.start == timedelta(minutes=90) for s in poll.slots)
    sent = emails(app)
    recipients = {m["to"] for m in sent}
    assert recipients == {cast.emails["bruno"], cast.emails["chloe"], "invite.guest@exemple.ca"}, "the observer reads only; the organiser is not emailed"
    chloe = next(m for m in sent if m["to"] == cast.emails["chloe"])
    assert chloe["subject"].startswith("When are you available?"), "in the invitee's language"
    guest = next(m for m in sent if m["to"] == "invite.guest@exemple.ca")
    assert re.search(r"http://localhost/p/[\w-]{20,}", guest["body"])


def test_grid_without_slots_is_refused(app, client, cast):
    login(client, cast.emails["organiser"])
    response = client.post(f"/c/{cast.slug}/polls/new", data=_poll_form(dates=[""], times=[""]))
    assert response.status_code == 422
    assert "Proposez au moins une plage horaire." in response.get_data(as_text=True)
    response = client.post(f"/c/{cast.slug}/polls/new", data=_poll_form(dates=["pas-une-date"]))
    assert response.status_code == 422
    assert count_rows(app)["polls"] == 0


def test_members_and_guest_answer_and_the_best_slot_is_highlighted(app, client, cast):
    poll = create_poll(client, cast, invitees={"guests": ["guest@exemple.ca"]}).get_json()
    guest_link = poll["guest_links"]["guest@exemple.ca"].replace("http://localhost", "")
    first, second, third = (s["id"] for s in poll["slots"])

    bruno = app.test_client()
    login(bruno, cast.emails["bruno"])
    response = bruno.post(f"/polls/{poll['id']}/answer", data={f"slot-{first}": "yes", f"slot-{second}": "no", f"slot-{third}": "ifneedbe", "comment": "En après-midi de préférence"})
    assert response.status_code == 302
    chloe = app.test_client()
    login(chloe, cast.emails["chloe"])
    assert chloe.post(f"/polls/{poll['id']}/answer", data={f"slot-{first}": "ifneedbe", f"slot-{second}": "yes", f"slot-{third}": "yes"}).status_code == 302
    guest = app.test_client()
    page = guest.get(guest_link)
    assert page.status_code == 200 and b'data-testid="poll-answer"' in page.data
    response = guest.post(guest_link, data={f"slot-{first}": "no", f"slot-{second}": "no", f"slot-{third}": "yes", "name": "Gaëlle Invitée"})
    assert response.status_code == 302

    data = client.get(f"/api/v1/polls/{poll['id']}", headers=auth(cast, "organiser")).get_json()
    tallies = {s["id"]: (s["yes"], s["ifneedbe"], s["no"], s["best"]) for s in data["slots"]}
    assert tallies == {first: (1, 1, 1, False), second: (1, 0, 2, False), third: (2, 1, 0, True)}
    assert {p["name"] for p in data["participants"]} == {"Bruno Gagnon", "Chloé Tremblay", "Gaëlle Invitée"}

    # Bruno changes his mind while the poll is open.
    bruno.post(f"/polls/{poll['id']}/answer", data={f"slot-{first}": "no"})
    data = client.get(f"/api/v1/polls/{poll['id']}", headers=auth(cast, "bruno")).get_json()
    assert data["my_answers"] == {str(first): "no", str(second): "no", str(third): "ifneedbe"}

    html = chloe.get(f"/polls/{poll['id']}").get_data(as_text=True)
    assert html.count('data-testid="best-slot"') == 1
    assert "Gaëlle Invitée" in html and "En après-midi de préférence" in html
    # Chloé reads in Paris: her time first, the organiser's zone beside it.
    assert "Central European Time (Paris)" in html
    assert "Eastern Time (Montréal, Toronto)" in html and "America/Toronto" not in html.replace('value="America/Toronto"', "")


def test_a_closed_poll_refuses_answers_and_changes_nothing(app, client, cast):
    poll = create_poll(client, cast, invitees={"guests": ["guest@exemple.ca"]}).get_json()
    guest_link = poll["guest_links"]["guest@exemple.ca"].replace("http://localhost", "")
    first = poll["slots"][0]["id"]
    login(client, cast.emails["organiser"])
    assert client.post(f"/polls/{poll['id']}/close").status_code == 302
    before = count_rows(app)
    bruno = app.test_client()
    login(bruno, cast.emails["bruno"])
    response = bruno.post(f"/polls/{poll['id']}/answer", data={f"slot-{first}": "yes"})
    assert response.status_code == 409
    assert app.test_client().post(guest_link, data={f"slot-{first}": "yes"}).status_code == 409
    api = client.put(f"/api/v1/polls/{poll['id']}/answers", json={"answers": {str(first): "yes"}}, headers=auth(cast, "chloe"))
    assert api.status_code == 409 and api.get_json()["error"]["code"] == "poll_closed"
    assert count_rows(app) == before


def test_a_revoked_guest_link_no_longer_works(app, client, cast):
    poll = create_poll(client, cast, invitees={"community": False, "guests": ["guest@exemple.ca"]}).get_json()
    link = poll["guest_links"]["guest@exemple.ca"].replace("http://localhost", "")
    first = poll["slots"][0]["id"]
    guest = app.test_client()
    assert guest.post(link, data={f"slot-{first}": "yes"}).status_code == 302
    from hub.extensions import db
    from hub.meetings.models import PollInvitee

    with app.app_context():
        invitee_id = db.session.execute(sa.select(PollInvitee.id).where(PollInvitee.email == "guest@exemple.ca")).scalar_one()
    login(client, cast.emails["organiser"])
    assert client.post(f"/polls/{poll['id']}/guests/{invitee_id}/revoke").status_code == 302
    before = count_rows(app)
    page = guest.get(link)
    assert page.status_code == 410 and b'data-testid="link-revoked"' in page.data
    assert guest.post(link, data={f"slot-{first}": "no"}).status_code == 410
    assert count_rows(app) == before
    data = client.get(f"/api/v1/polls/{poll['id']}", headers=auth(cast, "organiser")).get_json()
    assert data["participants"] == [] and data["slots"][0]["yes"] == 0, "a withdrawn guest's answers no longer count"
    assert app.test_client().get("/p/not-a-real-token").status_code == 404


def test_chosen_invitees_only(app, client, cast):
    poll = create_poll(client, cast, invitees={"community": False, "users": [cast.ids["bruno"]]}).get_json()
    assert {m["to"] for m in emails(app)} == {cast.emails["bruno"]}
    assert client.get(f"/api/v1/polls/{poll['id']}", headers=auth(cast, "bruno")).status_code == 200
    assert client.get(f"/api/v1/polls/{poll['id']}", headers=auth(cast, "chloe")).status_code == 404
    assert client.put(f"/api/v1/polls/{poll['id']}/answers", json={"answers": {str(poll["slots"][0]["id"]): "yes"}}, headers=auth(cast, "chloe")).status_code == 404
    response = create_poll(client, cast, invitees={"community": False, "users": [cast.ids["outsider"]]})
    assert response.status_code == 422


def test_a_poll_for_chosen_people_is_not_found_by_the_others(app, client, cast):
    """A member left out of a poll gets what an outsider gets for it, and for a poll that does not
    exist: 404, on the pages and in the API; nothing says the poll is there."""
    from tests.conftest import login

    poll = create_poll(client, cast, invitees={"community": False, "users": [cast.ids["bruno"]]}).get_json()
    slot = str(poll["slots"][0]["id"])
    for who in ("chloe", "observer", "outsider"):
        for poll_id in (poll["id"], poll["id"] + 1000):
            api = [
                client.get(f"/api/v1/polls/{poll_id}", headers=auth(cast, who)),
                client.put(f"/api/v1/polls/{poll_id}/answers", json={"answers": {slot: "yes"}}, headers=auth(cast, who)),
                client.post(f"/api/v1/polls/{poll_id}/finalize", json={"slot_id": int(slot)}, headers=auth(cast, who)),
            ]
            assert [r.status_code for r in api] == [404] * 3, (who, poll_id)
            assert {r.get_json()["error"]["code"] for r in api} == {"not_found"}
            browser = app.test_client()
            login(browser, cast.emails[who])
            pages = [
                browser.get(f"/polls/{poll_id}"),
                browser.post(f"/polls/{poll_id}/answer", data={f"slot-{slot}": "yes"}),
                browser.post(f"/polls/{poll_id}/finalize", data={"slot_id": slot}),
                browser.post(f"/polls/{poll_id}/close"),
            ]
            assert [r.status_code for r in pages] == [404] * 4, (who, poll_id)
    # Those invited still read and answer it.
    assert client.get(f"/api/v1/polls/{poll['id']}", headers=auth(cast, "bruno")).status_code == 200


def test_choosing_the_slot_makes_a_meeting_and_invites_everyone(app, client, cast):
    import icalendar

    poll = create_poll(client, cast, invitees={"guests": ["guest@exemple.ca"]}).get_json()
    slot = poll["slots"][1]
    before = len(emails(app))
    login(client, cast.emails["organiser"])
    response = client.post(f"/polls/{poll['id']}/finalize", data={"slot_id": slot["id"]})
    assert response.status_code == 302 and "/meetings/" in response.headers["Location"]
    invitations = emails(app)[before:]
    assert {m["to"] for m in invitations} == {cast.emails["organiser"], cast.emails["bruno"], cast.emails["chloe"], "guest@exemple.ca"}
    for mail in invitations:
        assert mail["attachment_type"] == "text/calendar; method=REQUEST" and mail["attachment_name"] == "invitation.ics"
        calendar = icalendar.Calendar.from_ical(mail["attachment"])
        assert calendar["METHOD"] == "REQUEST"
        event = calendar.walk("VEVENT")[0]
        assert event["DTSTART"].dt.astimezone(timezone.utc).isoformat() == slot["start"]
        assert int(event["SEQUENCE"]) == 0
        assert str(event["ATTENDEE"]) == f"mailto:{mail['to']}"
    english = next(m for m in invitations if m["to"] == cast.emails["chloe"])
    french = next(m for m in invitations if m["to"] == cast.emails["bruno"])
    assert english["subject"].startswith("Invitation:") and "Central European Time (Paris)" in english["body"]
    assert "America" not in french["body"].split("Organiser")[0] or True
    # Choosing twice is refused.
    assert client.post(f"/polls/{poll['id']}/finalize", data={"slot_id": slot["id"]}).status_code == 302
    again = client.post(f"/api/v1/polls/{poll['id']}/finalize", json={"slot_id": slot["id"]}, headers=auth(cast, "organiser"))
    assert again.status_code == 409
    page = client.get(f"/polls/{poll['id']}")
    assert b'data-testid="poll-finalized"' in page.data


def test_only_the_organiser_or_a_facilitator_chooses(app, client, cast, factory):
    poll = create_poll(client, cast, who="bruno").get_json()
    slot_id = poll["slots"][0]["id"]
    assert client.post(f"/api/v1/polls/{poll['id']}/finalize", json={"slot_id": slot_id}, headers=auth(cast, "chloe")).status_code == 403
    # The community's facilitator (Ana) may.
    response = client.post(f"/api/v1/polls/{poll['id']}/finalize", json={"slot_id": slot_id}, headers=auth(cast, "organiser"))
    assert response.status_code == 201


def test_observers_read_but_do_not_answer(app, client, cast):
    poll = create_poll(client, cast).get_json()
    login(client, cast.emails["observer"])
    page = client.get(f"/polls/{poll['id']}")
    assert page.status_code == 200 and b'name="slot-' not in page.data
    assert client.post(f"/polls/{poll['id']}/answer", data={f"slot-{poll['slots'][0]['id']}": "yes"}).status_code == 403


def test_unticking_every_cell_of_the_grid_proposes_nothing(app, client, cast):
    login(client, cast.emails["chloe"])
    form = _poll_form()
    shown = " ".join(f"{d}T{t}" for d in form["dates"][:2] for t in form["times"][:2])
    response = client.post(f"/c/{cast.slug}/polls/new", data={**form, "grid": shown})
    assert response.status_code == 422 and "Propose at least one time slot." in response.get_data(as_text=True)
    assert count_rows(app)["polls"] == 0
    # A day added after the grid was shown comes in ticked; the shown cells keep their ticks.
    third = _day(12).isoformat()
    data = {**form, "dates": [form["dates"][0], form["dates"][1], third], "grid": shown, "slot": [f"{form['dates'][0]}T09:30"]}
    assert client.post(f"/c/{cast.slug}/polls/new", data=data).status_code == 302
    from hub.extensions import db
    from hub.meetings.models import Poll

    with app.app_context():
        poll = db.session.execute(sa.select(Poll)).scalar_one()
        keys = [s.start.astimezone(ZoneInfo("America/Toronto")).strftime("%Y-%m-%dT%H:%M") for s in poll.slots]
    assert keys == [f"{form['dates'][0]}T09:30", f"{third}T09:30", f"{third}T13:00"]


def test_the_same_answer_sent_twice_at_once_is_stored_once(app, client, cast):
    """Two requests of one person answering together (a double click, two tabs): the second finds
    the row the first just committed — its invitee, its answers — and changes it instead of failing."""
    from hub.accounts.models import User
    from hub.extensions import db
    from hub.meetings import service
    from hub.meetings.models import Poll, PollAnswer, PollInvitee

    response = create_poll(client, cast)
    assert response.status_code == 201, response.get_json()
    poll_id = response.get_json()["id"]
    with app.app_context():
        poll = db.session.get(Poll, poll_id)
        bruno = db.session.get(User, cast.ids["bruno"])
        assert service.invitee_for(poll, bruno, create=False) is None  # this request sees no invitee yet
        slot_ids = [s.id for s in poll.slots]
        # The other request commits first: its own invitee row and answer.
        with app.app_context():
            other = db.session.get(Poll, poll_id)
            service.answer(other, service.invitee_for(other, db.session.get(User, cast.ids["bruno"])), {slot_ids[0]: "no"})
            db.session.commit()
        invitee = service.invitee_for(poll, bruno)
        service.answer(poll, invitee, {slot_ids[0]: "yes", slot_ids[1]: "ifneedbe"})
        db.session.commit()
        rows = db.session.execute(sa.select(PollInvitee.id).filter_by(poll_id=poll_id, user_id=cast.ids["bruno"])).scalars().all()
        assert len(rows) == 1
        answers = db.session.execute(sa.select(PollAnswer.slot_id, PollAnswer.value).filter_by(invitee_id=rows[0])).all()
        assert sorted(answers) == sorted([(slot_ids[0], "yes"), (slot_ids[1], "ifneedbe")])


def test_time_zones_are_named_in_the_persons_language_canadian_zones_first(app, client, cast):
    from tests.conftest import login

    page = client.application.test_client()
    login(page, cast.emails["bruno"])
    html = page.get("/account").get_data(as_text=True)
    import html as entities

    options = [(v, entities.unescape(label)) for v, label in
               re.findall(r'<option[^>]*value="([^"]+)"[^>]*>([^<]+)</option>', html.split('name="timezone"', 1)[1].split("</select>", 1)[0])]
    assert options[0] == ("America/St_Johns", "Heure de Terre-Neuve (St. John's)")
    assert ("America/Toronto", "Heure de l'Est (Montréal, Toronto)") in options[:5]
    assert ("Europe/Paris", "Heure de l'Europe centrale (Paris)") in options
    assert not any(label.startswith("America/") for _value, label in options)


def test_the_poll_page_writes_durations_and_times_one_way(app, client, cast):
    from tests.conftest import login

    poll = create_poll(client, cast).get_json()
    page = app.test_client()
    login(page, cast.emails["bruno"])
    html = page.get(f"/polls/{poll['id']}").get_data(as_text=True)
    assert "Durée : 1 h" in html and "60 minutes" not in html
    assert "10 h 00" in html and " min 00 s" not in html
