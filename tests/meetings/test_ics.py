"""What a calendar program (Google Agenda, Outlook, a phone) makes of the iCalendar we send:
invitations, changes and cancellations as iTIP messages, and recurring meetings expanded across
the daylight-saving changes, with one occurrence moved and one cancelled. Every document is parsed
with ``icalendar`` and the series expanded with ``recurring_ical_events``, as a client would."""
import calendar as month_calendar
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import recurring_ical_events
from icalendar import Calendar

from tests.conftest import login
from tests.meetings.conftest import auth, create_poll, emails

TORONTO, PARIS, UTC = ZoneInfo("America/Toronto"), ZoneInfo("Europe/Paris"), timezone.utc
YEAR = datetime.now(UTC).year + 1  # a whole year ahead: every date below is in the future


def entry_form(**overrides):
    """The fields of the "Add to the calendar" form (templates/meetings/edit.html)."""
    data = {
        "kind": "meeting", "title": "Comité approvisionnement responsable", "description": "Tour de table des bons et mauvais coups.",
        "start_date": date(YEAR, 1, 5).isoformat(), "start_time": "09:00", "end_time": "10:30", "end_date": "",
        "timezone": "America/Toronto", "remote_url": "https://zoom.example/j/456", "location": "Hôtel de ville de Laval",
        "repeat": "none", "repeat_until": "",
    }
    data.update(overrides)
    return data


def create_entry(client, cast, who="organiser", **overrides):
    login(client, cast.emails[who])
    response = client.post(f"/c/{cast.slug}/calendar/new", data=entry_form(**overrides))
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def clear_outbox(app):
    import sqlalchemy as sa

    from hub.extensions import db
    from hub.notifications.models import OutgoingEmail

    with app.app_context():
        db.session.execute(sa.delete(OutgoingEmail))
        db.session.commit()


def meeting_ics(client, cast, meeting_id, who="bruno"):
    response = client.get(f"/api/v1/meetings/{meeting_id}.ics", headers=auth(cast, who))
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    return Calendar.from_ical(response.data)


def expand(calendar, start, end):
    """The occurrences a calendar program shows between two dates, by start."""
    return sorted(recurring_ical_events.of(calendar).between(start, end), key=lambda e: e.decoded("DTSTART"))


def first_weekday(year, month, weekday):
    day = date(year, month, 1)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def last_sunday(year, month):
    last = date(year, month, month_calendar.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - 6) % 7)


def key_of(moment):
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def assert_itip(mail, method, uid=None, sequence=None):
    """One iTIP message as a mail program reads it; returns its single VEVENT."""
    assert mail["attachment_type"] == f"text/calendar; method={method}"
    calendar = Calendar.from_ical(mail["attachment"])
    assert str(calendar["METHOD"]) == method and str(calendar["VERSION"]) == "2.0" and "PRODID" in calendar
    events = calendar.walk("VEVENT")
    assert len(events) == 1, f"one VEVENT in {mail['attachment']}"
    event = events[0]
    if uid is not None:
        assert str(event["UID"]) == uid, "the same UID: the calendar updates the event instead of adding another"
    if sequence is not None:
        assert int(event["SEQUENCE"]) == sequence
    assert "DTSTAMP" in event
    assert str(event["ORGANIZER"]).startswith("mailto:") and event["ORGANIZER"].params.get("CN") == "Ana Lima"
    assert str(event["ATTENDEE"]) == f"mailto:{mail['to']}"
    # Every TZID used has its VTIMEZONE, so Outlook does not guess the zone.
    zones = {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")}
    for name in ("DTSTART", "DTEND"):
        assert event[name].params["TZID"] in zones
    return event


# --- invitations, changes and cancellations ------------------------------------------------


def test_invitation_change_and_cancellation_of_a_chosen_slot(app, client, cast):
    poll = create_poll(client, cast, invitees={"guests": ["gaelle@exemple.ca"]}).get_json()
    slot = poll["slots"][1]
    clear_outbox(app)
    response = client.post(f"/api/v1/polls/{poll['id']}/finalize", json={"slot_id": slot["id"]}, headers=auth(cast, "organiser"))
    assert response.status_code == 201
    meeting_id = response.get_json()["meeting_id"]

    invitations = emails(app)
    invited = {cast.emails["organiser"], cast.emails["bruno"], cast.emails["chloe"], "gaelle@exemple.ca"}
    assert {m["to"] for m in invitations} == invited
    uids = set()
    for mail in invitations:
        event = assert_itip(mail, "REQUEST", sequence=0)
        uids.add(str(event["UID"]))
        assert event["DTSTART"].params["TZID"] == "America/Toronto", "in the organiser's zone, whoever receives it"
        assert event.decoded("DTSTART") == datetime.fromisoformat(slot["start"])
        assert event.decoded("DTEND") == datetime.fromisoformat(slot["end"])
        assert event.decoded("DTSTART").astimezone(TORONTO).strftime("%H:%M") == "14:00"
        assert str(event["STATUS"]) == "CONFIRMED"
        assert str(event["SUMMARY"]) == "Rencontre sur l'approvisionnement responsable"
        assert "https://zoom.example/j/123" in str(event["DESCRIPTION"]) and f"/meetings/{meeting_id}" in str(event["DESCRIPTION"])
    (uid,) = uids
    data = client.get(f"/api/v1/meetings/{meeting_id}", headers=auth(cast, "bruno")).get_json()
    assert data["uid"] == uid and data["sequence"] == 0

    # The organiser moves it by an hour: the same event, updated, in everyone's calendar.
    clear_outbox(app)
    local_start = datetime.fromisoformat(slot["start"]).astimezone(TORONTO)
    login(client, cast.emails["organiser"])
    response = client.post(f"/meetings/{meeting_id}/edit", data=entry_form(
        title="Rencontre sur l'approvisionnement responsable", start_date=local_start.date().isoformat(),
        start_time="15:00", end_time="16:00", remote_url="https://zoom.example/j/123", location="",
    ))
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    changes = emails(app)
    assert {m["to"] for m in changes} == invited
    for mail in changes:
        event = assert_itip(mail, "REQUEST", uid=uid, sequence=1)
        assert event.decoded("DTSTART").astimezone(TORONTO).strftime("%H:%M") == "15:00"
        assert event.decoded("DTSTART").astimezone(TORONTO).date() == local_start.date()
        assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(hours=1)

    # Then cancels it: a CANCEL for the same UID, with a higher SEQUENCE again.
    clear_outbox(app)
    assert client.post(f"/meetings/{meeting_id}/cancel").status_code == 302
    cancellations = emails(app)
    assert {m["to"] for m in cancellations} == invited
    for mail in cancellations:
        event = assert_itip(mail, "CANCEL", uid=uid, sequence=2)
        assert str(event["STATUS"]) == "CANCELLED"
        assert mail["attachment_name"] == "cancellation.ics"
    # The download says so too, without an iTIP method.
    download = meeting_ics(client, cast, meeting_id)
    assert "METHOD" not in download
    (event,) = download.walk("VEVENT")
    assert str(event["UID"]) == uid and int(event["SEQUENCE"]) == 2 and str(event["STATUS"]) == "CANCELLED"


def test_a_meeting_planned_through_the_form_is_sent_in_its_own_zone(app, client, cast):
    clear_outbox(app)
    meeting_id = create_entry(client, cast, timezone="Europe/Paris", start_date=date(YEAR, 7, 6).isoformat(),
                              start_time="10:00", end_time="11:30")
    invitations = emails(app)
    assert {m["to"] for m in invitations} == {cast.emails["organiser"], cast.emails["bruno"], cast.emails["chloe"]}, \
        "the whole community's contributors; the observer only reads"
    uids = set()
    for mail in invitations:
        event = assert_itip(mail, "REQUEST", sequence=0)
        uids.add(str(event["UID"]))
        assert event["DTSTART"].params["TZID"] == "Europe/Paris"
        start = event.decoded("DTSTART")
        assert (start.date(), start.strftime("%H:%M")) == (date(YEAR, 7, 6), "10:00")
        assert start.astimezone(UTC).strftime("%H:%M") == "08:00", "10:00 in Paris in summer is 08:00 UTC"
        assert event.decoded("DTEND").astimezone(PARIS).strftime("%H:%M") == "11:30"
        assert str(event["LOCATION"]) == "Hôtel de ville de Laval"
        calendar = Calendar.from_ical(mail["attachment"])
        (vtimezone,) = calendar.walk("VTIMEZONE")
        assert str(vtimezone["TZID"]) == "Europe/Paris"
    assert len(uids) == 1
    # Bruno reads in Toronto: his email says 04:00, his zone named; the attachment keeps Paris.
    bruno = next(m for m in invitations if m["to"] == cast.emails["bruno"])
    assert "04 h 00" in bruno["body"] and "Heure de l'Est (Montréal, Toronto)" in bruno["body"]


# --- recurring meetings across daylight-saving changes -------------------------------------


def test_first_tuesday_of_each_month_stays_at_nine_in_toronto_all_year(app, client, cast):
    first = first_weekday(YEAR, 1, 1)
    meeting_id = create_entry(client, cast, title="Rencontre mensuelle de la CP", start_date=first.isoformat(),
                              start_time="09:00", end_time="10:00", repeat="monthly_weekday")
    data = client.get(f"/api/v1/meetings/{meeting_id}", headers=auth(cast, "bruno")).get_json()
    assert "FREQ=MONTHLY" in data["rrule"] and "BYDAY=1TU" in data["rrule"]

    calendar = meeting_ics(client, cast, meeting_id)
    occurrences = expand(calendar, date(YEAR, 1, 1), date(YEAR + 1, 1, 1))
    assert len(occurrences) == 12
    for month, event in enumerate(occurrences, start=1):
        start = event.decoded("DTSTART").astimezone(TORONTO)
        assert start.date() == first_weekday(YEAR, month, 1), "the first Tuesday of each month"
        assert start.strftime("%H:%M") == "09:00", f"09:00 in {month}/{YEAR}, whatever the daylight saving"
        assert event.decoded("DTEND").astimezone(TORONTO).strftime("%H:%M") == "10:00"
        daylight = start.dst() != timedelta(0)
        assert start.astimezone(UTC).hour == (13 if daylight else 14)
    assert {e.decoded("DTSTART").astimezone(UTC).hour for e in occurrences} == {13, 14}, "the year crosses both changes"

    # The community calendar (API) gives the same instants.
    api = client.get(f"/api/v1/communities/{cast.slug}/calendar?from={YEAR}-01-01&to={YEAR}-12-31", headers=auth(cast, "bruno"))
    assert api.status_code == 200, api.get_json()
    starts = [o["start"] for o in api.get_json()["occurrences"] if o["meeting_id"] == meeting_id]
    assert starts == [e.decoded("DTSTART").astimezone(UTC).isoformat() for e in occurrences]


def test_weekly_meeting_in_paris_keeps_its_wall_time_for_a_reader_in_toronto(app, client, cast):
    start = first_weekday(YEAR, 3, 0)  # the first Monday of March
    until = first_weekday(YEAR, 11, 0) + timedelta(days=7)
    meeting_id = create_entry(client, cast, title="Atelier hebdomadaire", timezone="Europe/Paris", start_date=start.isoformat(),
                              start_time="10:00", end_time="11:00", repeat="weekly", repeat_until=until.isoformat())
    calendar = meeting_ics(client, cast, meeting_id, who="bruno")
    occurrences = expand(calendar, date(YEAR, 1, 1), date(YEAR + 1, 1, 1))
    days = [e.decoded("DTSTART").astimezone(PARIS).date() for e in occurrences]
    assert days == [start + timedelta(weeks=n) for n in range((until - start).days // 7 + 1)]
    for event in occurrences:
        local = event.decoded("DTSTART").astimezone(PARIS)
        assert local.strftime("%H:%M") == "10:00" and local.weekday() == 0
        assert local.astimezone(UTC).hour == (8 if local.dst() else 9)

    # Bruno reads in Toronto: between the American change (second Sunday of March) and the
    # European one (last Sunday of March), the meeting is an hour later for him.
    api = client.get(f"/api/v1/communities/{cast.slug}/calendar?from={YEAR}-03-01&to={YEAR}-12-01", headers=auth(cast, "bruno"))
    found = [datetime.fromisoformat(o["start"]) for o in api.get_json()["occurrences"]]
    assert found == [e.decoded("DTSTART").astimezone(UTC) for e in occurrences]
    toronto_hours = {moment.astimezone(PARIS).date(): moment.astimezone(TORONTO).strftime("%H:%M") for moment in found}
    american_spring, american_fall = first_weekday(YEAR, 3, 6) + timedelta(days=7), first_weekday(YEAR, 11, 6)
    european_spring, european_fall = last_sunday(YEAR, 3), last_sunday(YEAR, 10)
    for day, hour in toronto_hours.items():
        apart = american_spring <= day < european_spring or european_fall <= day < american_fall
        assert hour == ("05:00" if apart else "04:00"), (day, hour)
    assert "05:00" in toronto_hours.values() and "04:00" in toronto_hours.values()

    # The month page of March, for Bruno: 04 h 00 before the American change, 05 h 00 between both.
    login(client, cast.emails["bruno"])
    page = client.get(f"/c/{cast.slug}/calendar?month={YEAR}-03").get_data(as_text=True)
    assert "04 h 00" in page and "05 h 00" in page


def _weekly_series(client, cast, **overrides):
    start = first_weekday(YEAR, 2, 2)  # Wednesdays, from the first of February
    fields = dict(title="Café-rencontre du mercredi", start_date=start.isoformat(), start_time="12:00", end_time="13:00",
                  repeat="weekly", repeat_until=(start + timedelta(weeks=9)).isoformat())
    fields.update(overrides)
    return create_entry(client, cast, **fields), start


def test_moving_one_occurrence_sends_a_recurrence_id_and_it_shows_once(app, client, cast):
    meeting_id, first = _weekly_series(client, cast)
    third = datetime.combine(first + timedelta(weeks=2), time(12), tzinfo=TORONTO)
    clear_outbox(app)
    page = client.get(f"/meetings/{meeting_id}/occurrences/{key_of(third)}")
    assert page.status_code == 200 and b'data-testid="occurrence-form"' in page.data
    moved_day = third.date() + timedelta(days=1)
    response = client.post(f"/meetings/{meeting_id}/occurrences/{key_of(third)}", data={
        "start_date": moved_day.isoformat(), "start_time": "15:30", "end_time": "16:30", "title": "Café-rencontre (déplacé)", "location": "",
    })
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]

    calendar = meeting_ics(client, cast, meeting_id)
    events = calendar.walk("VEVENT")
    assert len(events) == 2
    master, moved = events
    assert "RRULE" in master and "RECURRENCE-ID" not in master
    assert str(moved["UID"]) == str(master["UID"]) and int(moved["SEQUENCE"]) == int(master["SEQUENCE"]) == 1
    assert moved.decoded("RECURRENCE-ID") == third and moved["RECURRENCE-ID"].params["TZID"] == "America/Toronto"
    assert moved.decoded("DTSTART") == datetime.combine(moved_day, time(15, 30), tzinfo=TORONTO)
    assert str(moved["SUMMARY"]) == "Café-rencontre (déplacé)"

    occurrences = expand(calendar, date(YEAR, 1, 1), date(YEAR + 1, 1, 1))
    starts = [e.decoded("DTSTART") for e in occurrences]
    assert len(occurrences) == 10
    assert third not in starts, "not at its old time any more"
    assert starts.count(datetime.combine(moved_day, time(15, 30), tzinfo=TORONTO)) == 1, "shown once, at its new time"
    assert [str(e["SUMMARY"]) for e in occurrences].count("Café-rencontre (déplacé)") == 1

    # Everyone invited receives the updated series with the same UID and a higher SEQUENCE.
    updates = emails(app)
    assert {m["to"] for m in updates} == {cast.emails["organiser"], cast.emails["bruno"], cast.emails["chloe"]}
    for mail in updates:
        sent = Calendar.from_ical(mail["attachment"])
        assert str(sent["METHOD"]) == "REQUEST"
        sent_events = sent.walk("VEVENT")
        assert [int(e["SEQUENCE"]) for e in sent_events] == [1, 1]
        assert any(e.get("RECURRENCE-ID") is not None and e.decoded("RECURRENCE-ID") == third for e in sent_events)
        assert len(expand(sent, date(YEAR, 1, 1), date(YEAR + 1, 1, 1))) == 10

    # The community calendar shows it once, at its new time.
    api = client.get(f"/api/v1/communities/{cast.slug}/calendar?from={YEAR}-02-01&to={YEAR}-05-01", headers=auth(cast, "bruno")).get_json()
    starts = [datetime.fromisoformat(o["start"]) for o in api["occurrences"]]
    assert len(starts) == 10 and third not in starts
    assert starts.count(datetime.combine(moved_day, time(15, 30), tzinfo=TORONTO)) == 1


def test_cancelling_one_occurrence_adds_an_exdate(app, client, cast):
    meeting_id, first = _weekly_series(client, cast)
    fourth = datetime.combine(first + timedelta(weeks=3), time(12), tzinfo=TORONTO)
    clear_outbox(app)
    assert client.post(f"/meetings/{meeting_id}/occurrences/{key_of(fourth)}/cancel").status_code == 302

    calendar = meeting_ics(client, cast, meeting_id)
    (master,) = calendar.walk("VEVENT")
    exdates = [d.dt for d in (master["EXDATE"] if isinstance(master["EXDATE"], list) else [master["EXDATE"]]) for d in [d] for d in d.dts]
    assert exdates == [fourth]
    assert int(master["SEQUENCE"]) == 1
    occurrences = expand(calendar, date(YEAR, 1, 1), date(YEAR + 1, 1, 1))
    starts = [e.decoded("DTSTART") for e in occurrences]
    assert len(starts) == 9 and fourth not in starts
    assert fourth - timedelta(weeks=1) in starts and fourth + timedelta(weeks=1) in starts

    for mail in emails(app):
        sent = Calendar.from_ical(mail["attachment"])
        starts = [e.decoded("DTSTART") for e in expand(sent, date(YEAR, 1, 1), date(YEAR + 1, 1, 1))]
        assert len(starts) == 9 and fourth not in starts

    api = client.get(f"/api/v1/communities/{cast.slug}/calendar?from={YEAR}-02-01&to={YEAR}-05-01", headers=auth(cast, "bruno")).get_json()
    assert len(api["occurrences"]) == 9 and fourth.astimezone(UTC).isoformat() not in [o["start"] for o in api["occurrences"]]
    # An occurrence that is not in the series does not exist.
    not_one = fourth + timedelta(hours=1)
    assert client.post(f"/meetings/{meeting_id}/occurrences/{key_of(not_one)}/cancel").status_code == 404
    assert client.get(f"/meetings/{meeting_id}/occurrences/{key_of(fourth)}").status_code == 404, "already cancelled"


def test_time_zones_are_described_as_outlook_reads_them(app, client, cast):
    """Outlook ignores the TZID's name and the RDATE lists of a VTIMEZONE: it needs one STANDARD and
    one DAYLIGHT observance with a yearly RRULE, or it shows summer occurrences an hour off."""
    toronto = create_entry(client, cast, title="Rencontre mensuelle", start_date=first_weekday(YEAR, 1, 1).isoformat(),
                           repeat="monthly_weekday")
    paris = create_entry(client, cast, title="Atelier", timezone="Europe/Paris", start_date=first_weekday(YEAR, 3, 0).isoformat(),
                         start_time="10:00", end_time="11:00", repeat="weekly", repeat_until=f"{YEAR}-11-30")
    tokyo = create_entry(client, cast, title="Visite d'étude", timezone="Asia/Tokyo", start_date=f"{YEAR}-05-10")
    for meeting_id, zone_name, rules in ((toronto, "America/Toronto", {"2SU", "1SU"}), (paris, "Europe/Paris", {"-1SU"}), (tokyo, "Asia/Tokyo", set())):
        calendar = meeting_ics(client, cast, meeting_id)
        (vtimezone,) = calendar.walk("VTIMEZONE")
        assert str(vtimezone["TZID"]) == zone_name
        observances = vtimezone.walk("STANDARD") + vtimezone.walk("DAYLIGHT")
        assert len(observances) == (2 if rules else 1)
        assert all("RDATE" not in o for o in observances)
        assert {o["RRULE"]["BYDAY"][0] for o in observances if "RRULE" in o} == rules
        assert all(o["RRULE"]["FREQ"] == ["YEARLY"] for o in observances if "RRULE" in o)
        # A program that knows the zone only from this VTIMEZONE finds the same instants.
        described = vtimezone.to_tz(lookup_tzid=False)
        for event in expand(calendar, date(YEAR, 1, 1), date(YEAR + 1, 1, 1)):
            start = event.decoded("DTSTART")
            wall = start.astimezone(ZoneInfo(zone_name)).replace(tzinfo=None)
            assert wall.replace(tzinfo=described).astimezone(UTC) == start.astimezone(UTC), (zone_name, wall)


def test_renaming_a_series_keeps_its_moved_and_cancelled_occurrences(app, client, cast):
    meeting_id, first = _weekly_series(client, cast)
    second = datetime.combine(first + timedelta(weeks=1), time(12), tzinfo=TORONTO)
    fifth = datetime.combine(first + timedelta(weeks=4), time(12), tzinfo=TORONTO)
    assert client.post(f"/meetings/{meeting_id}/occurrences/{key_of(second)}", data={
        "start_date": second.date().isoformat(), "start_time": "14:00", "end_time": "15:00", "title": "", "location": "Hôtel de ville de Laval",
    }).status_code == 302
    assert client.post(f"/meetings/{meeting_id}/occurrences/{key_of(fifth)}/cancel").status_code == 302

    # The edit form comes back filled with the series as it is; only the title changes.
    page = client.get(f"/meetings/{meeting_id}/edit").get_data(as_text=True)
    assert 'value="weekly" selected' in page or 'selected value="weekly"' in page
    assert f'value="{(first + timedelta(weeks=9)).isoformat()}"' in page, "the end of the repetition, as entered"
    clear_outbox(app)
    response = client.post(f"/meetings/{meeting_id}/edit", data=entry_form(
        title="Café-rencontre (nouveau nom)", start_date=first.isoformat(), start_time="12:00", end_time="13:00",
        repeat="weekly", repeat_until=(first + timedelta(weeks=9)).isoformat()))
    assert response.status_code == 302
    calendar = meeting_ics(client, cast, meeting_id)
    occurrences = expand(calendar, date(YEAR, 1, 1), date(YEAR + 1, 1, 1))
    starts = [e.decoded("DTSTART") for e in occurrences]
    assert len(starts) == 9 and fifth not in starts and second not in starts and second + timedelta(hours=2) in starts
    assert {str(e["SUMMARY"]) for e in occurrences} == {"Café-rencontre (nouveau nom)"}
    assert {int(e["SEQUENCE"]) for e in calendar.walk("VEVENT")} == {3}
    assert all(str(Calendar.from_ical(m["attachment"])["METHOD"]) == "REQUEST" for m in emails(app))
