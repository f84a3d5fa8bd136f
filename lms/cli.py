"""The `lms` command: the same Click group as `flask --app lms lms ...`."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup, ScriptInfo

from .extensions import db
from .links import BaseURLMissing, check_base_url

lms_group = AppGroup("lms", help="Run and look after the Prevent training LMS.")


def _use_base_url(given: str | None) -> None:
    """An address given on the command line stands in for LMS_BASE_URL in this command."""
    if given:
        try:
            current_app.config["BASE_URL"] = check_base_url(given)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--base-url") from None


def require_base_url() -> None:
    """Stop a command that sends or prints links before it does anything, when none can be built."""
    if not current_app.config["BASE_URL"]:
        raise click.ClickException(str(BaseURLMissing()))


@lms_group.command("init")
@click.option("--base-url", help="Address the LMS is served on, for the setup link (default: LMS_BASE_URL).")
def init_command(base_url: str | None) -> None:
    """Create or upgrade the database and print the setup link while no administrator exists."""
    from flask_migrate import upgrade

    from .auth import operations

    _use_base_url(base_url)
    upgrade()
    click.echo("Database is up to date.")
    _sync_or_exit()
    if not operations.admin_exists():
        if not current_app.config["BASE_URL"]:
            click.echo("No administrator yet. Set LMS_BASE_URL, then run `lms setup-link` for the one-time link.")
            return
        link = operations.setup_link()
        db.session.commit()
        click.echo(f"No administrator yet. Open this one-time link to create one: {link}")


@lms_group.command("setup-link")
@click.option("--base-url", help="Address the LMS is served on (default: LMS_BASE_URL).")
def setup_link_command(base_url: str | None) -> None:
    """Print a fresh one-time link that creates the first administrator."""
    from .auth import operations

    _use_base_url(base_url)
    if operations.admin_exists():
        raise click.ClickException("An administrator exists already; setup links are closed.")
    try:
        link = operations.setup_link()
    except BaseURLMissing as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(link)


@lms_group.command("base-url")
def base_url_command() -> None:
    """Print the address every link is built from (LMS_BASE_URL); exit 1 when none is set."""
    if not current_app.config["BASE_URL"]:
        raise click.ClickException("LMS_BASE_URL is not set.")
    click.echo(current_app.config["BASE_URL"])


@lms_group.command("sync-content")
@click.option("--check", is_flag=True, help="Only validate every pack; change nothing.")
def sync_content_command(check: bool) -> None:
    """Validate the content packs and store their current versions (all or nothing)."""
    from .packs import operations

    if check:
        errors = operations.check_content()
        _print_errors(errors)
        if errors:
            raise SystemExit(1)
        _check_plan_or_exit()
        click.echo("Content is valid.")
        return
    _sync_or_exit()


def _check_plan_or_exit() -> None:
    """Refuse to go on with a training plan that names content which does not exist."""
    from .packs import operations
    from .plan.loader import check_plan, refs_in_content

    errors = check_plan(refs_in_content(operations.load_content()))
    for error in errors:
        click.echo(error, err=True)
    if errors:
        s = "" if len(errors) == 1 else "s"
        click.echo(f"{len(errors)} error{s} in the training plan; nothing was synced.", err=True)
        raise SystemExit(1)


def _print_errors(errors) -> None:
    for error in errors:
        click.echo(str(error), err=True)
    if errors:
        s = "" if len(errors) == 1 else "s"
        click.echo(f"{len(errors)} error{s} in the content packs; nothing was synced.", err=True)


def _sync_or_exit() -> None:
    from .packs import operations

    content_errors = operations.check_content()
    if content_errors:
        _print_errors(content_errors)
        raise SystemExit(1)
    _check_plan_or_exit()

    try:
        changes = operations.sync_content()
    except operations.ContentInvalid as exc:
        _print_errors(exc.errors)
        raise SystemExit(1) from None
    db.session.commit()  # every pack in one transaction: all of them or, on any error, none
    for kind_id, c in changes.items():
        click.echo(
            f"{kind_id}: {len(c.added)} added, {len(c.updated)} updated, "
            f"{len(c.unchanged)} unchanged, {len(c.archived)} archived"
        )
    _apply_plan()
    _rebuild_history()


def _apply_plan() -> None:
    """Work out everyone's standing again when the plan file or a policy version changed."""
    from .plan import standing

    if standing.plan_is_applied():
        return
    count = standing.apply_plan()
    db.session.commit()
    click.echo(f"Training plan applied: standing worked out for {count} {'person' if count == 1 else 'people'}.")


def _rebuild_history() -> None:
    """Once, when compliance history is installed: the past months rebuilt from the ledger."""
    from .dates import local_today
    from .oversight import history
    from .plan.loader import current_plan

    if history.rebuilt():
        return
    days = history.rebuild(current_plan(), local_today())
    db.session.commit()
    click.echo(f"Compliance history: {len(days)} past month{'' if len(days) == 1 else 's'} rebuilt from the records.")


@lms_group.command("verify-attestations")
def verify_attestations_command() -> None:
    """Re-check the hash chain of Directors' self-certifications; exit 1 when it is broken."""
    from .evidence.attestations import verify_all

    count, problems = verify_all()
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        click.echo(f"The chain of {count} self-certifications is BROKEN: {len(problems)} problem(s).", err=True)
        raise SystemExit(1)
    click.echo(f"{count} self-certification{'' if count == 1 else 's'} checked; the chain is intact.")


def main() -> None:
    """The `lms` console script. Building the app first imports every area, and so registers
    each area's commands on the group before Click reads the command line."""
    from . import create_app

    app = create_app({"COMMAND_LINE": True})
    lms_group.main(obj=ScriptInfo(create_app=lambda: app), prog_name="lms")
