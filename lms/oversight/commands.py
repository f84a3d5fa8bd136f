"""`lms check-plan` and `lms report ...`: thin commands over the plan and oversight operations."""

from __future__ import annotations

from datetime import date

import click
from flask import current_app

from ..cli import lms_group
from ..dates import local_today
from ..plan.loader import check_plan, configured_plan_path, current_plan, refs_in_content
from . import operations
from .pdf import build_report


def _as_of_option(f):
    return click.option(
        "--as-of",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        help="Work statuses out as on this date (YYYY-MM-DD); default today.",
    )(f)


def _day(value) -> date:
    return value.date() if value else local_today()


@lms_group.command("check-plan")
def check_plan_command() -> None:
    """Check the training plan: its format, categories, numbers, and that every ref exists."""
    from ..packs.operations import load_content

    content = load_content()
    errors = check_plan(refs_in_content(content))
    path = configured_plan_path()
    if errors:
        for error in errors:
            click.echo(error, err=True)
        raise SystemExit(1)
    plan = current_plan()
    click.echo(f"{path}: {len(plan.entries)} requirements, {len(plan.certificate_types)} certificate types: OK")


@lms_group.group("report")
def report_group() -> None:
    """Compliance reports for an inspection."""


@report_group.command("csv")
@_as_of_option
@click.option("--out", type=click.Path(dir_okay=False, writable=True), help="File to write (default: standard output).")
@click.option("--include-inactive", is_flag=True, help="Include people who have left.")
def report_csv(as_of, out, include_inactive) -> None:
    """One row per person and requirement: email,name,categories,requirement,kind,status,..."""
    chunks = operations.csv_lines(current_plan(), _day(as_of), include_inactive=include_inactive)
    if out:
        with open(out, "w", encoding="utf-8", newline="") as fh:
            for chunk in chunks:
                fh.write(chunk)
        click.echo(f"Wrote {out}", err=True)
    else:
        for chunk in chunks:
            click.echo(chunk, nl=False)


@report_group.command("pdf")
@_as_of_option
@click.option("--out", required=True, type=click.Path(dir_okay=False, writable=True), help="PDF file to write.")
def report_pdf(as_of, out) -> None:
    """The inspection report: summaries per requirement and category, and the overdue list."""
    cfg = current_app.config
    data = build_report(current_plan(), _day(as_of), cfg["ORG_NAME"], cfg["TIMEZONE"])
    with open(out, "wb") as fh:
        fh.write(data)
    click.echo(f"Wrote {out} ({len(data) // 1024} KB)", err=True)
