"""The interchange commands, quiz packs in and out of Moodle: `lms import-gift`, `lms
export-gift`, `lms import-moodle-xml` and `lms export-moodle-xml`. One pair of commands is
made for each format from its reader, writer and error type, so the two behave alike."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click
from flask import current_app

from ..cli import lms_group
from ..config import PROJECT_ROOT
from . import gift, moodle_xml


@dataclass(frozen=True)
class Format:
    name: str  # in the commands' names: import-NAME, export-NAME
    label: str  # in their help
    importer: Callable[..., tuple[Path, gift.Imported]]  # (file, slug, title, pass_mark, out_dir)
    exporter: Callable[..., str]  # (quiz, slug) -> the file's text
    error: type[Exception]  # a file that does not parse: nothing is written


FORMATS = (
    Format("gift", "Moodle GIFT file", gift.import_gift, gift.to_gift, gift.GiftError),
    Format("moodle-xml", "Moodle XML question file", moodle_xml.import_moodle_xml,
           moodle_xml.to_moodle_xml, moodle_xml.MoodleXmlError),
)


def run_import(fmt: Format, file: Path, slug: str, title: str | None, pass_mark: int, out_dir: Path | None) -> None:
    """Write the pack, then say each question skipped, each imported with a warning, and the count."""
    from ..packs.schemas import SLUG_PATTERN

    if not re.match(SLUG_PATTERN, slug):
        raise click.BadParameter("use lower-case letters, digits and single hyphens", param_hint="--slug")
    out_dir = out_dir or Path(current_app.config.get("PROJECT_ROOT") or PROJECT_ROOT) / "quizzes"
    if (out_dir / f"{slug}.toml").exists():
        raise click.ClickException(f"{out_dir / f'{slug}.toml'} exists already; choose another --slug or --out.")
    try:
        path, result = fmt.importer(file, slug, title or slug.replace("-", " ").capitalize(), pass_mark, out_dir)
    except fmt.error as exc:
        raise click.ClickException(f"{file}: {exc}; nothing was written.") from None
    for skipped in result.skipped:
        click.echo(f"{file}:{skipped.line}: skipped: {skipped.reason}")
    for warning in result.warnings:
        click.echo(f"{file}:{warning.line}: imported, but {warning.reason}")
    n = len(result.questions)
    if not n:
        raise click.ClickException(f"No question in {file} could be imported; nothing was written.")
    click.echo(f"Imported {n} question{'' if n == 1 else 's'} into {path}; skipped {len(result.skipped)}.")


def run_export(fmt: Format, slug: str, out_file: Path | None) -> None:
    from ..packs import operations

    content = operations.load_content()
    pack = next((p for p in content.packs.get("quiz", []) if p.slug == slug), None)
    if pack is None:
        raise click.ClickException(f"There is no valid quiz pack named {slug}.")
    text = fmt.exporter(pack.data, slug)
    if out_file is None:
        click.echo(text, nl=False)
        return
    out_file.write_text(text, encoding="utf-8")
    click.echo(f"Wrote {len(pack.data.questions)} questions to {out_file}.")


def _register(fmt: Format) -> None:
    @lms_group.command(f"import-{fmt.name}", help=(
        f"Turn a {fmt.label} into a quiz pack; report each question skipped and why."))
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--slug", required=True, help="The quiz's name: the pack is written to DIR/SLUG.toml.")
    @click.option("--title", help="The quiz's title (default: from the slug).")
    @click.option("--pass-mark", type=click.IntRange(1, 100), default=80, show_default=True,
                  help="Percentage needed to pass.")
    @click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
                  help="Folder to write to (default: the project's quizzes/ folder).")
    def import_command(file: Path, slug: str, title: str | None, pass_mark: int, out_dir: Path | None) -> None:
        run_import(fmt, file, slug, title, pass_mark, out_dir)

    @lms_group.command(f"export-{fmt.name}", help=f"Write a quiz pack as a {fmt.label}, which Moodle imports.")
    @click.argument("slug")
    @click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path),
                  help="File to write (default: print it).")
    def export_command(slug: str, out_file: Path | None) -> None:
        run_export(fmt, slug, out_file)


for _format in FORMATS:
    _register(_format)
