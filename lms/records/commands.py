"""`lms import-records` and `lms send-reminders` (the daily run)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import click

from ..cli import lms_group, require_base_url
from ..dates import local_today
from ..extensions import db
from ..formatting import plural
from ..oversight.history import snapshot_job
from ..oversight.pack import pack_email_job
from ..plan.loader import current_plan
from .importing import import_records
from .reminders import send_reminders


@lms_group.command("import-records")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would change; save nothing.")
def import_records_command(file: Path, dry_run: bool) -> None:
    """Record earlier completions from a CSV: email,requirement,completed_on[,note]."""
    result = import_records(
        file.read_bytes(), current_plan(), local_today(), actor=None, filename=file.name, dry_run=dry_run
    )
    db.session.commit()  # one import, one transaction
    for error in result.errors:
        click.echo(error, err=True)
    for row in result.new:
        verb = "would record" if dry_run else "recorded"
        click.echo(f"row {row.number}: {verb} {row.kind} {row.ref} for {row.email} on {row.completed_on.isoformat()}")
    if result.errors:
        click.echo(f"Nothing was saved. {result.summary}", err=True)
        raise SystemExit(1)
    click.echo(("Dry run, nothing saved: " if dry_run else "") + result.summary)


def reminders_job(today: date, dry_run: bool) -> None:
    run = send_reminders(current_plan(), today, dry_run=dry_run, unit_done=db.session.commit)
    for person, items in run.people:
        click.echo(f"{person.email}: {', '.join(i.title for i in items)}")
    for email, count in run.managers:
        click.echo(f"line manager {email}: {plural(count, 'overdue item')}")
    for email, count in run.digests:
        click.echo(f"digest to {email}: {plural(count, 'overdue item')}")
    db.session.commit()
    click.echo(("Dry run, nothing sent: " if dry_run else "") + run.summary)


# What the daily run does, in order: each job is called with the day and dry_run, and
# commits its own units of work. A new daily job is added here.
DAILY_JOBS: list[Callable[[date, bool], None]] = [reminders_job, snapshot_job, pack_email_job]


@lms_group.command("send-reminders")
@click.option("--dry-run", is_flag=True, help="List who would be reminded; send nothing.")
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), help="Treat this date as today.")
def send_reminders_command(dry_run: bool, as_of) -> None:
    """The daily run (from cron): reminders on their schedule, line managers' and leads' emails."""
    if not dry_run:
        require_base_url()
    today = as_of.date() if as_of else local_today()
    for job in DAILY_JOBS:
        job(today, dry_run)
