"""The background jobs in a process of their own: `flask hub worker` against the web app's database,
with the web app configured HUB_WORKER=external (it only serves)."""
import os
import socket
import subprocess
import sys
import threading
import time

import pytest
import sqlalchemy as sa

from tests.conftest import ROOT, login
from tests.resources.test_resources import make_docx, resource_id, upload


class Inbox:
    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes

        with self.lock:
            self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def start_worker(app, smtp_port=None, log_path=None):
    """``flask hub worker`` in a subprocess, on the app's database, instance folder and index."""
    config = app.config
    env = {
        **os.environ,
        "HUB_ENV": "development",
        "HUB_DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"],
        "HUB_INSTANCE_PATH": app.instance_path,
        "HUB_UPLOAD_FOLDER": config["UPLOAD_FOLDER"],
        "HUB_SEARCH_INDEX_PATH": config["SEARCH_INDEX_PATH"],
        "HUB_SEARCH_BACKEND": config["SEARCH_BACKEND"],
        "HUB_SECRET_KEY": config["SECRET_KEY"],
        "HUB_BASE_URL": config["BASE_URL"],
        "HUB_WORKER": "external",
        "HUB_WORKER_POLL_SECONDS": "0.2",
        "HUB_MAIL_SENDER": "hub@exemple.ca",
        "HUB_MAIL_SERVER": "127.0.0.1" if smtp_port else "",
        "HUB_MAIL_PORT": str(smtp_port or 25),
    }
    out = open(log_path, "wb") if log_path else subprocess.DEVNULL
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "hub", "worker"],
        cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
    )


def stop_worker(process):
    process.terminate()  # SIGTERM, as systemd stops it
    try:
        return process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise


@pytest.mark.config(WORKER="external")
def test_the_worker_process_sends_email_and_indexes_for_an_external_web_app(app, factory, tmp_path):
    from aiosmtpd.controller import Controller

    from hub import search
    from hub.extensions import db
    from hub.notifications.models import OutgoingEmail
    from hub.search.models import SearchOutbox

    _id, email = factory.user("Julie Roy")
    slug = factory.community(email, "CP Économie sociale")
    client = app.test_client()
    login(client, email)

    # The web app only serves: the new resource waits in the search outbox, the reset email in the email outbox.
    created = upload(client, slug, content=make_docx("Approvisionnement responsable auprès des coopératives de solidarité."),
                     title="Guide des achats ferroviaires")
    assert created.status_code == 302
    resource = resource_id(created)
    anonymous = app.test_client()
    assert anonymous.post("/password/reset", data={"email": email}).status_code == 302

    def found():
        return client.get("/api/v1/search?q=ferroviaires").get_json()

    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(SearchOutbox.id))).scalar_one() >= 1
        assert db.session.execute(sa.select(sa.func.count(OutgoingEmail.id))).scalar_one() == 1
        db.session.remove()
    assert client.get("/search?q=ferroviaires").status_code == 200
    from hub.accounts import service as accounts

    with app.test_request_context():
        user = accounts.find_by_email(email)
        assert search.search(user, "ferroviaires").total == 0
        db.session.remove()

    inbox = Inbox()
    port = _free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    log_path = tmp_path / "worker.log"
    worker = start_worker(app, port, log_path)
    try:
        assert _wait(lambda: len(inbox.messages) >= 1), log_path.read_text()
        assert _wait(lambda: search_total(app, email, "ferroviaires") == 1), log_path.read_text()
    finally:
        assert stop_worker(worker) == 0, log_path.read_text()
        smtp.stop()

    (message,) = inbox.messages
    assert message["To"] == email and message["From"] == "hub@exemple.ca"
    assert "/password/reset/" in message.get_payload(decode=True).decode()
    with app.app_context():
        assert db.session.execute(sa.select(OutgoingEmail.sent_at)).scalar_one() is not None
        assert db.session.execute(sa.select(sa.func.count(SearchOutbox.id))).scalar_one() == 0
        db.session.remove()
    # The page the web app serves finds it too.
    page = client.get("/search?q=ferroviaires").get_data(as_text=True)
    assert f"/resources/{resource}" in page
    assert "Worker stopped." in log_path.read_text()


def search_total(app, email, text):
    from hub import search
    from hub.accounts import service as accounts
    from hub.extensions import db

    with app.test_request_context():
        try:
            return search.search(accounts.find_by_email(email), text).total
        finally:
            db.session.remove()


def test_jobs_registered_by_features_run_at_their_interval(app):
    from hub import worker
    from hub.notifications.mail import PERIODIC, register_periodic, run_worker as old_run_worker

    assert old_run_worker is worker.run_worker and PERIODIC is worker.JOBS
    assert {"email-outbox", "search-outbox", "meeting-reminders", "notification-digests", "link-preview-images"} <= set(worker.JOBS)
    calls = []
    register_periodic("test-job", lambda a: calls.append(a), 60)
    worker.register("test-failing-job", lambda a: 1 / 0, 0)
    try:
        last_runs = {}
        with app.app_context():
            assert "test-job" in worker.run_due(app, last_runs, now=1000.0)
            assert "test-job" not in worker.run_due(app, last_runs, now=1030.0)  # not yet: every 60 s
            assert "test-job" in worker.run_due(app, last_runs, now=1061.0)
            assert "test-failing-job" in worker.run_due(app, last_runs, now=1062.0)  # raising never stops the others
        assert calls == [app, app]
    finally:
        worker.unregister("test-job")
        worker.unregister("test-failing-job")


@pytest.mark.config(WORKER="external")
def test_an_external_web_app_leaves_the_search_outbox_to_the_worker(app, factory):
    from hub.extensions import db
    from hub.search.models import SearchOutbox

    _id, email = factory.user("Karim Benali")
    slug = factory.community(email, "CP Habitation")
    client = app.test_client()
    login(client, email)
    assert upload(client, slug, content="Habitation communautaire et fiducie foncière.".encode(), filename="note.txt").status_code == 302
    with app.app_context():
        pending = db.session.execute(sa.select(sa.func.count(SearchOutbox.id))).scalar_one()
        db.session.remove()
    assert pending >= 1
