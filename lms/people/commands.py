"""`lms import-roster` and `lms purge-leavers`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from ..cli import lms_group, require_base_url
from ..dates import local_today
from ..extensions import db
from . import personal_data, roster


@lms_group.command("import-roster")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would change; save nothing.")
@click.option("--invite", is_flag=True, help="Email an invitation to each person created.")
@click.option("--deactivate-missing", is_flag=True, help="Mark active people who are not in the file as leavers.")
def import_roster_command(file: Path, dry_run: bool, invite: bool, deactivate_missing: bool) -> None:
    """Create and update people from an HR roster CSV (all rows or none)."""
    if invite and not dry_run:
        require_base_url()
    # The audit log shows "cli" as the address.
    with current_app.test_request_context(environ_overrides={"REMOTE_ADDR": "cli"}):
        result = roster.import_roster(
            file.read_bytes(),
            actor=None,
            filename=file.name,
            dry_run=dry_run,
            invite=invite,
            deactivate_missing=deactivate_missing,
        )
        db.session.commit()  # one import, one transaction: nothing is written when any row is wrong
    for error in result.errors:
        click.echo(str(error), err=True)
    for note in result.notes:
        click.echo(note)
    would = "would " if dry_run or result.errors else ""
    for change in result.created:
        click.echo(f"{would}create {change.email} ({change.name})")
    for change in result.updated:
        fields = ", ".join(change.changes)
        click.echo(f"{would}update {change.email}: {fields}")
    for change in result.deactivated:
        click.echo(f"{would}deactivate {change.email}")
    if result.invited:
        click.echo(f"invited {result.invited}")
    if result.errors:
        click.echo("Nothing was saved.", err=True)
    elif dry_run:
        click.echo("Dry run: nothing was saved.")
    click.echo(result.summary)
    if result.errors:
        raise SystemExit(1)


@lms_group.command("purge-leavers")
@click.option(
    "--older-than",
    "years",
    type=click.IntRange(min=1),
    help="Years since a leaver's last activity (default: LMS_LEAVER_RETENTION_YEARS).",
)
@click.option("--dry-run", is_flag=True, help="List who would be anonymised; change nothing.")
def purge_leavers_command(years: int | None, dry_run: bool) -> None:
    """Anonymise leavers whose last activity is older than the retention period."""
    years = years or current_app.config["LEAVER_RETENTION_YEARS"]
    leavers = personal_data.purge_leavers(years, local_today(), dry_run=dry_run)
    db.session.commit()
    verb = "would anonymise" if dry_run else "anonymised"
    for leaver in leavers:
        who = f"{leaver.person.email} " if dry_run else ""
        click.echo(f"{verb} {who}person #{leaver.person.id} (last activity {leaver.last_activity.isoformat()})")
    click.echo(f"{verb} {len(leavers)} leaver{'' if len(leavers) == 1 else 's'} inactive for over {years} years")
