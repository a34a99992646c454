"""The email outbox, the search index and the storage used, by page and by API."""
from datetime import timedelta
from pathlib import Path

from tests.admin.conftest import auth, entries, logged_in


def _emails(app):
    """One sent, one waiting, two given up after every attempt."""
    from hub.extensions import db
    from hub.notifications.mail import MAX_ATTEMPTS
    from hub.notifications.models import OutgoingEmail
    from hub.timeutil import utcnow

    with app.app_context():
        rows = [
            OutgoingEmail(recipient="envoye@exemple.ca", subject="Envoyé", body_text="x", sent_at=utcnow(), attempts=1),
            OutgoingEmail(recipient="attente@exemple.ca", subject="En attente", body_text="x", attempts=2, last_error="SMTPServerDisconnected: fermé",
                          next_attempt_at=utcnow() + timedelta(minutes=4)),
            OutgoingEmail(recipient="echec1@exemple.ca", subject="Invitation à la CP", body_text="x", attempts=MAX_ATTEMPTS, last_error="ConnectionRefusedError: refusé"),
            OutgoingEmail(recipient="echec2@exemple.ca", subject="Rappel", body_text="x", attempts=MAX_ATTEMPTS, last_error="ConnectionRefusedError: refusé"),
        ]
        db.session.add_all(rows)
        db.session.commit()
        return [r.id for r in rows]


def _attempts(app, ids):
    from hub.extensions import db
    from hub.notifications.models import OutgoingEmail

    with app.app_context():
        return [db.session.get(OutgoingEmail, i).attempts for i in ids]


def test_outbox_lists_and_retries_by_page(app, cast):
    sent, waiting, failed1, failed2 = _emails(app)
    admin = logged_in(app, cast, "admin")
    assert "1 courriel en attente" in admin.get("/admin").get_data(as_text=True)
    page = admin.get("/admin/outbox").get_data(as_text=True)
    assert "2 en échec" in page and "echec1@exemple.ca" in page and "ConnectionRefusedError" in page and "attente@exemple.ca" not in page
    pending = admin.get("/admin/outbox?status=pending").get_data(as_text=True)
    assert "attente@exemple.ca" in pending and "echec1@exemple.ca" not in pending and "envoye@exemple.ca" not in pending

    admin.post(f"/admin/outbox/{failed1}/retry")
    assert _attempts(app, [failed1, failed2]) == [0, 8]
    page = admin.get("/admin/outbox").get_data(as_text=True)
    assert "1 en échec" in page and 'data-testid="retry-all"' in page
    admin.post("/admin/outbox/retry-failed")
    assert _attempts(app, [failed2, sent]) == [0, 1]
    assert admin.post(f"/admin/outbox/{sent}/retry", follow_redirects=True).get_data(as_text=True).count("déjà été envoyé") == 1
    assert admin.post("/admin/outbox/99999/retry").status_code == 404
    assert [e["action"] for e in entries(app, "email.")] == ["email.retry", "email.retry_all"]
    assert entries(app, "email.retry")[0]["target"] == "echec1@exemple.ca"


def test_outbox_by_api(app, cast):
    sent, waiting, failed1, failed2 = _emails(app)
    api = app.test_client()
    body = api.get("/api/v1/admin/outbox", headers=auth(cast, "admin")).get_json()
    assert body["counts"] == {"pending": 1, "failed": 2, "retrying": 1} and [m["recipient"] for m in body["emails"]] == ["echec1@exemple.ca", "echec2@exemple.ca"]
    assert [m["id"] for m in api.get("/api/v1/admin/outbox?status=pending", headers=auth(cast, "admin")).get_json()["emails"]] == [waiting]
    assert api.get("/api/v1/admin/outbox?status=tout", headers=auth(cast, "admin")).status_code == 422
    response = api.post(f"/api/v1/admin/outbox/{failed1}/retry", headers=auth(cast, "admin"))
    assert response.status_code == 200 and response.get_json()["attempts"] == 0
    assert api.post(f"/api/v1/admin/outbox/{sent}/retry", headers=auth(cast, "admin")).status_code == 409
    assert api.post("/api/v1/admin/outbox/retry-failed", headers=auth(cast, "admin")).get_json() == {"retried": 1}
    assert api.post("/api/v1/admin/outbox/retry-failed", headers=auth(cast, "admin")).get_json() == {"retried": 0}
    assert [e["action"] for e in entries(app, "email.")] == ["email.retry", "email.retry_all"]


def _thread(app, cast):
    response = app.test_client().post(f"/api/v1/communities/{cast.slug}/threads", json={"title": "Friches urbaines", "body": "Des idées?"}, headers=auth(cast, "member"))
    assert response.status_code == 201
    return response.get_json()["id"]


def test_search_check_and_reindex_by_page(app, cast):
    _thread(app, cast)
    admin = logged_in(app, cast, "admin")
    page = admin.get("/admin/search").get_data(as_text=True)
    assert 'data-testid="search-pending"' in page and 'data-testid="search-report"' not in page
    checked = admin.get("/admin/search?check=1").get_data(as_text=True)
    assert 'data-testid="search-report"' in checked and "correspond à la base de données" in checked

    from hub import search

    with app.app_context():
        search.get_backend().clear()
    drift = admin.get("/admin/search?check=1").get_data(as_text=True)
    assert "diffère de la base de données" in drift and "thread:" in drift
    response = admin.post("/admin/search/reindex", follow_redirects=True)
    assert "reconstruit" in response.get_data(as_text=True)
    assert "correspond à la base de données" in admin.get("/admin/search?check=1").get_data(as_text=True)
    [entry] = entries(app, "search.reindex")
    assert entry["actor_id"] == cast.ids["admin"] and entry["details"]["documents"] >= 1


def test_search_check_and_reindex_by_api(app, cast):
    _thread(app, cast)
    api = app.test_client()
    report = api.get("/api/v1/admin/search/check", headers=auth(cast, "admin")).get_json()
    assert report["ok"] is True and report["documents"] == report["indexed"] >= 1 and report["pending"] == 0
    from hub import search

    with app.app_context():
        search.get_backend().clear()
    report = api.get("/api/v1/admin/search/check", headers=auth(cast, "admin")).get_json()
    assert report["ok"] is False and report["missing_count"] == report["documents"] and report["indexed"] == 0
    rebuilt = api.post("/api/v1/admin/search/reindex", headers=auth(cast, "admin")).get_json()
    assert rebuilt["documents"] == report["documents"] and rebuilt["kinds"]["thread"] == 1
    assert api.get("/api/v1/admin/search/check", headers=auth(cast, "admin")).get_json()["ok"] is True
    assert len(entries(app, "search.reindex")) == 1


def test_storage_by_page_and_api(app, cast):
    uploads = Path(app.config["UPLOAD_FOLDER"]) / "ab"
    uploads.mkdir(parents=True, exist_ok=True)
    (uploads / "un.pdf").write_bytes(b"x" * 3000)
    (uploads / "deux.txt").write_bytes(b"y" * 1000)
    body = app.test_client().get("/api/v1/admin/storage", headers=auth(cast, "admin")).get_json()
    assert body["uploads_bytes"] == 4000 and body["uploads_files"] == 2
    assert body["database_bytes"] > 0 and body["search_index_bytes"] >= 0
    page = logged_in(app, cast, "admin").get("/admin/storage").get_data(as_text=True)
    assert "3,9\u00a0Ko" in page or "3,9 Ko" in page, page[page.find('data-testid="storage"'):][:600]
    assert "2 fichiers" in page
