"""`flask --app wsgi hub search …`: rebuild, check and catch up the search index."""
import click
from flask.cli import AppGroup

search_cli = AppGroup("search", help="Search index: rebuild, check for drift, apply pending changes.")


@search_cli.command("reindex")
def reindex_command():
    """Empty the index and rebuild it from the database."""
    from . import get_backend, reindex

    counts = reindex()
    for kind, count in counts.items():
        click.echo(f"{kind}: {count} document(s)")
    click.echo(f"Reindexed {sum(counts.values())} document(s) with the {get_backend().name} backend.")


@search_cli.command("check")
@click.option("--limit", default=10, show_default=True, help="Keys listed per kind of drift.")
def check_command(limit):
    """Compare the index with the database; exits with status 1 when they differ."""
    from . import check

    report = check()
    click.echo(f"{report['documents']} document(s) expected, {report['indexed']} indexed, {report['pending']} change(s) pending in the outbox.")
    for name in ("missing", "stale", "extra"):
        keys = report[name]
        if keys:
            shown = ", ".join(keys[:limit]) + (" …" if len(keys) > limit else "")
            click.echo(f"{name}: {len(keys)} ({shown})")
    if report["unchecked_kinds"]:
        click.echo(f"Not checked (no all_ids): {', '.join(report['unchecked_kinds'])}")
    if report["ok"]:
        click.echo("The index matches the database.")
    else:
        click.echo("Drift found: run `flask hub search reindex`.")
        raise SystemExit(1)


@search_cli.command("apply")
def apply_command():
    """Apply what the indexing outbox holds (normally done after each request and at start-up)."""
    from . import apply_outbox

    click.echo(f"{apply_outbox()} change(s) applied.")
