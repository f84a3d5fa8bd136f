"""The `lms` command: the same Click group as `flask --app lms lms ...`."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup, ScriptInfo

lms_group = AppGroup("lms", help="Run and look after the Prevent training LMS.")


def _base_url(given: str | None) -> str:
    return given or current_app.config["BASE_URL"] or "http://127.0.0.1:5000"


@lms_group.command("init")
@click.option("--base-url", help="Address the LMS is served on, for the setup link.")
def init_command(base_url: str | None) -> None:
    """Create or upgrade the database and print the setup link while no administrator exists."""
    from flask_migrate import upgrade

    from .auth import operations

    upgrade()
    click.echo("Database is up to date.")
    _sync_or_exit()
    if not operations.admin_exists():
        link = operations.setup_link(_base_url(base_url))
        click.echo(f"No administrator yet. Open this one-time link to create one: {link}")


@lms_group.command("setup-link")
@click.option("--base-url", help="Address the LMS is served on.")
def setup_link_command(base_url: str | None) -> None:
    """Print a fresh one-time link that creates the first administrator."""
    from .auth import operations

    if operations.admin_exists():
        raise click.ClickException("An administrator exists already; setup links are closed.")
    click.echo(operations.setup_link(_base_url(base_url)))


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
    for kind_id, c in changes.items():
        click.echo(
            f"{kind_id}: {len(c.added)} added, {len(c.updated)} updated, "
            f"{len(c.unchanged)} unchanged, {len(c.archived)} archived"
        )


def main() -> None:
    from . import create_app

    lms_group.main(obj=ScriptInfo(create_app=create_app), prog_name="lms")
