"""`lms import-moodle-xml` and `lms export-moodle-xml`: quiz packs in and out of Moodle's
question bank, beside the GIFT commands in lms/cli.py."""

from __future__ import annotations

import re
from pathlib import Path

import click
from flask import current_app

from ..cli import lms_group
from ..config import PROJECT_ROOT


@lms_group.command("import-moodle-xml")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--slug", required=True, help="The quiz's name: the pack is written to DIR/SLUG.toml.")
@click.option("--title", help="The quiz's title (default: from the slug).")
@click.option("--pass-mark", type=click.IntRange(1, 100), default=80, show_default=True,
              help="Percentage needed to pass.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write to (default: the project's quizzes/ folder).")
def import_moodle_xml_command(file: Path, slug: str, title: str | None, pass_mark: int, out_dir: Path | None) -> None:
    """Turn a Moodle XML question file into a quiz pack; report each question skipped and why."""
    from ..packs.schemas import SLUG_PATTERN
    from . import moodle_xml

    if not re.match(SLUG_PATTERN, slug):
        raise click.BadParameter("use lower-case letters, digits and single hyphens", param_hint="--slug")
    out_dir = out_dir or Path(current_app.config.get("PROJECT_ROOT") or PROJECT_ROOT) / "quizzes"
    if (out_dir / f"{slug}.toml").exists():
        raise click.ClickException(f"{out_dir / f'{slug}.toml'} exists already; choose another --slug or --out.")
    try:
        path, result = moodle_xml.import_moodle_xml(
            file, slug, title or slug.replace("-", " ").capitalize(), pass_mark, out_dir
        )
    except moodle_xml.MoodleXmlError as exc:
        raise click.ClickException(f"{file}: {exc}; nothing was written.") from None
    for skipped in result.skipped:
        click.echo(f"{file}:{skipped.line}: skipped: {skipped.reason}")
    for warning in result.warnings:
        click.echo(f"{file}:{warning.line}: imported, but {warning.reason}")
    n = len(result.questions)
    if not n:
        raise click.ClickException(f"No question in {file} could be imported; nothing was written.")
    click.echo(f"Imported {n} question{'' if n == 1 else 's'} into {path}; skipped {len(result.skipped)}.")


@lms_group.command("export-moodle-xml")
@click.argument("slug")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (default: print it).")
def export_moodle_xml_command(slug: str, out_file: Path | None) -> None:
    """Write a quiz pack as Moodle XML, which Moodle's question bank imports."""
    from ..packs import operations
    from . import moodle_xml

    content = operations.load_content()
    pack = next((p for p in content.packs.get("quiz", []) if p.slug == slug), None)
    if pack is None:
        raise click.ClickException(f"There is no valid quiz pack named {slug}.")
    text = moodle_xml.to_moodle_xml(pack.data, slug)
    if out_file is None:
        click.echo(text, nl=False)
        return
    out_file.write_text(text, encoding="utf-8")
    click.echo(f"Wrote {len(pack.data.questions)} questions to {out_file}.")
