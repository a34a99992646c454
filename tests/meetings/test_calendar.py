"""The community calendar as people use it: the month and list pages in each viewer's zone, events
of interest posted by members, the calendar in the API (with its window checked), and the private
feed a calendar program subscribes to — created, regenerated, revoked, and limited to the
communities the person belongs to."""
import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import recurring_ical_events
from icalendar import Calendar

from tests.conftest import login
from tests.meetings.conftest import auth, count_rows, emails, future
from tests.meetings.test_ics import YEAR, clear_outbox, create_entry, entry_form, first_weekday

TORONTO, PARIS, UTC = ZoneInfo("America/Toronto"), ZoneInfo("Europe/Paris"), timezone.utc


def feed_url(client, cast, who):
    response = client.get("/api/v1/me/calendar-feed", headers=auth(cast, who))
    assert response.status_code == 200
    url = response.get_json()["url"]
    assert re.fullmatch(r"http://localhost/calendar/[\w.-]{40,}\.ics", url), url
    return url.replace("http://localhost", "")


def fetch_feed(app, path):
    """As a calendar program does: no cookie, no header."""
    return app.test_client(use_cookies=False).get(path)


def feed_events(app, path):
    response = fetch_feed(app, path)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "Set-Cookie" not in response.headers
    calendar = Calendar.from_ical(response.data)
    assert "METHOD" not in calendar, "a feed is published, not an invitation"
    return {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT") if "RECURRENCE-ID" not in e}


def events_on_page(html):
    found = re.findall(r'data-testid="calendar-event">(.*?)</a>', html, flags=re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", m)).strip() for m in found]


def list_days(html):
    """The day headings of the list under the calendar."""
    section = html.split('class="agenda-list', 1)[1]
    return [re.sub(r"\s+", " ", d).strip() for d in re.findall(r"<h3>(.*?)</h3>", section, flags=re.S)]


# --- the calendar pages -----------------------------------------------------------------------


def test_month_and_list_views_show_the_month_in_the_viewers_zone(app, client, cast):
    # 20:00 in Toronto on 31 January is 02:00 on 1 February in Paris.
    late = create_entry(client, cast, title="Rencontre du soir", start_date=f"{YEAR}-01-31", start_time="20:00", end_time="21:00")
    early = create_entry(client, cast, title="Déjeuner-causerie", start_date=f"{YEAR}-01-12", start_time="12:00", end_time="13:00")
    create_entry(client, cast, title="Rencontre de mars", start_date=f"{YEAR}-03-09", start_time="09:00", end_time="10:00")

    bruno = app.test_client()
    login(bruno, cast.emails["bruno"])
    page = bruno.get(f"/c/{cast.slug}/calendar?month={YEAR}-01")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-testid="calendar"' in html
    assert f"janvier {YEAR}" in html
    assert events_on_page(html) == ["12 h 00 Déjeuner-causerie", "20 h 00 Rencontre du soir"]
    assert "Rencontre de mars" not in html
    assert list_days(html) == [f"mardi 12 janvier {YEAR}", f"dimanche 31 janvier {YEAR}"]
    assert f'href="/meetings/{late}"' in html and f'href="/meetings/{early}"' in html

    chloe = app.test_client()
    login(chloe, cast.emails["chloe"])
    html = chloe.get(f"/c/{cast.slug}/calendar?month={YEAR}-01").get_data(as_text=True)
    assert "January" in html and "Rencontre du soir" in html, "1 February is in the last row of January's grid"
    assert list_days(html) == [f"Tuesday 12 January {YEAR}", f"Monday 1 February {YEAR}"], "her days, in Paris"
    assert "2:00\u202fAM Rencontre du soir" in " ".join(events_on_page(html)) or "2:00 AM Rencontre du soir" in " ".join(events_on_page(html))
    html = chloe.get(f"/c/{cast.slug}/calendar?month={YEAR}-02").get_data(as_text=True)
    assert "Rencontre du soir" in html and "Déjeuner-causerie" not in html

    # The list view from a month: what comes in the next three months, by day.
    html = bruno.get(f"/c/{cast.slug}/calendar?view=list&month={YEAR}-01").get_data(as_text=True)
    assert events_on_page(html) == ["Déjeuner-causerie", "Rencontre du soir", "Rencontre de mars"]
    assert list_days(html) == [f"mardi 12 janvier {YEAR}", f"dimanche 31 janvier {YEAR}", f"mardi 9 mars {YEAR}"]
    assert "12 h 00 – 13 h 00" in html
    # Without a month, the list starts today.
    soon = future(3, 11)
    create_entry(client, cast, title="Rencontre bientôt", start_date=soon[:10], start_time="11:00", end_time="12:00")
    html = bruno.get(f"/c/{cast.slug}/calendar?view=list").get_data(as_text=True)
    assert events_on_page(html)[0] == "Rencontre bientôt"

    # Only members read the calendar.
    outsider = app.test_client()
    login(outsider, cast.emails["outsider"])
    assert outsider.get(f"/c/{cast.slug}/calendar?month={YEAR}-01").status_code in (403, 404)


def test_a_cancelled_meeting_leaves_the_calendar_page(app, client, cast):
    meeting_id = create_entry(client, cast, title="Rencontre annulée", start_date=f"{YEAR}-01-14")
    html = client.get(f"/c/{cast.slug}/calendar?month={YEAR}-01").get_data(as_text=True)
    assert "Rencontre annulée" in html
    assert client.post(f"/meetings/{meeting_id}/cancel").status_code == 302
    html = client.get(f"/c/{cast.slug}/calendar?month={YEAR}-01").get_data(as_text=True)
    assert "Rencontre annulée" not in html


def test_a_recurring_meeting_fills_each_month_at_its_time(app, client, cast):
    create_entry(client, cast, title="Rencontre mensuelle", start_date=first_weekday(YEAR, 1, 1).isoformat(),
                 start_time="09:00", end_time="10:00", repeat="monthly_weekday")
    for month in (1, 3, 4, 11, 12):
        html = client.get(f"/c/{cast.slug}/calendar?month={YEAR}-{month:02d}").get_data(as_text=True)
        shown = [e for e in events_on_page(html) if "Rencontre mensuelle" in e]
        # The grid can show the first Tuesday of the next month in its last row.
        assert shown and set(shown) == {"09 h 00 Rencontre mensuelle"}, (month, shown)
        day = first_weekday(YEAR, month, 1)
        assert any(d.endswith(f"{day.day} {('janvier','février','mars','avril','mai','juin','juillet','août','septembre','octobre','novembre','décembre')[month - 1]} {YEAR}") for d in list_days(html))


# --- events of interest ----------------------------------------------------------------------


def test_an_event_of_interest_is_on_the_calendar_and_in_feeds_without_invitations(app, client, cast):
    clear_outbox(app)
    bruno = app.test_client()
    login(bruno, cast.emails["bruno"])
    page = bruno.get(f"/c/{cast.slug}/calendar/new?kind=event")
    assert page.status_code == 200 and b'data-testid="meeting-form"' in page.data
    event_id = create_entry(bruno, cast, who="bruno", kind="event", title="Forum sur l'habitation communautaire",
                            start_date=f"{YEAR}-02-17", start_time="08:30", end_time="17:00",
                            remote_url="https://chantier.example/forum", location="Palais des congrès de Montréal")
    assert emails(app) == [], "an event of interest is not an invitation"

    data = client.get(f"/api/v1/meetings/{event_id}", headers=auth(cast, "chloe")).get_json()
    assert data["kind"] == "event" and data["organizer"]["id"] == cast.ids["bruno"]
    html = bruno.get(f"/c/{cast.slug}/calendar?month={YEAR}-02").get_data(as_text=True)
    assert "08 h 30 Forum sur l&#39;habitation communautaire" in events_on_page(html)
    assert "calendar-event--event" in html
    html = bruno.get(f"/c/{cast.slug}/calendar?view=list&month={YEAR}-02").get_data(as_text=True)
    assert "Forum sur l&#39;habitation communautaire" in html and "Palais des congrès de Montréal" in html
    api = client.get(f"/api/v1/communities/{cast.slug}/calendar?from={YEAR}-02-01&to={YEAR}-03-01", headers=auth(cast, "observer")).get_json()
    assert [(o["meeting_id"], o["kind"]) for o in api["occurrences"]] == [(event_id, "event")]

    events = feed_events(app, feed_url(client, cast, "chloe"))
    event = events["Forum sur l'habitation communautaire"]
    assert event.decoded("DTSTART") == datetime(YEAR, 2, 17, 8, 30, tzinfo=TORONTO)
    assert "ATTENDEE" not in event and "https://chantier.example/forum" in str(event["DESCRIPTION"])

    # Changing it sends nothing either; the feed follows.
    login(bruno, cast.emails["bruno"])
    response = bruno.post(f"/meetings/{event_id}/edit", data=entry_form(
        title="Forum sur l'habitation communautaire", start_date=f"{YEAR}-02-18", start_time="09:00", end_time="17:00"))
    assert response.status_code == 302
    assert emails(app) == []
    event = feed_events(app, feed_url(client, cast, "chloe"))["Forum sur l'habitation communautaire"]
    assert event.decoded("DTSTART") == datetime(YEAR, 2, 18, 9, 0, tzinfo=TORONTO) and int(event["SEQUENCE"]) == 1

    # An observer reads the calendar but does not post to it.
    observer = app.test_client()
    login(observer, cast.emails["observer"])
    before = count_rows(app)
    refused = observer.post(f"/c/{cast.slug}/calendar/new", data=entry_form(kind="event", title="Pas permis"))
    assert refused.status_code == 403 and count_rows(app) == before


# --- the calendar in the API -----------------------------------------------------------------


def test_the_api_calendar_window_in_the_readers_zone(app, client, cast):
    late = create_entry(client, cast, title="Rencontre du soir", start_date=f"{YEAR}-01-31", start_time="20:00", end_time="21:00")
    # Bruno reads in Toronto: 31 January is in January.
    bruno = client.get(f"/api/v1/communities/{cast.slug}/calendar?from={YEAR}-01-01&to={YEAR}-02-01", headers=auth(cast, "bruno")).get_json()
    assert bruno["from"] == datetime(YEAR, 1, 1, tzinfo=TORONTO).astimezone(UTC).isoformat()
    assert [o["meeting_id"] for o in bruno["occurrences"]] == [late]
    occurrence = bruno["occurrences"][0]
    assert occurrence["start"] == datetime(YEAR, 2, 1, 1, 0, tzinfo=UTC).isoformat()
    assert occurrence["kind"] == "meeting" and occurrence["url"].endswith(f"/meetings/{late}")
    # Chloé reads in Paris: for her it is 1 February.
    chloe = client.get(f"/api/v1/communities/{cast.slug}/calendar?from={YEAR}-01-01&to={YEAR}-02-01", headers=auth(cast, "chloe")).get_json()
    assert chloe["occurrences"] == []
    chloe = client.get(f"/api/v1/communities/{cast.slug}/calendar?from={YEAR}-02-01&to={YEAR}-02-02", headers=auth(cast, "chloe")).get_json()
    assert [o["meeting_id"] for o in chloe["occurrences"]] == [late]
    # An instant with its offset is taken as given.
    exact = client.get(f"/api/v1/communities/{cast.slug}/calendar", query_string={"from": f"{YEAR}-02-01T00:30:00Z", "to": f"{YEAR}-02-01T01:30:00+00:00"},
                       headers=auth(cast, "bruno")).get_json()
    assert [o["meeting_id"] for o in exact["occurrences"]] == [late], "overlapping the window counts"
    assert client.get(f"/api/v1/communities/{cast.slug}/calendar", headers=auth(cast, "outsider")).status_code in (403, 404)


def test_the_api_calendar_refuses_a_bad_window_clearly(app, client, cast):
    url = f"/api/v1/communities/{cast.slug}/calendar"
    headers = auth(cast, "bruno")
    for query, field in (
        ({"from": "demain"}, "from"), ({"to": f"{YEAR}-02-30"}, "to"), ({"from": f"{YEAR}-13-01"}, "from"),
        ({"from": f"{YEAR}-01-01T25:00"}, "from"), ({"to": "x" * 50}, "to"),
    ):
        response = client.get(url, query_string=query, headers=headers)
        assert response.status_code == 422, (query, response.status_code)
        error = response.get_json()["error"]
        assert error["code"] and error["message"] and field in error["fields"], (query, error)
        assert "ISO 8601" in error["fields"][field][0]

    backwards = client.get(url, query_string={"from": f"{YEAR}-03-01", "to": f"{YEAR}-02-01"}, headers=headers)
    assert backwards.status_code == 422
    message = backwards.get_json()["error"]["fields"]["to"][0]
    assert "after" in message or "après" in message, message

    too_long = client.get(url, query_string={"from": f"{YEAR}-01-01", "to": f"{YEAR + 2}-01-01"}, headers=headers)
    assert too_long.status_code == 422
    assert "400" in too_long.get_json()["error"]["fields"]["to"][0]
    assert client.get(url, query_string={"from": f"{YEAR}-01-01", "to": f"{YEAR + 1}-01-01"}, headers=headers).status_code == 200

    # Dates far off are refused with a message, not a server error.
    for query, field in (({"from": "9999-12-31"}, "from"), ({"from": "9999-12-30"}, "from"),
                         ({"from": f"{YEAR}-01-01", "to": "9999-12-31T23:00"}, "to"), ({"from": "0001-01-01", "to": "0001-01-02"}, "from")):
        response = client.get(url, query_string=query, headers=headers)
        assert response.status_code == 422, (query, response.status_code)
        assert field in response.get_json()["error"]["fields"]


# --- the personal feed ------------------------------------------------------------------------


def test_the_feed_has_the_meetings_of_all_my_communities_and_no_others(app, client, cast, factory):
    create_entry(client, cast, title="Rencontre de la CP", start_date=f"{YEAR}-01-14")
    recurring = create_entry(client, cast, title="Rencontre mensuelle", start_date=first_weekday(YEAR, 1, 1).isoformat(),
                             repeat="monthly_weekday")
    # A second community of Ana's, which Bruno joined and Chloé did not.
    housing = factory.community(cast.emails["organiser"], "Habitation communautaire")
    factory.add_member(housing, cast.emails["bruno"])
    login(client, cast.emails["organiser"])
    assert client.post(f"/c/{housing}/calendar/new", data=entry_form(title="Atelier habitation", start_date=f"{YEAR}-01-20")).status_code == 302
    # A community neither is in.
    elsewhere = factory.community(cast.emails["outsider"], "Parcs et espaces verts")
    outsider = app.test_client()
    login(outsider, cast.emails["outsider"])
    assert outsider.post(f"/c/{elsewhere}/calendar/new", data=entry_form(title="Rencontre confidentielle", start_date=f"{YEAR}-01-21")).status_code == 302

    bruno_feed = feed_url(client, cast, "bruno")
    assert feed_url(client, cast, "bruno") == bruno_feed, "the same address until it is regenerated"
    events = feed_events(app, bruno_feed)
    assert set(events) == {"Rencontre de la CP", "Rencontre mensuelle", "Atelier habitation"}
    assert set(feed_events(app, feed_url(client, cast, "chloe"))) == {"Rencontre de la CP", "Rencontre mensuelle"}
    assert set(feed_events(app, feed_url(client, cast, "observer"))) == {"Rencontre de la CP", "Rencontre mensuelle"}
    assert set(feed_events(app, feed_url(client, cast, "outsider"))) == {"Rencontre confidentielle"}

    # The series is whole in the feed: a calendar program expands it.
    calendar = Calendar.from_ical(fetch_feed(app, bruno_feed).data)
    monthly = [e for e in recurring_ical_events.of(calendar).between(date(YEAR, 1, 1), date(YEAR + 1, 1, 1))
               if str(e["SUMMARY"]) == "Rencontre mensuelle"]
    assert len(monthly) == 12 and all(e.decoded("DTSTART").astimezone(TORONTO).strftime("%H:%M") == "09:00" for e in monthly)
    zones = {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")}
    assert zones == {"America/Toronto"}
    assert client.get(f"/api/v1/meetings/{recurring}.ics", headers=auth(cast, "outsider")).status_code in (403, 404)

    # A cancelled meeting stays in the feed as cancelled, so subscribed calendars drop it.
    login(client, cast.emails["organiser"])
    cancelled = next(e for e in events.values() if str(e["SUMMARY"]) == "Rencontre de la CP")
    meeting_id = int(str(cancelled["URL"]).rsplit("/", 1)[1])
    assert client.post(f"/meetings/{meeting_id}/cancel").status_code == 302
    event = feed_events(app, bruno_feed)["Rencontre de la CP"]
    assert str(event["STATUS"]) == "CANCELLED" and str(event["UID"]) == str(cancelled["UID"])
    assert int(event["SEQUENCE"]) > int(cancelled["SEQUENCE"])

    # Bruno leaves the housing community: its meetings leave his feed.
    bruno = app.test_client()
    login(bruno, cast.emails["bruno"])
    assert bruno.post(f"/c/{housing}/leave").status_code == 302
    assert set(feed_events(app, bruno_feed)) == {"Rencontre de la CP", "Rencontre mensuelle"}


def test_regenerating_and_revoking_the_feed_address(app, client, cast):
    create_entry(client, cast, title="Rencontre de la CP", start_date=f"{YEAR}-01-14")
    chloe = app.test_client()
    login(chloe, cast.emails["chloe"])
    page = chloe.get("/account/calendar").get_data(as_text=True)
    assert 'data-testid="feed-create"' in page and 'data-testid="feed-url"' not in page

    assert chloe.post("/account/calendar/feed", data={"action": "renew"}).status_code == 302
    page = chloe.get("/account/calendar").get_data(as_text=True)
    first = re.search(r'value="http://localhost(/calendar/[^"]+\.ics)" data-testid="feed-url"', page).group(1)
    assert first == feed_url(client, cast, "chloe"), "the page and the API give the same address"
    assert "Rencontre de la CP" in feed_events(app, first)

    # Tampered addresses are unknown.
    key, signature = first[len("/calendar/"):-len(".ics")].split(".")
    flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    for path in (f"/calendar/{key}.{flipped}.ics", f"/calendar/{key}.ics", f"/calendar/{key}..{signature}.ics",
                 f"/calendar/{key[:-1]}{'y' if key.endswith('x') else 'x'}.{signature}.ics", "/calendar/.ics", f"/calendar/{key}.{signature}x.ics"):
        assert fetch_feed(app, path).status_code == 404, path

    # Regenerate: the old address stops, the new one works.
    assert chloe.post("/account/calendar/feed", data={"action": "renew"}).status_code == 302
    second = feed_url(client, cast, "chloe")
    assert second != first
    assert fetch_feed(app, first).status_code == 404
    assert "Rencontre de la CP" in feed_events(app, second)
    page = chloe.get("/account/calendar").get_data(as_text=True)
    assert second in page and first not in page

    # Nonsense actions change nothing.
    assert chloe.post("/account/calendar/feed", data={"action": "revoke"}).status_code == 302
    assert fetch_feed(app, second).status_code == 200

    # Revoke: no address any more.
    assert chloe.post("/account/calendar/feed/revoke", data={"action": "revoke"}).status_code == 302
    assert fetch_feed(app, second).status_code == 404
    page = chloe.get("/account/calendar").get_data(as_text=True)
    assert 'data-testid="feed-create"' in page and second not in page

    # The feed answers no one without its address, and the account page needs a login.
    assert app.test_client().get("/account/calendar").status_code in (302, 401)
    assert app.test_client().get("/api/v1/me/calendar-feed").status_code == 401


def test_the_feed_page_offers_one_click_subscriptions(app, client, cast):
    from urllib.parse import parse_qs, urlsplit

    from tests.conftest import login

    path = feed_url(client, cast, "bruno")
    page = app.test_client()
    login(page, cast.emails["bruno"])
    html = page.get("/account/calendar").get_data(as_text=True)
    links = dict(re.findall(r'href="([^"]+)"[^>]*data-testid="subscribe-(\w+)"', html))
    links = {name: href.replace("&amp;", "&") for href, name in links.items()}
    assert links["webcal"] == "webcal://localhost" + path
    google = urlsplit(links["google"])
    assert google.netloc == "calendar.google.com" and parse_qs(google.query)["cid"] == ["webcal://localhost" + path]
    outlook = urlsplit(links["outlook"])
    assert outlook.netloc == "outlook.live.com" and parse_qs(outlook.query)["url"] == ["http://localhost" + path]
    assert 'data-testid="feed-copy"' in html and "Copier" in html
