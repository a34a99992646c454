"""Email outbox: messages are queued in the database with the change that causes them and
sent after commit by a worker, with retries, so an SMTP outage loses nothing.

Without ``HUB_MAIL_SERVER`` (the embedded setup) messages are written to the log instead of
being sent, so a person trying the hub locally can follow invitation and reset links.

A message may carry extra headers (``headers``), e.g. the list headers of notification emails:
``List-Id`` (RFC 2919), ``List-Unsubscribe`` and ``List-Unsubscribe-Post`` (RFC 2369, RFC 8058).
"""
import logging
import smtplib
from datetime import timedelta
from email.header import Header
from email.headerregistry import HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import formatdate

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..extensions import db
from ..forms import single_line
from ..timeutil import utcnow
# The job runner lives in hub/worker.py; these names stay importable from here.
from ..worker import JOBS as PERIODIC, register as register_periodic, run_due, run_worker, start_background_worker, wake  # noqa: F401
from .models import OutgoingEmail

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


def queue_email(recipient, subject, template, locale="fr_CA", attachment=None, headers=None, **context):
    """Render an email in the recipient's language and add it to the outbox (not committed).

    ``attachment``, optional, is (filename, mimetype, text content), e.g. an .ics invitation;
    ``headers``, optional, is {name: value} of extra headers, each value on one line.
    """
    with force_locale(locale):
        body = render_template(template, **context)
        subject_text = str(subject() if callable(subject) else subject)
    # One line: a title holding a line break (stored before titles were cleaned) must not add a header.
    message = OutgoingEmail(recipient=recipient, subject=single_line(subject_text)[:300], body_text=body, headers=dict(headers) if headers else None)
    if attachment is not None:
        message.attachment_name, message.attachment_type, message.attachment_content = attachment
    db.session.add(message)
    db.session.info["hub_mail_queued"] = True
    return message


@event.listens_for(Session, "after_commit")
def _after_commit(session):
    if session.info.pop("hub_mail_queued", False):
        wake.set()


class _AsWritten(UnstructuredHeader):
    """A header the hub writes in its final ASCII form (a URL in angle brackets, a list id with an
    already encoded name): sent on one line, as written. The default policy folds a line longer
    than 78 characters, and folds a long URL, which has no space to fold at, into RFC 2047 encoded
    words that mail providers do not read as an unsubscribe address."""

    @classmethod
    def parse(cls, value, kwds):
        super().parse(value, kwds)
        kwds["decoded"] = value  # keep encoded words encoded: the value is already what goes on the wire

    def fold(self, *, policy):
        line = f"{self.name}: {self}"
        if not line.isascii() or len(line) > 998:  # RFC 5322's limit for one line
            return super().fold(policy=policy)
        return line + policy.linesep


AS_WRITTEN = ("List-Id", "List-Unsubscribe", "List-Unsubscribe-Post")
_headers = HeaderRegistry()
for _name in AS_WRITTEN:
    _headers.map_to_type(_name, _AsWritten)
POLICY = default_policy.clone(header_factory=_headers)


def list_id(name, label):
    """A ``List-Id`` value (RFC 2919): the list's name as a phrase (quoted, or as encoded words
    when it is not ASCII), then its label in angle brackets, e.g. ``"CP Parcs" <cp-parcs.hub.exemple.ca>``."""
    name = " ".join(str(name).split())
    if name.isascii():
        phrase = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    else:
        phrase = Header(name, "utf-8").encode(linesep=" ")  # words of at most 75 characters, on one line
    return f"{phrase} <{label}>" if name else f"<{label}>"


def _send(app, message):
    config = app.config
    if not config.get("MAIL_SERVER"):
        log.warning("Email to %s (no HUB_MAIL_SERVER set, not sent):\nSubject: %s\n\n%s",
                    message.recipient, message.subject, message.body_text)
        return
    email = EmailMessage(policy=POLICY)
    email["From"] = config["MAIL_SENDER"]
    email["To"] = message.recipient
    email["Subject"] = single_line(message.subject)
    email["Date"] = formatdate(localtime=False)
    # The same for every attempt at this outbox row, so a receiving server can spot a repeat.
    domain = (config["MAIL_SENDER"].rpartition("@")[2] or "localhost").strip(">") or "localhost"
    email["Message-ID"] = f"<hub-{message.id}-{int(message.created_at.timestamp())}@{domain}>"
    for name, value in (message.headers or {}).items():
        email[name] = value
    email.set_content(message.body_text)
    if message.attachment_content is not None:
        maintype, _sep, rest = (message.attachment_type or "text/plain").partition("/")
        subtype, *params = [part.strip() for part in rest.split(";")]
        email.add_attachment(
            message.attachment_content, subtype=subtype or "plain", filename=message.attachment_name or "attachment",
            params=dict(p.split("=", 1) for p in params if "=" in p),
        )
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=20) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(email)


def deliver_pending(app, limit=100, now=None):
    """Send what is due; return the number of messages sent.

    A failed attempt is retried after a delay that doubles each time (``MAIL_RETRY_BASE_SECONDS``,
    one minute by default: 1, 2, 4… minutes), up to ``MAX_ATTEMPTS`` attempts."""
    sent = 0
    now = now or utcnow()
    base = float(app.config.get("MAIL_RETRY_BASE_SECONDS", 60))
    due = db.session.execute(
        sa.select(OutgoingEmail)
        .where(OutgoingEmail.sent_at.is_(None), OutgoingEmail.next_attempt_at <= now, OutgoingEmail.attempts < MAX_ATTEMPTS)
        .order_by(OutgoingEmail.id)
        .limit(limit)
    ).scalars().all()
    for message in due:
        # Claim the row first so two workers never send the same message twice.
        claimed = db.session.execute(
            sa.update(OutgoingEmail)
            .where(OutgoingEmail.id == message.id, OutgoingEmail.attempts == message.attempts, OutgoingEmail.sent_at.is_(None))
            .values(attempts=message.attempts + 1, next_attempt_at=now + timedelta(seconds=base * 2 ** message.attempts))
        ).rowcount
        db.session.commit()
        if not claimed:
            continue
        db.session.refresh(message)
        try:
            _send(app, message)
        except (OSError, smtplib.SMTPException) as error:
            message.last_error = f"{type(error).__name__}: {error}"[:2000]
            db.session.commit()
            log.warning("Email %s to %s failed (attempt %s): %s", message.id, message.recipient, message.attempts, error)
            continue
        message.sent_at = utcnow()
        message.last_error = None
        db.session.commit()
        sent += 1
    return sent


def run_periodic(app, last_runs, now=None):
    """Run each background job whose interval has passed since its last run."""
    run_due(app, last_runs, now)


def deliver_job(app):
    """The email outbox as a job of the worker (on every pass)."""
    deliver_pending(app)
