"""Notifications as people get them: the centre and its badge, per-community preferences, emails in
the recipient's language with a one-click unsubscribe link, digests, and an SMTP outage that loses
nothing and sends nothing twice."""
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
    karim.get(f"/threads/{thread_id}")  # reading the thread marks its notifications read
    assert client.get("/api/v1/notifications", headers=auth(cast, "karim")).get_json()["unread"] == 0
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


def _text(response):
    """A page's visible text, tags removed and spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def test_emails_in_the_recipients_language_and_one_click_unsubscribe(app, client, cast):  # noqa: F811
    thread_id = start_thread(client, cast, body="Bonjour @karim-benali et @sophie-gagnon")
    to_karim = [m for m in emails(app) if m["to"] == cast.emails["karim"]]
    to_sophie = [m for m in emails(app) if m["to"] == cast.emails["facilitator"]]
    assert to_karim[0]["subject"] == "Julie Roy mentioned you: Approvisionnement responsable"
    assert len(to_sophie) == 1 and "Julie Roy" in to_sophie[0]["subject"]  # in French, once the catalogue has it
    unsubscribe = [line for line in to_karim[0]["body"].splitlines() if "/notifications/unsubscribe/" in line][0]
    url = link_in(unsubscribe)
    anonymous = app.test_client()
    page = anonymous.get(url.replace("http://localhost", ""))
    assert page.status_code == 200 and "CP Économie sociale municipale" in page.get_data(as_text=True)
    assert anonymous.get(url.replace("http://localhost", "")[:-3] + "xyz").status_code == 404
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
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default))
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
