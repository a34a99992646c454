"""Meetings end to end, in four browsers: the organiser proposes three slots through the grid, two
members and a guest without an account answer (one of them on a phone), the organiser plans the
meeting on the best slot, and it appears on the community calendar and in a member's private feed."""
import os
import re
import urllib.request
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from .conftest import log_in
from .test_accessibility import BLOCKING, describe, scan

pytestmark = pytest.mark.browser

ORGANISER = "ana@exemple.ca"
BRUNO = "bruno@exemple.ca"
CHLOE = "chloe@exemple.ca"
GUEST = "dora@exemple.ca"
TITLE = "Rencontre d'automne : achats responsables"
ZONE = ZoneInfo("America/Toronto")  # everyone's zone (the default), and the poll's
PHONE = {"width": 390, "height": 844}
LABELS = {"yes": "Oui", "ifneedbe": "Si nécessaire", "no": "Non"}
# Answers per proposed slot (in the order of the slots): the second slot is the best one,
# three people available, two of them with a plain yes.
ANSWERS = {
    "Bruno Gagnon": ["no", "yes", "ifneedbe"],
    "Chloé Tremblay": ["yes", "yes", "no"],
    "Dora Roy": ["ifneedbe", "ifneedbe", "yes"],
}
BEST = 1


@pytest.fixture(scope="module")
def community(live_server):
    factory = live_server.factory()
    factory.user("Ana Lima", ORGANISER, organization="Ville de Laval")
    factory.user("Bruno Gagnon", BRUNO, organization="Ville de Lévis")
    factory.user("Chloé Tremblay", CHLOE, organization="TIESS")
    slug = factory.community(ORGANISER, "Économie sociale et municipalités", visibility="private",
                             mission="Partager nos bons et mauvais coups.")
    factory.add_member(slug, BRUNO)
    factory.add_member(slug, CHLOE)
    return slug


def screenshot_folder(tmp_path):
    folder = Path(os.environ.get("HUB_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def page_overflow(page):
    return page.evaluate("document.documentElement.scrollWidth") - page.evaluate("window.innerWidth")


def blocking(page, label):
    return describe(label, [v for v in scan(page) if v["impact"] in BLOCKING])


def answer_poll(page, choices):
    """Tick one radio per slot row (clicking its label, as a person would) and check it took."""
    rows = page.get_by_test_id("poll-slot")
    expect(rows).to_have_count(len(choices))
    for index, value in enumerate(choices):
        radio = rows.nth(index).get_by_test_id(f"answer-{value}")
        radio.locator("xpath=ancestor::label[1]").click()
        expect(radio).to_be_checked()


def expect_answers_shown(page, names):
    """The table of answers has one column per person who answered, with their answer per slot."""
    headers = page.get_by_test_id("respondent")
    expect(headers).to_have_count(len(names))
    shown = [text.strip() for text in headers.all_inner_texts()]
    assert sorted(shown) == sorted(names), shown
    rows = page.get_by_test_id("poll-slot")
    for row in range(rows.count()):
        cells = rows.nth(row).get_by_test_id("person-answer")
        expect(cells).to_have_count(len(names))
        for column, name in enumerate(shown):
            value = ANSWERS[name][row]
            expect(cells.nth(column)).to_have_attribute("data-answer", value)
            expect(cells.nth(column)).to_have_text(LABELS[value])


def test_poll_answered_by_members_and_a_guest_becomes_a_meeting_in_calendar_and_feed(live_server, community, new_context, tmp_path):
    shots = screenshot_folder(tmp_path)
    today = datetime.now(ZONE).date()
    first_day, second_day = today + timedelta(days=9), today + timedelta(days=10)
    # The three slots, in order: day 1 at 9:30, day 1 at 13:00, day 2 at 9:30 (day 2 at 13:00 is unticked).
    slot_starts = [datetime.combine(first_day, datetime.min.time().replace(hour=9, minute=30), ZONE),
                   datetime.combine(first_day, datetime.min.time().replace(hour=13), ZONE),
                   datetime.combine(second_day, datetime.min.time().replace(hour=9, minute=30), ZONE)]

    # --- The organiser proposes the poll from the community calendar. ---------------------------
    ana = new_context().new_page()
    log_in(ana, ORGANISER)
    ana.goto(f"/c/{community}")
    with ana.expect_navigation():
        ana.get_by_test_id("nav-calendar").click()
    with ana.expect_navigation():
        ana.get_by_test_id("new-poll").click()
    assert ana.url.endswith(f"/c/{community}/polls/new")
    form = ana.get_by_test_id("poll-form")
    form.locator("#title").fill(TITLE)
    form.locator("#description").fill("Bilan des achats de l'année et projets pour l'hiver.")
    form.locator("#duration_minutes").select_option("90")
    form.locator("#location").fill("Hôtel de ville de Laval, salle 2")
    expect(form.locator("#timezone")).to_have_value("America/Toronto")
    form.get_by_test_id("poll-date").nth(0).fill(first_day.isoformat())
    form.get_by_test_id("poll-date").nth(1).fill(second_day.isoformat())
    form.get_by_test_id("poll-time").nth(0).fill("09:30")
    form.get_by_test_id("poll-time").nth(1).fill("13:00")
    expect(form.get_by_test_id("poll-grid")).to_have_count(0)
    with ana.expect_navigation():
        form.get_by_test_id("poll-preview").click()
    # The grid: 2 days × 2 start times, every cell ticked; the fields keep what was typed.
    form = ana.get_by_test_id("poll-form")
    expect(form.locator("#title")).to_have_value(TITLE)
    grid = form.get_by_test_id("poll-grid")
    expect(grid.locator("tbody tr")).to_have_count(2)
    expect(grid.locator("input[name=slot]")).to_have_count(4)
    for cell in grid.locator("input[name=slot]").all():
        expect(cell).to_be_checked()
    unwanted = grid.locator(f"input[value='{second_day.isoformat()}T13:00']")
    unwanted.uncheck()
    expect(unwanted).not_to_be_checked()
    expect(form.locator("input[name=invite][value=all]")).to_be_checked()
    form.locator("#guests").fill(GUEST)
    ana.screenshot(path=str(shots / "poll-new-grid-1280.png"), full_page=True)
    with ana.expect_navigation():
        form.get_by_test_id("poll-submit").click()
    assert re.search(r"/polls/\d+$", ana.url), ana.url
    poll_path = ana.url.removeprefix(live_server.url)
    expect(ana.get_by_test_id("poll-title")).to_have_text(TITLE)
    expect(ana.locator(".flashes .alert--success")).to_have_count(1)
    rows = ana.get_by_test_id("poll-slot")
    expect(rows).to_have_count(3)
    expect(ana.get_by_test_id("respondent")).to_have_count(0)
    expect(ana.get_by_test_id("best-slot")).to_have_count(0)

    # Everyone is invited by email: the members with a link to the poll, the guest with a personal link.
    mails = {mail["to"]: mail for mail in live_server.outbox() if TITLE in mail["subject"]}
    assert set(mails) == {BRUNO, CHLOE, GUEST}, sorted(mails)
    assert live_server.link_in(mails[BRUNO]["body"]) == live_server(poll_path)
    guest_link = live_server.link_in(mails[GUEST]["body"])
    assert re.fullmatch(re.escape(live_server.url) + r"/p/[\w-]+", guest_link), guest_link

    # --- Bruno answers on a desktop. --------------------------------------------------------------
    bruno = new_context().new_page()
    log_in(bruno, BRUNO)
    bruno.goto(poll_path)
    answer_poll(bruno, ANSWERS["Bruno Gagnon"])
    bruno.get_by_test_id("poll-answer").locator("#comment").fill("Le matin, je suis au conseil.")
    with bruno.expect_navigation():
        bruno.get_by_test_id("save-answers").click()
    expect(bruno.locator(".flashes .alert--success")).to_have_count(1)
    expect_answers_shown(bruno, ["Bruno Gagnon"])
    for index, value in enumerate(ANSWERS["Bruno Gagnon"]):  # his answers stay ticked, to be changed later
        expect(bruno.get_by_test_id("poll-slot").nth(index).get_by_test_id(f"answer-{value}")).to_be_checked()
    expect(bruno.get_by_test_id("poll-answer")).to_contain_text("Le matin, je suis au conseil.")

    # --- Chloé answers on a phone: the page fits, the radios are large enough and on screen. --------
    chloe = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    log_in(chloe, CHLOE)
    chloe.goto(poll_path)
    assert page_overflow(chloe) <= 0, f"the poll page scrolls sideways on a phone ({page_overflow(chloe)}px)"
    rows = chloe.get_by_test_id("poll-slot")
    for index in range(3):
        for value in LABELS:
            label = rows.nth(index).get_by_test_id(f"answer-{value}").locator("xpath=ancestor::label[1]")
            label.scroll_into_view_if_needed()
            box = label.bounding_box()
            assert box["height"] >= 24 and box["width"] >= 24, f"answer {value} of slot {index + 1} is too small: {box}"
            assert 0 <= box["x"] and box["x"] + box["width"] <= PHONE["width"], f"answer {value} of slot {index + 1} is off screen: {box}"
    chloe.screenshot(path=str(shots / "poll-answer-390.png"), full_page=True)
    for index, value in enumerate(ANSWERS["Chloé Tremblay"]):
        rows.nth(index).get_by_test_id(f"answer-{value}").tap()
        expect(rows.nth(index).get_by_test_id(f"answer-{value}")).to_be_checked()
    with chloe.expect_navigation():
        chloe.get_by_test_id("save-answers").tap()
    expect(chloe.locator(".flashes .alert--success")).to_have_count(1)
    expect_answers_shown(chloe, ["Bruno Gagnon", "Chloé Tremblay"])
    assert page_overflow(chloe) <= 0, f"the answered poll scrolls sideways on a phone ({page_overflow(chloe)}px)"
    chloe.screenshot(path=str(shots / "poll-answered-390.png"), full_page=True)

    # --- Dora, a guest without an account, answers through her personal link. ----------------------
    dora = new_context().new_page()
    dora.goto(guest_link)
    expect(dora.get_by_test_id("poll-title")).to_have_text(TITLE)
    expect(dora.get_by_test_id("logout")).to_have_count(0)
    answer_poll(dora, ANSWERS["Dora Roy"])
    dora.get_by_test_id("poll-answer").locator("#name").fill("Dora Roy")
    with dora.expect_navigation():
        dora.get_by_test_id("save-answers").click()
    assert dora.url == guest_link
    expect(dora.locator(".flashes .alert--success")).to_have_count(1)
    expect_answers_shown(dora, ["Bruno Gagnon", "Chloé Tremblay", "Dora Roy"])

    # --- The organiser sees the tallies and the best slot highlighted. ------------------------------
    ana.reload()
    names = ["Bruno Gagnon", "Chloé Tremblay", "Dora Roy"]
    expect_answers_shown(ana, names)
    rows = ana.get_by_test_id("poll-slot")
    for index in range(3):
        column = [ANSWERS[name][index] for name in names]
        for value, testid in (("yes", "tally-yes"), ("ifneedbe", "tally-ifneedbe"), ("no", "tally-no")):
            expect(rows.nth(index).get_by_test_id(testid)).to_have_text(str(column.count(value)))
    expect(ana.get_by_test_id("best-slot")).to_have_count(1)
    expect(rows.nth(BEST).get_by_test_id("best-slot")).to_be_visible()
    expect(rows.nth(BEST)).to_have_class(re.compile(r"\bslot--best\b"))
    best_background = rows.nth(BEST).evaluate("row => getComputedStyle(row.querySelector('th')).backgroundColor")
    other_background = rows.nth(0).evaluate("row => getComputedStyle(row.querySelector('th')).backgroundColor")
    assert best_background != other_background, "the best slot's row is not highlighted"
    ana.screenshot(path=str(shots / "poll-organiser-1280.png"), full_page=True)

    # The finalize form offers the best slot first, already chosen; the organiser plans the meeting.
    choice = ana.get_by_test_id("finalize-form").get_by_test_id("finalize-slot").first
    expect(choice).to_be_checked()
    best_id = choice.get_attribute("value")
    expect(ana.get_by_test_id("finalize-form").locator(f"label[for=finalize-{best_id}]")).to_contain_text("meilleur")
    with ana.expect_navigation():
        ana.get_by_test_id("finalize").click()
    assert re.search(r"/meetings/\d+$", ana.url), ana.url
    meeting_path = ana.url.removeprefix(live_server.url)
    expect(ana.get_by_test_id("meeting-title")).to_have_text(TITLE)
    start = slot_starts[BEST]
    expect(ana.get_by_test_id("meeting-when")).to_contain_text(re.compile(r"13\s*h\s*00|13:00"))
    expect(ana.get_by_test_id("meeting-when")).to_contain_text(str(start.day))
    expect(ana.get_by_test_id("meeting-when")).to_contain_text(re.compile(r"14\s*h\s*30|14:30"))  # 90 minutes

    # Everyone invited receives the invitation, the guest too; the poll now says a slot was chosen.
    invited = {mail["to"] for mail in live_server.outbox() if mail["subject"].startswith("Invitation") and TITLE in mail["subject"]}
    assert {BRUNO, CHLOE, GUEST} <= invited, sorted(invited)
    dora.reload()
    expect(dora.get_by_test_id("poll-finalized")).to_be_visible()
    expect(dora.get_by_test_id("save-answers")).to_have_count(0)

    # --- The community calendar shows it, on its day and at its time. --------------------------------
    ana.goto(f"/c/{community}/calendar?month={start.strftime('%Y-%m')}")
    event = ana.get_by_test_id("calendar-event").filter(has_text=TITLE)
    expect(event).to_have_count(1)
    expect(event).to_contain_text(re.compile(r"13\s*h\s*00|13:00"))
    assert event.evaluate("a => a.closest('td').querySelector('.day-number').textContent.trim()") == str(start.day)
    assert event.get_attribute("href") == meeting_path
    ana.screenshot(path=str(shots / "calendar-1280.png"), full_page=True)
    ana.goto(f"/c/{community}/calendar?view=list")
    expect(ana.get_by_test_id("calendar-event").filter(has_text=TITLE)).to_have_count(1)
    expect(ana.get_by_test_id("open-polls")).to_have_count(0)  # the poll is no longer in progress

    # And on a phone: the month view fits.
    chloe.goto(f"/c/{community}/calendar?month={start.strftime('%Y-%m')}")
    expect(chloe.get_by_test_id("calendar-event").filter(has_text=TITLE)).to_have_count(1)
    assert page_overflow(chloe) <= 0, f"the calendar scrolls sideways on a phone ({page_overflow(chloe)}px)"
    chloe.screenshot(path=str(shots / "calendar-390.png"), full_page=True)

    # --- Bruno's private feed, read without cookies by a calendar app, has the meeting. ---------------
    bruno.goto("/account/calendar")
    expect(bruno.get_by_test_id("feed-url")).to_have_count(0)
    with bruno.expect_navigation():
        bruno.get_by_test_id("feed-create").click()
    feed_url = bruno.get_by_test_id("feed-url").input_value()
    assert feed_url.startswith(live_server.url + "/calendar/") and feed_url.endswith(".ics"), feed_url
    with urllib.request.urlopen(feed_url, timeout=10) as response:  # a fresh client: no session cookie
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/calendar")
        body = response.read()
    import icalendar

    events = [e for e in icalendar.Calendar.from_ical(body).walk("VEVENT") if str(e.get("SUMMARY")) == TITLE]
    assert len(events) == 1, body.decode()[:2000]
    dtstart, dtend = events[0].decoded("DTSTART"), events[0].decoded("DTEND")
    assert isinstance(dtstart, datetime) and dtstart.tzinfo is not None, dtstart
    assert dtstart == start, (dtstart, start)
    assert dtend - dtstart == timedelta(minutes=90)
    assert "Hôtel de ville de Laval" in str(events[0].get("LOCATION"))


def test_poll_and_calendar_pages_have_no_serious_violations_and_fit_a_phone(live_server, community, new_context, tmp_path):
    """axe on the poll form with its grid, the poll with answers (organiser and guest), the meeting and
    the calendar, all at phone width, where none of them may scroll sideways."""
    shots = screenshot_folder(tmp_path)
    # bypass_csp: axe is injected as an inline script (see axe_context in test_accessibility.py).
    page = new_context(bypass_csp=True, viewport=PHONE).new_page()
    log_in(page, ORGANISER)
    day = datetime.now(ZONE).date() + timedelta(days=20)
    report, overflowing = [], []

    def check(target, label):
        nonlocal report
        report += blocking(target, label)
        if page_overflow(target) > 0:
            overflowing.append(f"{label}: {page_overflow(target)}px too wide")

    page.goto(f"/c/{community}/polls/new")
    check(page, "/polls/new")
    form = page.get_by_test_id("poll-form")
    form.locator("#title").fill("Rencontre d'hiver")
    form.get_by_test_id("poll-date").first.fill(day.isoformat())
    form.get_by_test_id("poll-date").nth(1).fill((day + timedelta(days=1)).isoformat())
    for index, moment in enumerate(["09:00", "10:00", "15:00"]):
        form.get_by_test_id("poll-time").nth(index).fill(moment)
    with page.expect_navigation():
        form.get_by_test_id("poll-preview").click()
    expect(page.get_by_test_id("poll-grid").locator("input[name=slot]")).to_have_count(6)
    check(page, "/polls/new (grid)")
    page.get_by_test_id("poll-grid").screenshot(path=str(shots / "poll-new-grid-390.png"))
    form = page.get_by_test_id("poll-form")
    form.locator("#guests").fill("eve@exemple.ca")
    with page.expect_navigation():
        form.get_by_test_id("poll-submit").click()
    poll_path = page.url.removeprefix(live_server.url)
    answer_poll(page, ["yes", "ifneedbe", "no", "no", "yes", "yes"])
    with page.expect_navigation():
        page.get_by_test_id("save-answers").click()
    expect(page.get_by_test_id("best-slot")).to_have_count(3)  # three slots tie with one yes each
    check(page, poll_path)

    guest_mail = [m for m in live_server.outbox() if m["to"] == "eve@exemple.ca"][-1]
    guest = new_context(bypass_csp=True, viewport=PHONE).new_page()
    guest.goto(live_server.link_in(guest_mail["body"]))
    check(guest, "/p/<token>")

    with page.expect_navigation():
        page.get_by_test_id("finalize").click()
    check(page, "/meetings/<id>")
    for path in (f"/c/{community}/calendar?month={day.strftime('%Y-%m')}", f"/c/{community}/calendar?view=list", "/account/calendar"):
        page.goto(path)
        check(page, path)
    assert not report, "\n" + "\n".join(report)
    assert not overflowing, overflowing
