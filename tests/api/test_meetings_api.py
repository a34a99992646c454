"""The meetings API end to end, every answer checked against openapi.json."""
from datetime import datetime

from icalendar import Calendar

from tests.api.spec import assert_matches_spec
from tests.meetings.conftest import auth, cast, create_poll, future  # noqa: F401  (cast is a fixture)


def test_poll_to_meeting_to_calendar_through_the_api(app, client, cast):  # noqa: F811
    created = assert_matches_spec(create_poll(client, cast, invitees={"guests": ["gaelle@exemple.ca"]}), "post", "/communities/{slug}/polls")
    assert [s["start"] for s in created["slots"]] == sorted(s["start"] for s in created["slots"])
    assert set(created["guest_links"]) == {"gaelle@exemple.ca"}
    poll_id = created["id"]
    slots = [s["id"] for s in created["slots"]]

    for who, answers in (("bruno", ["yes", "no", "ifneedbe"]), ("chloe", ["yes", "ifneedbe", "no"])):
        body = {"answers": {str(s): a for s, a in zip(slots, answers)}, "comment": "Merci !"}
        data = assert_matches_spec(client.put(f"/api/v1/polls/{poll_id}/answers", json=body, headers=auth(cast, who)), "put", "/polls/{poll_id}/answers")
        assert data["my_answers"] == body["answers"]
    poll = assert_matches_spec(client.get(f"/api/v1/polls/{poll_id}", headers=auth(cast, "organiser")), "get", "/polls/{poll_id}")
    assert [(s["yes"], s["ifneedbe"], s["no"], s["best"]) for s in poll["slots"]] == [(2, 0, 0, True), (0, 1, 1, False), (0, 1, 1, False)]

    finalized = assert_matches_spec(
        client.post(f"/api/v1/polls/{poll_id}/finalize", json={"slot_id": slots[0]}, headers=auth(cast, "organiser")),
        "post", "/polls/{poll_id}/finalize",
    )
    meeting_id = finalized["meeting_id"]
    meeting = assert_matches_spec(client.get(f"/api/v1/meetings/{meeting_id}", headers=auth(cast, "chloe")), "get", "/meetings/{meeting_id}")
    assert meeting["start"] == created["slots"][0]["start"] and meeting["timezone"] == "America/Toronto"

    ics = client.get(f"/api/v1/meetings/{meeting_id}.ics", headers=auth(cast, "chloe"))
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    (event,) = Calendar.from_ical(ics.data).walk("VEVENT")
    assert event.decoded("DTSTART") == datetime.fromisoformat(meeting["start"])

    day = created["slots"][0]["start"][:10]
    calendar = assert_matches_spec(
        client.get(f"/api/v1/communities/{cast.slug}/calendar?from={day}&to={future(40)[:10]}", headers=auth(cast, "bruno")),
        "get", "/communities/{slug}/calendar",
    )
    assert [o["meeting_id"] for o in calendar["occurrences"]] == [meeting_id]

    feed = assert_matches_spec(client.get("/api/v1/me/calendar-feed", headers=auth(cast, "bruno")), "get", "/me/calendar-feed")
    subscribed = app.test_client().get(feed["url"].replace("http://localhost", ""))
    assert subscribed.status_code == 200 and subscribed.mimetype == "text/calendar"
    assert [str(e["UID"]) for e in Calendar.from_ical(subscribed.data).walk("VEVENT")] == [str(event["UID"])]


def test_api_refusals_match_the_document(app, client, cast):  # noqa: F811
    poll = create_poll(client, cast).get_json()
    slot = poll["slots"][0]["id"]
    assert_matches_spec(create_poll(client, cast, timezone="Nowhere/Atlantis"), "post", "/communities/{slug}/polls")
    assert_matches_spec(create_poll(client, cast, who="outsider"), "post", "/communities/{slug}/polls")
    assert_matches_spec(create_poll(client, cast, who="observer"), "post", "/communities/{slug}/polls")
    assert_matches_spec(client.get("/api/v1/polls/999999", headers=auth(cast, "bruno")), "get", "/polls/{poll_id}")
    assert_matches_spec(client.get(f"/api/v1/polls/{poll['id']}"), "get", "/polls/{poll_id}")
    bad = client.put(f"/api/v1/polls/{poll['id']}/answers", json={"answers": {str(slot): "maybe"}}, headers=auth(cast, "bruno"))
    assert bad.status_code == 422
    assert_matches_spec(bad, "put", "/polls/{poll_id}/answers")
    client.post(f"/api/v1/polls/{poll['id']}/finalize", json={"slot_id": slot}, headers=auth(cast, "organiser"))
    closed = client.put(f"/api/v1/polls/{poll['id']}/answers", json={"answers": {str(slot): "yes"}}, headers=auth(cast, "bruno"))
    assert closed.status_code == 409
    assert_matches_spec(closed, "put", "/polls/{poll_id}/answers")
    again = client.post(f"/api/v1/polls/{poll['id']}/finalize", json={"slot_id": slot}, headers=auth(cast, "organiser"))
    assert again.status_code == 409
    assert_matches_spec(again, "post", "/polls/{poll_id}/finalize")
    window = client.get(f"/api/v1/communities/{cast.slug}/calendar?from=hier", headers=auth(cast, "bruno"))
    assert window.status_code == 422
    assert_matches_spec(window, "get", "/communities/{slug}/calendar")
    assert_matches_spec(client.get("/api/v1/me/calendar-feed"), "get", "/me/calendar-feed")
