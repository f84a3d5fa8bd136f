"""`lms backup`: a consistent copy of the database while the app keeps serving."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import click
from sqlalchemy.engine import make_url

from .cli import lms_group
from .extensions import db


def backup_sqlite(source: Path, target: Path) -> int:
    """Copy with SQLite's online backup API: a consistent snapshot even during writes.

    Returns the number of pages copied. The target is written aside and renamed into place,
    so a failed backup never leaves a half-written file under the target's name.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst, pages=1024)  # in steps, so writers are never blocked for long
        pages = dst.execute("PRAGMA page_count").fetchone()[0]
        ok = dst.execute("PRAGMA integrity_check").fetchone()[0]
        if ok != "ok":
            raise click.ClickException(f"the copy failed its integrity check: {ok}")
    finally:
        dst.close()
        src.close()
    partial.replace(target)
    return pages


@lms_group.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(path: Path) -> None:
    """Write a consistent copy of the database to PATH (SQLite), or explain pg_dump."""
    url = make_url(str(db.engine.url))
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise click.ClickException("this database lives in memory; there is nothing to back up")
        if not Path(url.database).exists():
            raise click.ClickException(f"there is no database at {url.database} yet: run `lms init` first")
        pages = backup_sqlite(Path(url.database), path)
        click.echo(f"Backed up {url.database} to {path} ({pages} pages), consistent and checked.")
        click.echo("Restore: stop the app, copy the file to the instance folder as lms.sqlite3, start it again.")
        return
    if url.get_backend_name() == "postgresql":
        safe = url.set(password="***") if url.password else url  # noqa: S106 -- a mask, not a password
        click.echo(
            "This LMS stores its data in PostgreSQL, which backs itself up consistently while the app\n"
            "runs. Use pg_dump, for example:\n\n"
            f"    pg_dump --format=custom --file={path} '{safe.render_as_string(hide_password=False)}'\n\n"
            "and restore into an empty database with:\n\n"
            f"    pg_restore --no-owner --dbname=<new database URL> {path}\n\n"
            "Evidence files are stored in the database, so this one file holds everything. Keep the\n"
            "instance folder's secret_key with your backups.",
            err=True,
        )
        raise SystemExit(1)
    raise click.ClickException(f"backing up a {url.get_backend_name()} database is not supported")
