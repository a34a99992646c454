"""Bad input to polls and meetings: each a clear 4xx with a message, and nothing changed."""
from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import login
from tests.meetings.conftest import auth, count_rows, create_poll, emails, future


def _past(days=1):
    return (datetime.now(timezone.utc) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.parametrize("overrides, field, message", [
    ({"slots": [_past()]}, "slots", "Every proposed slot must be in the future."),
    ({"slots": [{"start": future(7, 14), "end": future(7, 13)}]}, "slots", "Each slot must end after it starts."),
    ({"slots": [f"{future(3 + i // 10, 8 + i % 10)}" for i in range(500)]}, "slots", "Propose at most 100 time slots."),
    ({"slots": []}, "slots", "Propose at least one time slot."),
    ({"slots": ["mardi prochain"]}, "slots", "Give each time as an ISO 8601 date and time, e.g. 2025-03-04T14:00."),
    ({"slots": "2027-01-01T10:00"}, "slots", "A list of start times (ISO 8601)."),
    ({"timezone": "Mars/Olympus_Mons"}, "timezone", "Choose a time zone from the list."),
    ({"timezone": None}, "timezone", "Choose a time zone from the list."),
    ({"deadline": future(30, 9)}, "deadline", "The answer deadline must come before the last proposed slot."),
    ({"deadline": _past()}, "deadline", "The answer deadline must be in the future."),
    ({"duration_minutes": 0}, "duration_minutes", None),
    ({"duration_minutes": "une heure"}, "duration_minutes", None),
    ({"title": ""}, "title", "This field is required."),
    ({"title": "x" * 201}, "title", "At most 200 characters."),
    ({"remote_url": "javascript:alert(1)"}, "remote_url", "Enter a full web address, starting with https://"),
    ({"invitees": {"guests": ["pas-une-adresse"]}}, "guests", None),
    ({"invitees": {"community": False}}, "invitees", "Invite the whole community, some members, or guests by email."),
    ({"invitees": {"users": [999999]}}, "invitees", "Invite members of the community only."),
    ({"colour": "rouge"}, "colour", "Unknown field."),
])
def test_a_bad_poll_is_refused_with_a_message_and_nothing_is_saved(app, client, cast, overrides, field, message):
    before = count_rows(app)
    response = create_poll(client, cast, who="chloe", **overrides)  # Chloé reads English
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] in ("invalid", "validation_failed") and error["message"]
    fields = error.get("fields") or {}
    assert field in fields, fields
    if message:
        assert fields[field] == [message]
    assert count_rows(app) == before
    assert emails(app) == []


def test_the_poll_form_refuses_an_unknown_zone_and_a_deadline_after_every_slot(app, client, cast):
    login(client, cast.emails["chloe"])
    day = (datetime.now(timezone.utc) + timedelta(days=10)).date()
    base = {"title": "Rencontre", "duration_minutes": "60", "timezone": "America/Toronto", "invite": "all",
            "dates": [day.isoformat()], "times": ["09:30"], "slot": [f"{day.isoformat()}T09:30"]}
    before = count_rows(app)
    response = client.post(f"/c/{cast.slug}/polls/new", data={**base, "timezone": "Nowhere/Atlantis"})
    assert response.status_code == 422 and "Choose a time zone from the list." in response.get_data(as_text=True)
    late = (day + timedelta(days=5)).isoformat()
    response = client.post(f"/c/{cast.slug}/polls/new", data={**base, "deadline_date": late, "deadline_time": "12:00"})
    assert response.status_code == 422
    assert "The answer deadline must come before the last proposed slot." in response.get_data(as_text=True)
    response = client.post(f"/c/{cast.slug}/polls/new", data={**base, "dates": ["2001-01-01"], "slot": ["2001-01-01T09:30"]})
    assert response.status_code == 422 and "Every proposed slot must be in the future." in response.get_data(as_text=True)
    assert count_rows(app) == before


@pytest.mark.parametrize("answers, status", [
    ({"answers": {"999999": "yes"}}, 422),
    ({"answers": {"SLOT": "peut-être"}}, 422),
    ({"answers": {}}, 422),
    ({"answers": ["yes"]}, 422),
    ({"answers": {"SLOT": "yes"}, "comment": 42}, 422),
    ({"answers": {"SLOT": "yes"}, "comment": "x" * 1001}, 422),
    ({"answers": {"SLOT": "yes"}, "vote": "yes"}, 422),
])
def test_bad_answers_are_refused_and_change_nothing(app, client, cast, answers, status):
    poll = create_poll(client, cast).get_json()
    slot = str(poll["slots"][0]["id"])
    body = {key: ({(slot if k == "SLOT" else k): v for k, v in value.items()} if isinstance(value, dict) else value)
            for key, value in answers.items()}
    before = count_rows(app)
    response = client.put(f"/api/v1/polls/{poll['id']}/answers", json=body, headers=auth(cast, "bruno"))
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"]["message"]
    assert count_rows(app) == before


def test_a_guest_link_reused_after_revocation_is_refused(app, client, cast):
    poll = create_poll(client, cast, invitees={"guests": ["gaelle@exemple.ca"]}).get_json()
    link = poll["guest_links"]["gaelle@exemple.ca"].replace("http://localhost", "")
    slot = poll["slots"][0]["id"]
    guest = app.test_client()
    assert guest.post(link, data={f"slot-{slot}": "yes", "name": "Gaëlle"}).status_code == 302

    from hub.extensions import db
    from hub.meetings.models import PollInvitee

    with app.app_context():
        invitee_id = db.session.query(PollInvitee.id).filter(PollInvitee.email == "gaelle@exemple.ca").scalar()
    login(client, cast.emails["organiser"])
    assert client.post(f"/polls/{poll['id']}/guests/{invitee_id}/revoke").status_code == 302
    before = count_rows(app)
    page = guest.get(link)
    assert page.status_code == 410 and "Ce lien a été retiré" in page.get_data(as_text=True)
    assert guest.post(link, data={f"slot-{slot}": "no"}).status_code == 410
    assert count_rows(app) == before
    # A made-up link is simply unknown.
    assert guest.get("/p/" + "x" * 43).status_code == 404
    # The organiser's table no longer counts the withdrawn guest's answer.
    data = client.get(f"/api/v1/polls/{poll['id']}", headers=auth(cast, "organiser")).get_json()
    assert data["slots"][0]["yes"] == 0


def test_finalizing_with_a_slot_of_another_poll_is_refused(app, client, cast):
    first = create_poll(client, cast).get_json()
    second = create_poll(client, cast).get_json()
    before = count_rows(app)
    response = client.post(f"/api/v1/polls/{first['id']}/finalize", json={"slot_id": second["slots"][0]["id"]}, headers=auth(cast, "organiser"))
    assert response.status_code == 422 and response.get_json()["error"]["fields"]["slot_id"]
    for body in ({}, {"slot_id": "1"}, {"slot_id": True}, {"slot_id": 2**40}):
        assert client.post(f"/api/v1/polls/{first['id']}/finalize", json=body, headers=auth(cast, "organiser")).status_code == 422
    assert count_rows(app) == before


@pytest.mark.parametrize("form, message", [
    ({"end_time": "09:00"}, "The end must come after the start."),
    ({"timezone": "Europe/Atlantide"}, "Choose a time zone from the list."),
    ({"start_date": "2001-02-03"}, "The meeting must be in the future."),
    ({"title": ""}, "Give the meeting a title."),
    ({"start_time": "25:99"}, None),
    ({"repeat": "every-full-moon"}, None),
])
def test_a_bad_meeting_form_is_shown_again_with_its_error(app, client, cast, form, message):
    login(client, cast.emails["chloe"])
    day = (datetime.now(timezone.utc) + timedelta(days=12)).date().isoformat()
    data = {"kind": "meeting", "title": "Comité habitation", "start_date": day, "start_time": "10:00", "end_time": "11:00",
            "timezone": "America/Toronto", "repeat": "none", **form}
    before = count_rows(app)
    response = client.post(f"/c/{cast.slug}/calendar/new", data=data)
    assert response.status_code == 422
    if message:
        assert message in response.get_data(as_text=True)
    assert count_rows(app) == before
