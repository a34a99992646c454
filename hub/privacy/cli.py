"""`flask hub purge`: remove sent emails and audit entries past their retention now."""
import click

from ..cli import hub_cli


@hub_cli.command("purge")
def purge():
    """Erase sent or failed emails and audit entries older than HUB_EMAIL_RETENTION_DAYS / HUB_AUDIT_RETENTION_DAYS."""
    from .service import run_purge

    counts = run_purge(None)
    click.echo(f"Purged {counts['emails']} emails and {counts['audit_entries']} audit entries.")
