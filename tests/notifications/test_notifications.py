"""Notifications as people get them: the centre and its badge, per-community preferences, emails in
the recipient's language with an unsubscribe link and the list headers mail providers read (one-click
unsubscribe), digests, and an SMTP outage that loses nothing and sends nothing twice."""
import email
import email.policy
import html
import re
import socket
import threading
import time
from datetime import timedelta

import pytest

from tests.api.spec import assert_matches_spec
from tests.conftest import link_in, login
from tests.discussions.conftest import auth, cast, emails, post_reply, start_thread  # noqa: F401  (cast is a fixture)


def _logged(app, cast, who):  # noqa: F811
    client = app.test_client()
    login(client, cast.emails[who])
    return client


def _slug_pref(client, cast, level, email_choice):  # noqa: F811
    page = client.get("/account/notifications").get_data(as_text=True)
    prefix = page.split('name="prefix" value="', 1)[1].split('"', 1)[0]
    return client.post("/account/notifications", data={
        "prefix": prefix, f"{prefix}-community": cast.slug, f"{prefix}-level": level, f"{prefix}-email": email_choice,
    })


def test_centre_badge_and_mark_read(app, client, cast):  # noqa: F811
    thread_id = start_thread(client, cast, body="Question pour @karim-benali")
    karim = _logged(app, cast, "karim")
    home = karim.get("/").get_data(as_text=True)
    assert '<span data-unread-count>1</span>' in home
    centre = karim.get("/notifications").get_data(as_text=True)
    assert "mentioned you in" in centre and "Approvisionnement responsable" in centre
    data = assert_matches_spec(client.get("/api/v1/notifications", headers=auth(cast, "karim")), "get", "/notifications")
    assert data["unread"] == 1 and data["notifications"][0]["event"] == "mention" and data["notifications"][0]["actor"] == "Julie Roy"
    # Reading the thread marks its notifications read, and the page it opens already counts them out.
    page = karim.get(f"/threads/{thread_id}").get_data(as_text=True)
    assert 'data-unread-badge hidden><span data-unread-count>0</span>' in page
    assert client.get("/api/v1/notifications", headers=auth(cast, "karim")).get_json()["unread"] == 0
    for _ in range(2):  # and so do the pages kept for Karim after it
        assert 'data-unread-badge hidden><span data-unread-count>0</span>' in karim.get(f"/threads/{thread_id}").get_data(as_text=True)
    post_reply(client, cast, thread_id, "Relance @karim-benali", who="julie")
    assert karim.post("/notifications/read").status_code == 302
    assert client.get("/api/v1/notifications?unread=1", headers=auth(cast, "karim")).get_json()["notifications"] == []
    assert client.get("/api/v1/notifications").status_code == 401


def test_watching_muted_and_thread_levels(app, client, cast):  # noqa: F811
    facilitator = _logged(app, cast, "facilitator")
    assert _slug_pref(facilitator, cast, "watching", "never").status_code == 302
    karim = _logged(app, cast, "karim")
    assert _slug_pref(karim, cast, "muted", "immediate").status_code == 302
    thread_id = start_thread(client, cast, body="Un mot pour @karim-benali")
    assert client.get("/api/v1/notifications", headers=auth(cast, "karim")).get_json()["total"] == 0
    watched = client.get("/api/v1/notifications", headers=auth(cast, "facilitator")).get_json()
    assert [n["event"] for n in watched["notifications"]] == ["new_thread"]
    assert not [m for m in emails(app) if m["to"] in (cast.emails["karim"], cast.emails["facilitator"])]

    # Julie started the thread: she watches it and hears of replies; muting the thread stops that.
    post_reply(client, cast, thread_id, "Première réponse", who="facilitator")
    assert client.get("/api/v1/notifications", headers=auth(cast, "julie")).get_json()["notifications"][0]["event"] == "new_post"
    julie = _logged(app, cast, "julie")
    assert julie.post(f"/threads/{thread_id}/subscription", data={"subscription-level": "muted"}).status_code == 302
    post_reply(client, cast, thread_id, "Deuxième réponse", who="facilitator")
    assert client.get("/api/v1/notifications", headers=auth(cast, "julie")).get_json()["total"] == 1
    assert julie.post(f"/threads/{thread_id}/subscription", data={"subscription-level": "loud"}).status_code == 422
    assert _slug_pref(julie, cast, "bruyant", "immediate").status_code == 422


def _email_choice(app, cast, who):
    """The person's email setting for the cast's community ("immediate" until they choose)."""
    from hub.accounts.models import User
    from hub.communities.service import by_slug
    from hub.extensions import db
    from hub.notifications.service import preference

    with app.app_context():
        choice = preference(db.session.get(User, cast.ids[who]), by_slug(cast.slug)).email
        db.session.remove()
    return choice


def _text(response):
    """A page's visible text, tags removed and spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def test_emails_in_the_recipients_language_and_unsubscribe_link(app, client, cast):  # noqa: F811
    thread_id = start_thread(client, cast, body="Bonjour @karim-benali et @sophie-gagnon")
    to_karim = [m for m in emails(app) if m["to"] == cast.emails["karim"]]
    to_sophie = [m for m in emails(app) if m["to"] == cast.emails["facilitator"]]
    assert to_karim[0]["subject"] == "Julie Roy mentioned you: Approvisionnement responsable"
    assert len(to_sophie) == 1 and "Julie Roy" in to_sophie[0]["subject"]  # in French, once the catalogue has it
    unsubscribe = [line for line in to_karim[0]["body"].splitlines() if "/notifications/unsubscribe/" in line][0]
    path = link_in(unsubscribe).replace("http://localhost", "")
    anonymous = app.test_client()
    # Opening the link (a person, or a mail scanner fetching every link) only asks.
    page = anonymous.get(path)
    assert page.status_code == 200 and "CP Économie sociale municipale" in page.get_data(as_text=True)
    assert 'data-testid="unsubscribe-confirm"' in page.get_data(as_text=True) and 'method="post"' in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert _email_choice(app, cast, "karim") == "immediate"
    assert anonymous.get(path[:-3] + "xyz").status_code == 404
    # A post without the one-click body does nothing; the page's button sends it.
    assert anonymous.post(path).status_code == 400
    assert _email_choice(app, cast, "karim") == "immediate"
    done = anonymous.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and 'data-testid="unsubscribed"' in done.get_data(as_text=True)
    assert _email_choice(app, cast, "karim") == "never" and _email_choice(app, cast, "facilitator") == "immediate"
    again = anonymous.get(path)  # the page now says it is done, with no button
    assert 'data-testid="unsubscribed"' in again.get_data(as_text=True) and "unsubscribe-confirm" not in again.get_data(as_text=True)
    before = len(emails(app))
    post_reply(client, cast, thread_id, "Encore @karim-benali", who="julie")
    assert cast.emails["karim"] not in [m["to"] for m in emails(app)[before:]]
    assert client.get("/api/v1/notifications", headers=auth(cast, "karim")).get_json()["total"] == 2  # still in the hub


def test_daily_and_weekly_digests(app, client, cast):  # noqa: F811
    from hub.extensions import db
    from hub.notifications.service import run_digests
    from hub.timeutil import utcnow

    karim = _logged(app, cast, "karim")
    assert _slug_pref(karim, cast, "normal", "daily").status_code == 302
    julie = _logged(app, cast, "julie")
    assert _slug_pref(julie, cast, "normal", "weekly").status_code == 302
    thread_id = start_thread(client, cast, body="Pour @karim-benali")
    post_reply(client, cast, thread_id, "Et encore @karim-benali", who="facilitator")
    assert not [m for m in emails(app) if m["to"] in (cast.emails["karim"], cast.emails["julie"])]
    with app.app_context():
        assert run_digests(app) == 0  # not a day yet
        assert run_digests(app, now=utcnow() + timedelta(days=1, minutes=1)) == 1
        db.session.remove()
    digest = [m for m in emails(app) if m["to"] == cast.emails["karim"]]
    assert len(digest) == 1 and digest[0]["subject"] == "Daily digest: 2 new in CP Économie sociale municipale"
    assert "Julie Roy mentioned you" in digest[0]["body"] and "Sophie Gagnon mentioned you" in digest[0]["body"]
    assert "/notifications/unsubscribe/" in digest[0]["body"]
    with app.app_context():
        assert run_digests(app, now=utcnow() + timedelta(days=8)) == 1  # Julie's week: the reply
        assert run_digests(app, now=utcnow() + timedelta(days=8, minutes=5)) == 0
        db.session.remove()
    weekly = [m for m in emails(app) if m["to"] == cast.emails["julie"]]
    assert len(weekly) == 1 and "Première réponse" not in weekly[0]["body"] and "Sophie Gagnon" in weekly[0]["body"]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    def __init__(self):
        self.messages = []
        self.raw = []  # the bytes as received, to see how headers were written on the wire
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            raw = envelope.original_content or envelope.content
            self.raw.append(raw)
            self.messages.append(email.message_from_bytes(raw, policy=email.policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_port():
    return _free_port()


def _start_smtp(port, inbox):
    from aiosmtpd.controller import Controller

    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller


def test_smtp_outage_loses_nothing_and_sends_nothing_twice(app, client, cast, smtp_port):  # noqa: F811
    from hub.notifications.mail import run_worker

    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_port, MAIL_RETRY_BASE_SECONDS=0.2, MAIL_SENDER="hub@exemple.ca")
    inbox = Inbox()
    server = _start_smtp(smtp_port, inbox)
    server.stop()  # the SMTP server is down

    stop = threading.Event()
    worker = threading.Thread(target=run_worker, args=(app, stop, 0.1), daemon=True)
    worker.start()
    try:
        thread_id = start_thread(client, cast, body="Pour @karim-benali et @sophie-gagnon")
        post_reply(client, cast, thread_id, "Relance à @karim-benali", who="facilitator")
        queued = emails(app)
        assert len(queued) == 4  # two mentions, then the mention of Karim and the reply to Julie
        time.sleep(1.0)  # the worker tries, fails, and backs off
        assert inbox.messages == []
        from hub.extensions import db
        from hub.notifications.models import OutgoingEmail

        with app.app_context():
            attempts = [m.attempts for m in db.session.query(OutgoingEmail)]
            assert all(a >= 1 for a in attempts) and all(m.sent_at is None for m in db.session.query(OutgoingEmail))
            db.session.remove()
        server = _start_smtp(smtp_port, inbox)  # back up
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(inbox.messages) < len(queued):
            time.sleep(0.1)
        time.sleep(1.0)  # time for a duplicate to show up, if the worker sent one
    finally:
        stop.set()
        worker.join(10)
        server.stop()
    ids = [m["Message-ID"] for m in inbox.messages]
    assert len(inbox.messages) == len(queued) and len(set(ids)) == len(ids)
    assert sorted((m["To"], m["Subject"]) for m in inbox.messages) == sorted((q["to"], q["subject"]) for q in queued)
    assert {m["From"] for m in inbox.messages} == {"hub@exemple.ca"}
    with app.app_context():
        from hub.extensions import db
        from hub.notifications.models import OutgoingEmail

        assert all(m.sent_at is not None for m in db.session.query(OutgoingEmail))
        db.session.remove()


def _header_line(raw, name):
    """The header's line(s) exactly as sent (with any folded continuation lines)."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    match = re.search(rb"^" + name.encode() + rb":[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*", head, re.M | re.I)
    assert match, (name, head)
    return match.group(0).decode("ascii")


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_list_headers_over_smtp_and_one_click_unsubscribe(app, client, cast, smtp_port):  # noqa: F811
    """What a mail provider sees and does: the list headers of an immediate email and of a digest,
    then the RFC 8058 one-click POST to the List-Unsubscribe address, without cookies or form token."""
    from hub.accounts.models import User
    from hub.communities.service import by_slug
    from hub.extensions import db
    from hub.notifications.mail import deliver_pending
    from hub.notifications.service import run_digests, set_preference
    from hub.timeutil import utcnow

    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_port, MAIL_SENDER="hub@exemple.ca")
    with app.app_context():
        set_preference(db.session.get(User, cast.ids["karim"]), by_slug(cast.slug), email="daily")
        db.session.commit()
        db.session.remove()
    inbox = Inbox()
    server = _start_smtp(smtp_port, inbox)
    try:
        start_thread(client, cast, body="Bonjour @karim-benali et @sophie-gagnon")  # Sophie: at once; Karim: his digest
        with app.app_context():
            assert run_digests(app, now=utcnow() + timedelta(days=1, minutes=1)) == 1
            assert deliver_pending(app) == 2
            db.session.remove()
    finally:
        server.stop()
    received = {m["To"]: (m, raw) for m, raw in zip(inbox.messages, inbox.raw)}
    links = {}
    for who in ("facilitator", "karim"):
        message, raw = received[cast.emails[who]]
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message["List-Id"] == f"CP Économie sociale municipale <{cast.slug}.localhost>"
        assert _header_line(raw, "List-Id") == f"List-Id: =?utf-8?q?CP_=C3=89conomie_sociale_municipale?= <{cast.slug}.localhost>"
        # One https (here http://localhost) address and no mailto: (the hub receives no email), on one line as sent.
        value = message["List-Unsubscribe"]
        assert re.fullmatch(r"<http://localhost/notifications/unsubscribe/[\w.-]+>", value), value
        assert _header_line(raw, "List-Unsubscribe") == f"List-Unsubscribe: {value}"
        assert value[1:-1] in message.get_content()  # the same link as the one in the text
        links[who] = value[1:-1].replace("http://localhost", "")
    assert received[cast.emails["karim"]][0]["Subject"] == "Daily digest: 1 new in CP Économie sociale municipale"

    provider = app.test_client()  # no session, no cookies
    assert provider.post("/account/notifications", data={}).status_code == 400  # other forms still need their token
    tampered = links["karim"][:-4] + ("aaaa" if not links["karim"].endswith("aaaa") else "bbbb")
    refused = provider.post(tampered, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert refused.status_code == 404 and 'data-testid="error-page"' in refused.get_data(as_text=True)
    assert _fr(app, "This unsubscribe link is not valid. You can choose which emails you receive in your notification settings.") in _text(refused)
    assert _email_choice(app, cast, "karim") == "daily" and _email_choice(app, cast, "facilitator") == "immediate"

    for attempt in range(2):  # providers may retry: the same answer, the same result
        done = provider.post(links["facilitator"], data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
        assert done.status_code == 200, done.get_data(as_text=True)[:500]
        assert _email_choice(app, cast, "facilitator") == "never" and _email_choice(app, cast, "karim") == "daily"
    done = provider.post(links["karim"], data={"List-Unsubscribe": "One-Click"}, content_type="multipart/form-data")
    assert done.status_code == 200 and _email_choice(app, cast, "karim") == "never"
    assert client.get("/api/v1/notifications", headers=auth(cast, "facilitator")).get_json()["total"] == 1  # still in the hub


def _fr(app, text, **values):
    """The French the hub shows for this message (the catalogue's, or the English text until it has one)."""
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale("fr_CA"):
        return gettext(text, **values)


def test_thread_invitation_has_its_own_wording(app, client, cast):  # noqa: F811
    """Nadia (a guest, in French) and Karim (in English) invited by Julie: the centre, the email and
    the digest say so, not that she mentioned them."""
    from hub.extensions import db
    from hub.notifications.service import run_digests
    from hub.timeutil import utcnow

    title, community = "Approvisionnement responsable", "CP Économie sociale municipale"
    thread_id = start_thread(client, cast, title=title, body="Qui a une politique d’achat responsable ?")
    julie = _logged(app, cast, "julie")
    for who in ("guest", "karim"):
        assert julie.post(f"/threads/{thread_id}/invite", data={"invite-user": str(cast.ids[who])}).status_code == 302

    for who in ("guest", "karim"):
        data = client.get("/api/v1/notifications", headers=auth(cast, who)).get_json()
        assert [(n["event"], n["actor"], n["title"]) for n in data["notifications"]] == [("thread_invitation", "Julie Roy", title)]
        assert data["notifications"][0]["excerpt"] == "Qui a une politique d’achat responsable ?"

    english = _text(_logged(app, cast, "karim").get("/notifications"))
    assert f"Julie Roy invited you to the discussion {title} {community}" in english and "mentioned" not in english
    french_page = _logged(app, cast, "guest").get("/notifications")
    assert 'lang="fr-CA"' in french_page.get_data(as_text=True)
    assert f"Julie Roy {_fr(app, 'invited you to the discussion')} {title} {community}" in _text(french_page)
    assert _fr(app, "mentioned you in") not in _text(french_page)

    sent = {m["to"]: m for m in emails(app)}
    to_karim, to_nadia = sent[cast.emails["karim"]], sent[cast.emails["guest"]]
    assert to_karim["subject"] == f"Julie Roy invited you to the discussion “{title}”"
    assert to_karim["body"].startswith(f"Julie Roy invited you to the discussion “{title}” ({community}):\n\nQui a une politique d’achat responsable ?")
    assert f"http://localhost/threads/{thread_id}" in to_karim["body"]
    assert to_nadia["subject"] == _fr(app, "%(actor)s invited you to the discussion “%(title)s”", actor="Julie Roy", title=title)
    assert to_nadia["body"].startswith(_fr(app, "%(name)s invited you to the discussion “%(title)s” (%(community)s):",
                                           name="Julie Roy", title=title, community=community))
    assert "Préférences de notification :" in to_nadia["body"]  # the French catalogue is the one used

    # In the digests too.
    assert _slug_pref(_logged(app, cast, "karim"), cast, "normal", "daily").status_code == 302
    assert _slug_pref(_logged(app, cast, "guest"), cast, "normal", "daily").status_code == 302
    other = start_thread(client, cast, title="Habitation communautaire", body="Un règlement à partager.")
    for who in ("guest", "karim"):
        assert julie.post(f"/threads/{other}/invite", data={"invite-user": str(cast.ids[who])}).status_code == 302
    before = len(emails(app))
    with app.app_context():
        assert run_digests(app, now=utcnow() + timedelta(days=1, minutes=1)) == 2
        db.session.remove()
    digests = {m["to"]: m["body"] for m in emails(app)[before:]}
    assert "- Julie Roy invited you to the discussion: Habitation communautaire\n" in digests[cast.emails["karim"]]
    line = _fr(app, "%(actor)s %(action)s: %(title)s", actor="Julie Roy", action=_fr(app, "invited you to the discussion"),
               title="Habitation communautaire")
    assert f"- {line}\n" in digests[cast.emails["guest"]] and "Un règlement à partager." in digests[cast.emails["guest"]]
