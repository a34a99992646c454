"""`flask --app wsgi hub …` commands."""
import os

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from .extensions import db
from .search.cli import search_cli

hub_cli = AppGroup("hub", help="Hub administration.")
hub_cli.add_command(search_cli)


@hub_cli.command("create-admin")
@click.option("--email", prompt=True)
@click.option("--name", "display_name", default="Administrateur", show_default=True)
@click.password_option()
def create_admin(email, display_name, password):
    """Create the instance administrator (or make an existing account one)."""
    from .accounts import service
    from .accounts.forms import PASSWORD_MIN

    email = email.strip().lower()
    user = service.find_by_email(email)
    if user is None:
        if len(password) < PASSWORD_MIN:
            raise click.BadParameter(f"at least {PASSWORD_MIN} characters", param_hint="password")
        user = service.register(email, password, display_name)
    user.is_admin = True
    db.session.commit()
    click.echo(f"{email} is an instance administrator.")


@hub_cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Only when the database has no account yet.")
def demo(if_empty):
    """Load the demo community of practice."""
    from .accounts.models import User
    from .demo import load_demo

    if if_empty and db.session.execute(sa.select(sa.func.count(User.id))).scalar_one():
        click.echo("The database already has accounts: no demo loaded.")
        return
    # Links in what the demo writes (meeting pages, guest links) are built for the public address.
    with current_app.test_request_context("/", base_url=current_app.config.get("BASE_URL") or None):
        community = load_demo()
    click.echo(f"Demo community loaded: /c/{community.slug} (passwords in the README).")


@hub_cli.command("worker")
def worker():
    """Run every background job (email and search outboxes, reminders, digests, clean-ups) until stopped."""
    import logging
    import signal
    import threading

    from . import search
    from .worker import JOBS, run_worker, wake

    app = current_app._get_current_object()
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = threading.Event()
    # systemd (SIGTERM) and Ctrl+C (SIGINT) end the current pass, then the loop.
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: (stop.set(), wake.set()))
    with app.app_context():
        search.catch_up()
    click.echo(f"Worker started ({', '.join(JOBS)}); Ctrl+C to stop.")
    run_worker(app, stop)
    click.echo("Worker stopped.")


@hub_cli.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
def backup(path):
    """Write a consistent backup (database and files) to PATH (a .tar.gz) while the hub serves."""
    from .backup import BackupError, backup as make_backup

    try:
        manifest = make_backup(path)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    files = sum(1 for name in manifest["members"] if name.startswith("files/"))
    click.echo(f"Backup written to {path}: {manifest['database']} database at revision {manifest['hub_revision']}, "
               f"{sum(manifest['tables'].values())} rows in {len(manifest['tables'])} tables, {files} files.")
    if manifest["missing_files"]:
        click.echo(f"Warning: {len(manifest['missing_files'])} file(s) the database refers to are missing from the instance: "
                   + ", ".join(manifest["missing_files"][:10]), err=True)


@hub_cli.command("restore")
@click.argument("path", type=click.Path(exists=True))
def restore(path):
    """Restore a backup made by `flask hub backup` into this empty instance, then rebuild the search index."""
    from .backup import BackupError, restore as restore_backup

    try:
        manifest = restore_backup(path)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    files = sum(1 for name in manifest["members"] if name.startswith("files/"))
    click.echo(f"Restored the backup of {manifest['created_at']} (revision {manifest['hub_revision']}): "
               f"{sum(manifest['tables'].values())} rows, {files} files; "
               f"search index rebuilt ({sum(manifest['reindexed'].values())} documents).")


@hub_cli.command("send-mail")
def send_mail():
    """Send what is due in the email outbox once, then exit."""
    from .notifications.mail import deliver_pending

    click.echo(f"{deliver_pending(current_app._get_current_object())} email(s) sent.")


@hub_cli.command("send-reminders")
def send_reminders():
    """Queue the meeting reminders that are due (for cron; the worker also does it every 5 minutes)."""
    from .meetings.service import run_reminders

    click.echo(f"{run_reminders(current_app._get_current_object())} reminder(s) queued.")


@hub_cli.command("clean-uploads")
def clean_uploads():
    """Remove files of the upload folder that no resource version refers to, left over an hour ago
    by an interrupted upload (the worker also does it every hour)."""
    from .resources.service import sweep_uploads

    click.echo(f"{sweep_uploads()} orphan file(s) removed.")


@hub_cli.command("serve")
@click.option("--host", default=lambda: os.environ.get("HOST", "127.0.0.1"), show_default="HOST or 127.0.0.1")
@click.option("--port", default=lambda: int(os.environ.get("PORT", "5000")), type=int, show_default="PORT or 5000")
@click.option("--debug", is_flag=True)
def serve(host, port, debug):
    """Serve the hub with Socket.IO and the background jobs in one process (unless HUB_WORKER=external)."""
    import signal
    import sys

    from werkzeug.serving import run_simple

    from .worker import is_external, start_background_worker

    app = current_app._get_current_object()
    app.debug = debug
    if not is_external(app):
        start_background_worker(app)
    # A stop request (SIGTERM, as from systemd or a process manager) ends the process through its
    # exit handlers, so its connections leave the "who is here" lists of the other processes at once.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    click.echo(f"The hub is served on http://{host}:{port}/")
    # Socket.IO (long-polling and WebSocket) is served by the middleware init_app put around the app;
    # each open WebSocket holds a thread of its own.
    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=debug)


def init_app(app):
    app.cli.add_command(hub_cli)
