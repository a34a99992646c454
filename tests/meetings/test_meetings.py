"""From a poll to a meeting: the invitation in each person's language, attendance, the open
agenda, follow-up on the community page, reminders through the email outbox, and search."""
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from tests.conftest import login
from tests.meetings.conftest import auth, count_rows, create_poll, emails


def _finalize(client, cast, poll, slot_index=0, who="organiser"):
    slot_id = poll["slots"][slot_index]["id"]
    response = client.post(f"/api/v1/polls/{poll['id']}/finalize", json={"slot_id": slot_id}, headers=auth(cast, who))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["meeting_id"]


def _clear_outbox(app):
    from hub.extensions import db
    from hub.notifications.models import OutgoingEmail

    with app.app_context():
        db.session.execute(sa.delete(OutgoingEmail))
        db.session.commit()


def test_choosing_a_slot_makes_a_meeting_and_invites_everyone_in_their_language(app, client, cast):
    poll = create_poll(client, cast, invitees={"guests": ["gaelle@exemple.ca"]}).get_json()
    _clear_outbox(app)
    meeting_id = _finalize(client, cast, poll, slot_index=2)

    meeting = client.get(f"/api/v1/meetings/{meeting_id}", headers=auth(cast, "bruno")).get_json()
    assert meeting["title"] == "Rencontre sur l'approvisionnement responsable"
    assert meeting["start"] == poll["slots"][2]["start"] and meeting["end"] == poll["slots"][2]["end"]
    poll_after = client.get(f"/api/v1/polls/{poll['id']}", headers=auth(cast, "bruno")).get_json()
    assert poll_after["status"] == "finalized"

    sent = {m["to"]: m for m in emails(app)}
    assert set(sent) == {cast.emails["organiser"], cast.emails["bruno"], cast.emails["chloe"], "gaelle@exemple.ca"}
    english, french = sent[cast.emails["chloe"]], sent[cast.emails["bruno"]]
    assert english["subject"] == "Invitation: Rencontre sur l'approvisionnement responsable"
    assert "You are invited" in english["body"] and "(Central European Time (Paris))" in english["body"], "in her zone"
    assert french["subject"] == "Invitation : Rencontre sur l'approvisionnement responsable"
    assert "Vous êtes invité à « Rencontre sur l'approvisionnement responsable » (Économie sociale municipale)." in french["body"]
    uids = set()
    for message in sent.values():
        assert message["attachment_type"].startswith("text/calendar") and "method=REQUEST" in message["attachment_type"]
        calendar = Calendar.from_ical(message["attachment"])
        assert str(calendar["METHOD"]) == "REQUEST"
        (event,) = calendar.walk("VEVENT")
        uids.add(str(event["UID"]))
        assert int(event["SEQUENCE"]) == 0
        assert event.decoded("DTSTART") == datetime.fromisoformat(poll["slots"][2]["start"])
        assert event["DTSTART"].params["TZID"] == "America/Toronto"
    assert len(uids) == 1, "one meeting, one UID in every invitation"

    # Chosen once: a second choice is refused and changes nothing.
    before = count_rows(app)
    again = client.post(f"/api/v1/polls/{poll['id']}/finalize", json={"slot_id": poll["slots"][0]["id"]}, headers=auth(cast, "organiser"))
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "poll_finalized"
    assert count_rows(app) == before


def test_only_the_organiser_or_a_facilitator_chooses_the_slot(app, client, cast, factory):
    poll = create_poll(client, cast, who="bruno").get_json()
    refused = client.post(f"/api/v1/polls/{poll['id']}/finalize", json={"slot_id": poll["slots"][0]["id"]}, headers=auth(cast, "chloe"))
    assert refused.status_code == 403
    # Ana is the community's facilitator: she may choose for Bruno.
    assert _finalize(client, cast, poll, who="organiser")


def test_the_poll_page_chooses_the_slot_and_shows_the_meeting(app, client, cast):
    poll = create_poll(client, cast).get_json()
    login(client, cast.emails["organiser"])
    response = client.post(f"/polls/{poll['id']}/finalize", data={"slot_id": poll["slots"][1]["id"]})
    assert response.status_code == 302 and "/meetings/" in response.headers["Location"]
    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Rencontre sur l&#39;approvisionnement responsable" in html
    assert "https://zoom.example/j/123" in html
    ics = client.get(response.headers["Location"] + ".ics")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    assert Calendar.from_ical(ics.data).walk("VEVENT")


def test_attendance_answers_are_counted_and_can_change(app, client, cast):
    meeting_id = _finalize(client, cast, create_poll(client, cast).get_json())
    for who, response in (("bruno", "going"), ("chloe", "maybe")):
        other = app.test_client()
        login(other, cast.emails[who])
        assert other.post(f"/meetings/{meeting_id}/attendance", data={"response": response}).status_code == 302
    data = client.get(f"/api/v1/meetings/{meeting_id}", headers=auth(cast, "organiser")).get_json()
    assert data["attendance"] == {"going": 1, "maybe": 1, "notgoing": 0}
    chloe = app.test_client()
    login(chloe, cast.emails["chloe"])
    chloe.post(f"/meetings/{meeting_id}/attendance", data={"response": "notgoing"})
    data = client.get(f"/api/v1/meetings/{meeting_id}", headers=auth(cast, "chloe")).get_json()
    assert data["attendance"] == {"going": 1, "maybe": 0, "notgoing": 1} and data["my_attendance"] == "notgoing"
    # Nonsense is refused and changes nothing.
    before = count_rows(app)
    chloe.post(f"/meetings/{meeting_id}/attendance", data={"response": "peut-être-bien"})
    assert count_rows(app) == before
    # The observer reads only.
    observer = app.test_client()
    login(observer, cast.emails["observer"])
    assert observer.post(f"/meetings/{meeting_id}/attendance", data={"response": "going"}).status_code == 403


def test_open_agenda_is_ordered_by_support(app, client, cast):
    meeting_id = _finalize(client, cast, create_poll(client, cast).get_json())
    bruno, chloe = app.test_client(), app.test_client()
    login(bruno, cast.emails["bruno"])
    login(chloe, cast.emails["chloe"])
    bruno.post(f"/meetings/{meeting_id}/agenda", data={"title": "Règlement sur l'habitation communautaire"})
    chloe.post(f"/meetings/{meeting_id}/agenda", data={"title": "Clauses sociales dans les appels d'offres", "details": "Voir #resource-1"})
    page = bruno.get(f"/meetings/{meeting_id}").get_data(as_text=True)
    assert page.index("Règlement sur l&#39;habitation") < page.index("Clauses sociales"), "one support each: oldest first"

    from hub.extensions import db
    from hub.meetings.models import AgendaItem

    with app.app_context():
        clauses = db.session.execute(sa.select(AgendaItem).where(AgendaItem.title.like("Clauses%"))).scalar_one().id
    login(client, cast.emails["organiser"])
    assert client.post(f"/agenda/{clauses}/support").status_code == 302
    bruno.post(f"/agenda/{clauses}/support")
    page = bruno.get(f"/meetings/{meeting_id}").get_data(as_text=True)
    assert page.index("Clauses sociales") < page.index("Règlement sur l&#39;habitation"), "three supports come first"
    # Support is a toggle: Bruno withdraws his, and Ana hers: back to one each.
    bruno.post(f"/agenda/{clauses}/support")
    client.post(f"/agenda/{clauses}/support")
    page = bruno.get(f"/meetings/{meeting_id}").get_data(as_text=True)
    assert page.index("Règlement sur l&#39;habitation") < page.index("Clauses sociales")
    # An empty topic is refused with a message; nothing is added.
    before = count_rows(app)
    response = bruno.post(f"/meetings/{meeting_id}/agenda", data={"title": "   "}, follow_redirects=True)
    assert "Name the topic." in response.get_data(as_text=True) or "sujet" in response.get_data(as_text=True).lower()
    assert count_rows(app) == before


def test_follow_up_items_are_listed_on_the_community_page_until_done(app, client, cast):
    meeting_id = _finalize(client, cast, create_poll(client, cast).get_json())
    bruno = app.test_client()
    login(bruno, cast.emails["bruno"])
    response = bruno.post(f"/meetings/{meeting_id}/follow-ups", data={"what": "Partager le gabarit de clause sociale", "who": "Bruno", "due": "2027-01-15"})
    assert response.status_code == 302
    community = bruno.get(f"/c/{cast.slug}").get_data(as_text=True)
    assert "Partager le gabarit de clause sociale" in community
    from hub.extensions import db
    from hub.meetings.models import FollowUp

    with app.app_context():
        item = db.session.execute(sa.select(FollowUp)).scalar_one().id
    assert bruno.post(f"/follow-ups/{item}/done").status_code == 302
    page = bruno.get(f"/c/{cast.slug}").get_data(as_text=True)
    panel = page[page.index('data-testid="community-meetings"'):]
    assert "Partager le gabarit de clause sociale" not in panel[:panel.index("</section>")]  # the feed still tells it was done


def test_a_guest_takes_part_only_in_meetings_they_are_invited_to(app, client, cast, factory):
    _gid, guest_email = factory.user("Nadia Lavoie", organization="Ministère de l'Économie")
    factory.add_member(cast.slug, guest_email, "guest")
    guest_token = factory.token(guest_email)
    from hub.extensions import db
    from hub.accounts.models import User

    with app.app_context():
        guest_id = db.session.execute(sa.select(User.id).where(User.email == guest_email)).scalar_one()
    everyone = create_poll(client, cast).get_json()
    invited = create_poll(client, cast, invitees={"community": False, "users": [guest_id, cast.ids["bruno"]]}).get_json()
    headers = {"Authorization": f"Bearer {guest_token}"}
    slot = everyone["slots"][0]["id"]
    assert client.put(f"/api/v1/polls/{everyone['id']}/answers", json={"answers": {str(slot): "yes"}}, headers=headers).status_code == 403
    slot = invited["slots"][0]["id"]
    assert client.put(f"/api/v1/polls/{invited['id']}/answers", json={"answers": {str(slot): "yes"}}, headers=headers).status_code == 200

    open_meeting = _finalize(client, cast, everyone)
    guest_meeting = _finalize(client, cast, invited)
    guest = app.test_client()
    login(guest, guest_email)
    assert guest.get(f"/meetings/{open_meeting}").status_code == 200, "guests read the community's calendar"
    assert guest.post(f"/meetings/{open_meeting}/agenda", data={"title": "Une question"}).status_code == 403
    assert guest.post(f"/meetings/{guest_meeting}/agenda", data={"title": "Programme de financement"}).status_code == 302
    invited_to = {m["to"] for m in emails(app) if m["subject"].startswith("Invitation")}
    assert guest_email in invited_to
    assert sum(1 for m in emails(app) if m["to"] == guest_email and m["subject"].startswith("Invitation")) == 1


def _make_meeting(app, cast, start_in, **fields):
    from hub.accounts.models import User
    from hub.communities.models import Community
    from hub.extensions import db
    from hub.meetings import service
    from hub.timeutil import utcnow

    with app.test_request_context():
        community = db.session.execute(sa.select(Community).where(Community.slug == cast.slug)).scalar_one()
        organiser = db.session.get(User, cast.ids["organiser"])
        start = utcnow().replace(microsecond=0) + start_in
        meeting = service.create_meeting(community, organiser, title=fields.pop("title", "Rencontre mensuelle"), start=start,
                                         end=start + timedelta(hours=1), tz_name="America/Toronto", **fields)
        db.session.commit()
        return meeting.id


def _run_reminders(app, at=None):
    from hub.meetings.service import queue_due_reminders

    with app.test_request_context():
        return queue_due_reminders(now=at)


def test_reminders_go_out_once_per_person_at_the_hour_they_chose(app, client, cast):
    from hub.timeutil import utcnow

    meeting_id = _make_meeting(app, cast, timedelta(hours=30))
    _clear_outbox(app)
    assert _run_reminders(app) == 0, "30 hours ahead: nobody's reminder is due yet"

    # Chloé wants hers 48 h before; Bruno turns his off on the account page.
    chloe = app.test_client()
    login(chloe, cast.emails["chloe"])
    assert chloe.post("/account/calendar", data={"reminder_hours": "48"}).status_code == 302
    bruno = app.test_client()
    login(bruno, cast.emails["bruno"])
    assert bruno.post("/account/calendar", data={"reminder_hours": "0"}).status_code == 302
    assert bruno.post("/account/calendar", data={"reminder_hours": "7"}).status_code == 422, "only the offered choices"
    assert _run_reminders(app) == 1
    (message,) = emails(app)
    assert message["to"] == cast.emails["chloe"] and message["subject"].startswith("Reminder")

    # Six hours later, 24 h before: the organiser (default 24 h) gets hers; nobody gets two.
    later = utcnow() + timedelta(hours=6, minutes=5)
    assert _run_reminders(app, at=later) == 1
    assert _run_reminders(app, at=later + timedelta(minutes=5)) == 0
    recipients = [m["to"] for m in emails(app)]
    assert sorted(recipients) == sorted([cast.emails["chloe"], cast.emails["organiser"]])
    assert all(m["to"] != cast.emails["bruno"] for m in emails(app))
    reminder = next(m for m in emails(app) if m["to"] == cast.emails["organiser"])
    assert f"/meetings/{meeting_id}" in reminder["body"]


def test_no_reminder_for_a_cancelled_meeting_or_someone_not_going(app, client, cast):
    cancelled = _make_meeting(app, cast, timedelta(hours=10), title="Annulée")
    kept = _make_meeting(app, cast, timedelta(hours=10), title="Maintenue")
    login(client, cast.emails["organiser"])
    assert client.post(f"/meetings/{cancelled}/cancel").status_code == 302
    bruno = app.test_client()
    login(bruno, cast.emails["bruno"])
    bruno.post(f"/meetings/{kept}/attendance", data={"response": "notgoing"})
    _clear_outbox(app)
    _run_reminders(app)
    sent = emails(app)
    assert {m["to"] for m in sent} == {cast.emails["organiser"], cast.emails["chloe"]}
    assert all("Maintenue" in m["subject"] for m in sent)


def test_the_worker_queues_reminders_and_sends_them_through_the_outbox(app, cast):
    """The email worker's periodic step queues the reminders; the outbox delivers them later."""
    from hub.notifications.mail import PERIODIC, run_periodic

    _make_meeting(app, cast, timedelta(hours=2))
    _clear_outbox(app)
    assert "meeting-reminders" in PERIODIC
    with app.app_context():
        run_periodic(app, {})
    assert {m["to"] for m in emails(app)} == {cast.emails["organiser"], cast.emails["bruno"], cast.emails["chloe"]}


@pytest.mark.parametrize("engine", ["whoosh"])
def test_meetings_are_found_by_search_by_members_only(app, client, cast, engine):
    meeting_id = _finalize(client, cast, create_poll(client, cast, title="Gestion des parcs et matières résiduelles").get_json())
    bruno = app.test_client()
    login(bruno, cast.emails["bruno"])
    bruno.post(f"/meetings/{meeting_id}/agenda", data={"title": "Revitalisation des artères commerciales"})
    from hub import search

    with app.app_context():
        search.apply_outbox()
    found = client.get("/api/v1/search?q=residuelles", headers=auth(cast, "chloe")).get_json()
    assert [(r["kind"], r["id"]) for r in found["results"]] == [("meeting", meeting_id)]
    found = client.get("/api/v1/search?q=artere commerciale", headers=auth(cast, "chloe")).get_json()
    assert [(r["kind"], r["id"]) for r in found["results"]] == [("meeting", meeting_id)], "agenda topics are searched too"
    nothing = client.get("/api/v1/search?q=residuelles", headers=auth(cast, "outsider")).get_json()
    assert nothing["total"] == 0 and nothing["results"] == []


def test_references_in_descriptions_are_links_on_pages_in_emails_and_titles_in_calendars(app, client, cast):
    from tests.conftest import login

    resource = client.post(f"/api/v1/communities/{cast.slug}/resources", data={
        "url": "https://exemple.ca/guide", "title": "Guide d'achat local", "type": "tool"}, headers=auth(cast, "organiser"),
        content_type="multipart/form-data")
    assert resource.status_code == 201, resource.get_data(as_text=True)
    rid = resource.get_json()["id"]
    description = f"Lire #ressource-{rid} avant, et #resource-{rid} encore. <b>gras</b> #ressource-999999"
    poll = create_poll(client, cast, description=description).get_json()

    page = client.application.test_client()
    login(page, cast.emails["bruno"])
    html = page.get(f"/polls/{poll['id']}").get_data(as_text=True)
    shown = html.split('data-testid="description"', 1)[1].split("</p>", 1)[0]
    assert shown.count(f'<a href="/resources/{rid}">Guide d&#39;achat local</a>') == 2
    assert "&lt;b&gt;gras&lt;/b&gt;" in shown and "#ressource-999999" in shown
    invited = [m for m in emails(app) if m["to"] == cast.emails["bruno"]][-1]
    assert f"Lire Guide d'achat local (http://localhost/resources/{rid}) avant" in invited["body"]

    _clear_outbox(app)
    meeting_id = _finalize(client, cast, poll, slot_index=0)
    html = page.get(f"/meetings/{meeting_id}").get_data(as_text=True)
    assert f'<a href="/resources/{rid}">Guide d&#39;achat local</a>' in html.split('data-testid="description"', 1)[1].split("</p>", 1)[0]
    sent = [m for m in emails(app) if m["to"] == cast.emails["bruno"]][-1]
    assert f"Guide d'achat local (http://localhost/resources/{rid})" in sent["body"]
    (event,) = Calendar.from_ical(sent["attachment"]).walk("VEVENT")
    assert str(event["DESCRIPTION"]).startswith("Lire Guide d'achat local avant, et Guide d'achat local encore.")


def test_write_the_minutes_starts_from_the_meeting(app, client, cast):
    import re

    meeting_id = _finalize(client, cast, create_poll(client, cast).get_json())
    bruno, chloe, ana = app.test_client(), app.test_client(), app.test_client()
    login(bruno, cast.emails["bruno"])
    login(chloe, cast.emails["chloe"])
    login(ana, cast.emails["organiser"])
    bruno.post(f"/meetings/{meeting_id}/attendance", data={"response": "going"})
    chloe.post(f"/meetings/{meeting_id}/attendance", data={"response": "maybe"})
    bruno.post(f"/meetings/{meeting_id}/agenda", data={"title": "Règlement sur l'habitation communautaire", "details": "Projet de Lévis"})
    page = ana.get(f"/meetings/{meeting_id}").get_data(as_text=True)
    link = re.search(r'href="([^"]+)" data-testid="write-minutes"', page).group(1).replace("&amp;", "&")
    form = ana.get(link).get_data(as_text=True)
    assert 'value="Compte rendu : Rencontre sur l&#39;approvisionnement responsable"' in form
    response = ana.post(link, data={"title": "Compte rendu : Rencontre sur l'approvisionnement responsable", "template": "minutes",
                                     "visibility": "community", "attached_to": f"meeting:{meeting_id}"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    note = client.get(f"/api/v1/meetings/{meeting_id}", headers=auth(cast, "organiser")).get_json()
    from hub.extensions import db
    from hub.notes.models import Note

    with app.app_context():
        body = db.session.execute(sa.select(Note.body).order_by(Note.id.desc())).scalars().first()
    assert body.startswith("**Rencontre sur l'approvisionnement responsable** — ")
    assert "h 00 (Heure de l'Est (Montréal, Toronto))" in body.split("\n", 1)[0]
    assert "## Présences\n\n- Bruno Gagnon\n" in body and "Peut-être : Chloé Tremblay" in body
    assert "## Ordre du jour\n\n1. Règlement sur l'habitation communautaire — Projet de Lévis\n" in body
    assert "## Décisions" in body and "## Suivis (quoi, qui, quand)" in body
    assert note["title"]
