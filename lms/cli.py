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


def main() -> None:
    from . import create_app

    lms_group.main(obj=ScriptInfo(create_app=create_app), prog_name="lms")
