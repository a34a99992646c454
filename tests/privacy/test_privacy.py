"""A person's data: its export (JSON and files), the deletion of the account (keep or erase),
the privacy policy page and the retention purge."""
import hashlib
import io
import json
import zipfile
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import Factory, auth, login, make_cast

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64 + b"photo de Julie"
REPORT = "Bilan 2025 du marché public responsable de Lévis.\n".encode() * 20


@pytest.fixture
def cast(app, factory):
    people = {
        "sophie": factory.user("Sophie Gagnon", organization="Ville de Montréal"),
        "julie": factory.user("Julie Roy", organization="Ville de Lévis", bio="Conseillère en économie sociale"),
        "karim": factory.user("Karim Benali", organization="Ville de Laval"),
    }
    return make_cast(factory, people, "sophie", "CP Économie sociale municipale", {"julie": "member", "karim": "member"})


def browser(app, cast, who):
    client = app.test_client()
    login(client, cast.emails[who])
    return client


def api(client, cast, who, method, path, **kwargs):
    return client.open(f"/api/v1{path}", method=method, headers=auth(cast, who), **kwargs)


@pytest.fixture
def julies_things(app, client, cast):
    """Julie writes a thread, replies, reacts, shares a resource file, writes a private and a shared
    note, uploads a photo, answers a poll, says she attends a meeting and proposes a topic."""
    from hub.extensions import db
    from hub.meetings.models import AgendaItem, Meeting, MeetingAttendee, Poll, PollAnswer, PollInvitee, PollSlot
    from hub.communities import service as communities
    from hub.timeutil import utcnow

    things = {}
    response = api(client, cast, "julie", "POST", f"/communities/{cast.slug}/threads",
                   json={"title": "Clauses sociales dans les appels d'offres", "body": "Qui a une **politique d'achat** responsable ?"})
    assert response.status_code == 201, response.get_data(as_text=True)
    things["thread"] = response.get_json()["id"]
    response = api(client, cast, "karim", "POST", f"/threads/{things['thread']}/posts", json={"body": "Laval en a une depuis 2022."})
    things["karim_post"] = response.get_json()["id"]
    response = api(client, cast, "julie", "POST", f"/threads/{things['thread']}/posts", json={"body": "Merci Karim, je lis ça."})
    things["julie_reply"] = response.get_json()["id"]
    assert api(client, cast, "julie", "PUT", f"/posts/{things['julie_reply']}", json={"body": "Merci Karim, je lis ça ce soir."}).status_code == 200
    julie = browser(app, cast, "julie")
    assert julie.post(f"/posts/{things['karim_post']}/react", data={"emoji": "👍"}).status_code == 302
    response = api(client, cast, "julie", "POST", f"/communities/{cast.slug}/resources", content_type="multipart/form-data",
                   data={"title": "Bilan du marché public", "type": "report", "language": "fr", "file": (io.BytesIO(REPORT), "bilan-2025.txt")})
    assert response.status_code == 201, response.get_data(as_text=True)
    things["resource"] = response.get_json()["id"]
    response = api(client, cast, "julie", "POST", f"/communities/{cast.slug}/notes", json={"title": "Mes idées à moi", "body": "Parler à la MRC."})
    things["private_note"] = response.get_json()["id"]
    response = api(client, cast, "julie", "POST", f"/communities/{cast.slug}/notes",
                   json={"title": "Compte rendu partagé", "body": "Décisions de la rencontre.", "visibility": "community"})
    things["shared_note"] = response.get_json()["id"]
    response = julie.post("/account", content_type="multipart/form-data", data={
        "display_name": "Julie Roy", "timezone": "America/Toronto", "locale": "fr_CA", "avatar": (io.BytesIO(PNG), "moi.png")})
    assert response.status_code == 302
    with app.app_context():
        community = communities.by_slug(cast.slug)
        poll = Poll(community=community, organizer_id=cast.ids["sophie"], title="Rencontre de janvier", duration_minutes=60, timezone="America/Toronto")
        slot = PollSlot(poll=poll, start=utcnow() + timedelta(days=10), end=utcnow() + timedelta(days=10, hours=1))
        invitee = PollInvitee(poll=poll, user_id=cast.ids["julie"], comment="Le matin seulement", answered_at=utcnow())
        db.session.add_all([poll, slot, invitee])
        db.session.flush()
        db.session.add(PollAnswer(invitee=invitee, slot_id=slot.id, value="yes"))
        meeting = Meeting(community=community, uid="privacy-test@hub", title="Rencontre de février", start=utcnow() + timedelta(days=20),
                          end=utcnow() + timedelta(days=20, hours=1), timezone="America/Toronto", organizer_id=cast.ids["sophie"])
        db.session.add_all([meeting, MeetingAttendee(meeting=meeting, user_id=cast.ids["julie"], response="yes", responded_at=utcnow()),
                            AgendaItem(meeting=meeting, author_id=cast.ids["julie"], title="Les clauses sociales", details="Retour d'expérience")])
        db.session.commit()
        things["poll"], things["meeting"] = poll.id, meeting.id
    return things


def read_zip(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    return json.loads(archive.read("data.json")), archive


def audit_actions(app):
    from hub.audit import AuditEntry
    from hub.extensions import db

    with app.app_context():
        return [(e.action, e.actor_id, e.target_id, e.actor_label, e.target_label, e.details)
                for e in db.session.execute(sa.select(AuditEntry).order_by(AuditEntry.id)).scalars()]


# --- export ------------------------------------------------------------------------------------


def test_my_data_page_is_linked_from_the_account_and_works_without_javascript(app, cast):
    julie = browser(app, cast, "julie")
    assert 'href="/account/data"' in julie.get("/account").get_data(as_text=True)
    page = julie.get("/account/data").get_data(as_text=True)
    assert 'action="/account/data/export"' in page and 'action="/account/delete"' in page
    assert app.test_client().get("/account/data").status_code == 302  # log in first


def test_export_holds_everything_about_the_person_and_their_files(app, client, cast, julies_things):
    julie = browser(app, cast, "julie")
    data, archive = read_zip(julie.post("/account/data/export", data={"download": "1"}))

    account = data["account"]
    assert account["email"] == cast.emails["julie"] and account["display_name"] == "Julie Roy"
    assert account["organization"] == "Ville de Lévis" and account["bio"] == "Conseillère en économie sociale"
    assert archive.read(account["avatar"]) == PNG
    assert [(m["community"]["slug"], m["role"]) for m in data["memberships"]] == [(cast.slug, "member")]
    assert [t["name"] for t in data["api_tokens"]] == ["test"]
    assert all(set(t) == {"name", "prefix", "created_at", "last_used_at", "revoked_at"} for t in data["api_tokens"])
    everything = archive.read("data.json").decode()
    assert cast.tokens["julie"] not in everything  # never a secret

    assert [t["title"] for t in data["threads_started"]] == ["Clauses sociales dans les appels d'offres"]
    bodies = {p["id"]: p for p in data["posts"]}
    assert set(bodies) == {julies_things["julie_reply"], julies_things["julie_reply"] - 2}
    reply = bodies[julies_things["julie_reply"]]
    assert reply["body"] == "Merci Karim, je lis ça ce soir."
    assert [v["body"] for v in reply["earlier_versions"]] == ["Merci Karim, je lis ça."]
    assert data["reactions"] == [{"post_id": julies_things["karim_post"], "emoji": "👍"}]

    [resource] = data["resources"]
    assert resource["title"] == "Bilan du marché public"
    [version] = data["resource_versions"]
    assert version["filename"] == "bilan-2025.txt" and version["size"] == len(REPORT)
    assert version["sha256"] == hashlib.sha256(REPORT).hexdigest()
    assert archive.read(version["file"]) == REPORT

    notes = {n["title"]: n for n in data["notes"]}
    assert notes["Mes idées à moi"]["visibility"] == "private" and notes["Mes idées à moi"]["body"] == "Parler à la MRC."
    assert notes["Compte rendu partagé"]["visibility"] == "community"
    assert [r["number"] for r in notes["Compte rendu partagé"]["revisions"]] == [1]

    [answer] = data["poll_answers"]
    assert answer["poll"]["title"] == "Rencontre de janvier" and answer["comment"] == "Le matin seulement"
    assert [a["value"] for a in answer["answers"]] == ["yes"]
    [attendance] = data["meeting_attendance"]
    assert attendance["meeting"]["title"] == "Rencontre de février" and attendance["response"] == "yes"
    assert [t["title"] for t in data["agenda_topics"]] == ["Les clauses sociales"]
    # Karim's reply is not among her posts, only in the notification she received about it.
    assert [n["excerpt"] for n in data["notifications"]] == ["Laval en a une depuis 2022."]
    assert isinstance(data["notification_preferences"], list)
    # The export is in the audit log, and the next export lists that entry.
    assert [a for a in audit_actions(app) if a[0] == "account.export"][0][1] == cast.ids["julie"]
    data, _archive = read_zip(julie.post("/account/data/export", data={"download": "1"}))
    assert [e["action"] for e in data["audit_entries"]] == ["token.create", "account.export"]  # her API token, then the export


def test_export_of_a_new_account_is_small_and_valid(app, cast):
    data, archive = read_zip(browser(app, cast, "karim").post("/account/data/export", data={"download": "1"}))
    assert data["account"]["avatar"] is None
    assert data["posts"] == [] and data["resources"] == [] and data["notes"] == []
    assert archive.namelist() == ["data.json"]


# --- deletion ----------------------------------------------------------------------------------


def delete(app, cast, who, content, password=Factory.password):
    client = browser(app, cast, who)
    return client, client.post("/account/delete", data={"content": content, "password": password})


def count(app, model, **where):
    from hub.extensions import db

    with app.app_context():
        return db.session.execute(sa.select(sa.func.count()).select_from(model).filter_by(**where)).scalar_one()


def test_deleting_and_keeping_shows_a_former_member_to_the_others(app, client, cast, julies_things):
    from hub.accounts.models import ApiToken, User
    from hub.communities.models import Membership
    from hub.discussions.models import Reaction
    from hub.meetings.models import MeetingAttendee, PollAnswer, PollInvitee
    from hub.notes.models import Note

    other_browser = browser(app, cast, "julie")
    julie, response = delete(app, cast, "julie", "keep")
    assert response.status_code == 302
    assert julie.get("/account").status_code == 302  # signed out
    assert other_browser.get("/account").status_code == 302  # every session ends
    assert api(client, cast, "julie", "GET", "/me").status_code == 401  # token gone

    page = browser(app, cast, "karim").get(f"/threads/{julies_things['thread']}").get_data(as_text=True)
    assert "Merci Karim, je lis ça ce soir." in page and "Qui a une <strong>politique d'achat</strong>" in page
    assert "Julie Roy" not in page and page.count('<span class="post-author">Ex-membre</span>') == 2
    assert "Laval en a une depuis 2022." in page

    assert count(app, User, id=cast.ids["julie"]) == 0
    assert count(app, Membership, user_id=cast.ids["julie"]) == 0
    assert count(app, ApiToken, user_id=cast.ids["julie"]) == 0
    assert count(app, Reaction, user_id=cast.ids["julie"]) == 0
    assert count(app, PollInvitee, user_id=cast.ids["julie"]) == 0 and count(app, PollAnswer) == 0
    assert count(app, MeetingAttendee, user_id=cast.ids["julie"]) == 0
    assert count(app, Note, id=julies_things["private_note"]) == 0  # private notes always go
    karim = browser(app, cast, "karim")
    shared = karim.get(f"/notes/{julies_things['shared_note']}")
    assert shared.status_code == 200 and "Décisions de la rencontre." in shared.get_data(as_text=True)
    resource = karim.get(f"/resources/{julies_things['resource']}")
    assert resource.status_code == 200
    assert karim.get(f"/resources/{julies_things['resource']}/download").get_data() == REPORT

    # The audit log keeps the deletion, without the address.
    [entry] = [a for a in audit_actions(app) if a[0] == "account.delete"]
    assert entry[2] == cast.ids["julie"] and entry[5] == {"content": "keep"}
    assert cast.emails["julie"] not in entry[3] + entry[4]

    # The address may register again.
    again = app.test_client().post("/register", data={"email": cast.emails["julie"], "password": "une phrase secrète", "display_name": "Julie Roy"})
    assert again.status_code == 302


def test_deleting_and_erasing_leaves_message_deleted(app, client, cast, julies_things):
    from hub.discussions.models import Post, PostRevision
    from hub.notes.models import Note
    from hub.resources.models import Resource

    _julie, response = delete(app, cast, "julie", "erase")
    assert response.status_code == 302
    page = browser(app, cast, "karim").get(f"/threads/{julies_things['thread']}").get_data(as_text=True)
    assert "Merci Karim" not in page and "politique d'achat" not in page
    assert page.count('data-testid="post-deleted"') == 2
    assert "Laval en a une depuis 2022." in page  # the others' messages stay
    assert count(app, PostRevision, post_id=julies_things["julie_reply"]) == 0
    from hub.notifications.models import Notification

    with app.app_context():
        from hub.extensions import db as database

        excerpts = database.session.execute(sa.select(Notification.excerpt).where(Notification.user_id == cast.ids["karim"])).scalars().all()
    assert excerpts and not any("Merci Karim" in e for e in excerpts)
    from hub.extensions import db

    with app.app_context():
        bodies = db.session.execute(sa.select(Post.body).where(Post.author_id.is_(None))).scalars().all()
    assert bodies == ["", ""]
    assert count(app, Note) == 0 and count(app, Resource) == 0
    assert browser(app, cast, "karim").get(f"/resources/{julies_things['resource']}").status_code == 404
    from pathlib import Path

    assert not [p for p in Path(app.config["UPLOAD_FOLDER"]).rglob("*") if p.is_file()]  # the file is gone too


def test_deleting_needs_the_password_and_a_choice(app, cast, julies_things):
    from hub.accounts.models import User

    _client, response = delete(app, cast, "julie", "keep", password="pas le bon mot de passe")
    assert response.status_code == 422
    assert "Ce n&#39;est pas votre mot de passe." in response.get_data(as_text=True)
    _client, response = delete(app, cast, "julie", "", password=Factory.password)
    assert response.status_code == 422
    assert count(app, User, id=cast.ids["julie"]) == 1


def test_the_last_facilitator_with_members_may_not_delete_their_account(app, cast, julies_things):
    from hub.accounts.models import User
    from hub.discussions.models import Post

    page = browser(app, cast, "sophie").get("/account/data").get_data(as_text=True)
    assert 'data-testid="last-facilitator"' in page and "CP Économie sociale municipale" in page
    _client, response = delete(app, cast, "sophie", "erase")
    assert response.status_code == 422
    assert "CP Économie sociale municipale" in response.get_data(as_text=True)
    assert count(app, User, id=cast.ids["sophie"]) == 1 and count(app, Post) == 3  # nothing half done


def test_a_facilitator_alone_in_their_community_may_leave(app, factory):
    from hub.accounts.models import User

    _id, email = factory.user("Seule Animatrice")
    factory.community(email, "Petite communauté")
    client = app.test_client()
    login(client, email)
    assert client.post("/account/delete", data={"content": "keep", "password": Factory.password}).status_code == 302
    assert count(app, User, email=email) == 0


# --- privacy policy ----------------------------------------------------------------------------


def test_privacy_page_is_public_and_linked_in_the_footer(app, client):
    home = client.get("/").get_data(as_text=True)
    assert 'href="/privacy"' in home
    page = client.get("/privacy", headers={"Accept-Language": "fr-CA"}).get_data(as_text=True)
    assert "<h1>Politique de confidentialité</h1>" in page and "(Loi 25)" in page
    assert "Personne responsable de la protection des renseignements personnels" in page
    assert "90 jours" in page and "365" in page
    english = client.get("/privacy", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Person in charge of the protection of personal information" in english


def test_only_the_admin_edits_the_policy(app, client, cast, factory):
    from hub.accounts import service as accounts
    from hub.extensions import db

    _id, admin_email = factory.user("Admin")
    with app.app_context():
        accounts.find_by_email(admin_email).is_admin = True
        db.session.commit()
    sophie = browser(app, cast, "sophie")
    assert sophie.get("/privacy/edit").status_code == 403
    assert sophie.post("/privacy/edit", data={"body_fr": "Rien", "body_en": "Nothing"}).status_code == 403
    assert app.test_client().get("/privacy/edit").status_code == 302

    admin = app.test_client()
    login(admin, admin_email)
    form = admin.get("/privacy/edit").get_data(as_text=True)
    assert "Personne responsable" in form
    assert admin.post("/privacy/edit", data={"body_fr": "", "body_en": "x"}).status_code == 422
    response = admin.post("/privacy/edit", data={
        "body_fr": "## Responsable\n\nMarie Tremblay, <script>alert(1)</script> vie.privee@exemple.ca",
        "body_en": "## Person in charge\n\nMarie Tremblay, privacy@example.ca"})
    assert response.status_code == 302
    page = client.get("/privacy", headers={"Accept-Language": "fr-CA"}).get_data(as_text=True)
    assert "Marie Tremblay" in page and "vie.privee@exemple.ca" in page and "<script>alert" not in page
    assert "privacy@example.ca" in client.get("/privacy", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert any(a[0] == "privacy.policy_edit" for a in audit_actions(app))


# --- retention ---------------------------------------------------------------------------------


def test_purge_removes_old_sent_emails_and_audit_entries_only(app):
    from hub import audit
    from hub.extensions import db
    from hub.notifications.models import OutgoingEmail
    from hub.privacy import service
    from hub.timeutil import utcnow

    now = utcnow()
    with app.app_context():
        def email(subject, created, sent=None, error=None):
            db.session.add(OutgoingEmail(recipient="a@exemple.ca", subject=subject, body_text="…", created_at=created,
                                         next_attempt_at=created, sent_at=sent, last_error=error))
        email("vieux envoyé", now - timedelta(days=100), sent=now - timedelta(days=100))
        email("vieux échoué", now - timedelta(days=95), error="refusé")
        email("récent envoyé", now - timedelta(days=10), sent=now - timedelta(days=10))
        email("vieux en attente", now - timedelta(days=200))
        old = audit.record("membership.remove", None, target_type="users", target_id=1)
        old.at = now - timedelta(days=400)
        audit.record("membership.role", None, target_type="users", target_id=1).at = now - timedelta(days=300)
        db.session.commit()

        assert service.purge(now=now) == {"emails": 2, "audit_entries": 1}
        db.session.commit()
        subjects = db.session.execute(sa.select(OutgoingEmail.subject).order_by(OutgoingEmail.id)).scalars().all()
        assert subjects == ["récent envoyé", "vieux en attente"]
        assert db.session.execute(sa.select(audit.AuditEntry.action)).scalars().all() == ["membership.role"]


@pytest.mark.config(EMAIL_RETENTION_DAYS=5, AUDIT_RETENTION_DAYS=0)
def test_purge_follows_the_settings_and_runs_from_the_command_line(app):
    from hub import audit
    from hub.extensions import db
    from hub.notifications.models import OutgoingEmail
    from hub.timeutil import utcnow

    now = utcnow()
    with app.app_context():
        db.session.add(OutgoingEmail(recipient="a@exemple.ca", subject="s", body_text="…", created_at=now - timedelta(days=6),
                                     next_attempt_at=now, sent_at=now - timedelta(days=6)))
        audit.record("membership.remove", None, target_type="users", target_id=1).at = now - timedelta(days=4000)
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["hub", "purge"])
    assert result.exit_code == 0, result.output
    assert "Purged 1 emails and 0 audit entries." in result.output
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(OutgoingEmail)).scalar_one() == 0
        assert db.session.execute(sa.select(sa.func.count()).select_from(audit.AuditEntry)).scalar_one() == 1


def test_the_worker_runs_the_purge(app):
    from hub.notifications.mail import PERIODIC, run_periodic

    assert "retention-purge" in PERIODIC
    with app.app_context():
        run_periodic(app, {}, now=10**9)  # every step is due
