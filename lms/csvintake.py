"""Reading an uploaded spreadsheet, the same way for every import (the roster of people and
earlier training records): one set of encodings, delimiters, header spellings and dates, so a
file one import takes, the other takes too.

- Text: UTF-8 with or without a byte-order mark, else Windows-1252 (what Excel writes on
  Windows).
- Delimiter: a comma, or a semicolon when the header row has more of them (Excel in much of
  Europe).
- Headers are compared after lower-casing and dropping everything but letters and digits:
  "Start date", "start_date" and "START-DATE" are one header.
- Dates are day first, never month first: 2025-01-31, 31/01/2025, 31-01-2025, 31/1/2025,
  "31 January 2025" or "31st Jan 2025"; a midnight time a spreadsheet adds is dropped.
- Rows are numbered by the line they start on (the header is row 1); blank rows, and rows of
  empty cells that spreadsheets leave, are skipped. Every error names its row.
- Each import has a most rows it takes; a bigger file is refused at the first row past it.

Each import passes its own table of header spellings and its own limit; nothing else differs.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date

MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"), ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}


@dataclass(frozen=True)
class RowError:
    """A problem in one row of a file (the header is row 1), and the column it is in if any."""

    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"Row {self.row}, {self.field}: {self.message}" if self.field else f"Row {self.row}: {self.message}"


class TooManyRows(Exception):
    """The file has more rows than the import takes; `row` is the first one past the limit."""

    def __init__(self, row: int, limit: int) -> None:
        super().__init__(row, limit)
        self.row = row
        self.limit = limit

    def error(self, what: str) -> RowError:
        return RowError(
            self.row,
            "",
            f"the file has more than {self.limit:,} {what} in it, the most one import takes; "
            "split it into smaller files and import each",
        )


@dataclass
class Header:
    """Which column holds each field, from a header row and an import's table of spellings."""

    columns: dict[str, int] = field(default_factory=dict)
    repeated: list[tuple[str, str, str]] = field(default_factory=list)  # (field, first title, other title)
    ignored: list[str] = field(default_factory=list)  # titles that are no field

    def cell(self, record: list[str], name: str) -> str:
        index = self.columns.get(name)
        return record[index].strip() if index is not None and index < len(record) else ""


def header_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def match_header(titles: list[str], aliases: Mapping[str, Iterable[str]]) -> Header:
    """Each field's column, found by any of its spellings; a field given by two columns is
    `repeated` (the first is kept), so the import can refuse the ambiguity."""
    lookup = {header_key(alias): name for name, spellings in aliases.items() for alias in spellings}
    header = Header()
    for index, title in enumerate(titles):
        name = lookup.get(header_key(title))
        if name is None:
            if title.strip():
                header.ignored.append(title.strip())
        elif name in header.columns:
            header.repeated.append((name, titles[header.columns[name]].strip(), title.strip()))
        else:
            header.columns[name] = index
    return header


def decode(data: bytes) -> str:
    """UTF-8 (with or without a BOM), else Windows-1252: what Excel writes on Windows."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def sniff_delimiter(text: str) -> str:
    header = next((line for line in text.splitlines() if line.strip()), "")
    return ";" if header.count(";") > header.count(",") else ","


def parse_date(text: str) -> date:
    """YYYY-MM-DD, DD/MM/YYYY, D/M/YYYY, DD-MM-YYYY or "3 March 2025"; never month first.

    Raises ValueError with a message for the person who wrote the file.
    """
    text = re.sub(r"\s+00:00(:00)?$", "", text.strip())  # spreadsheets add a midnight time
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text):
        y, mo, d = (int(g) for g in m.groups())
    elif m := re.fullmatch(r"(\d{1,2})([/-])(\d{1,2})\2(\d{4})", text):
        d, mo, y = int(m.group(1)), int(m.group(3)), int(m.group(4))
        if mo > 12 and d <= 12:
            raise ValueError(f"“{text}” has no month {mo}: dates are day first, like 31/01/2025")
    elif m := re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]+)\.?,?\s+(\d{4})", text):
        month = MONTHS.get(m.group(2).lower())
        if month is None:
            raise ValueError(f"“{text}” does not name a month")
        d, mo, y = int(m.group(1)), month, int(m.group(3))
    else:
        raise ValueError(f"“{text}” is not a date: write it like 31/01/2025, 2025-01-31 or 31 January 2025")
    try:
        return date(y, mo, d)
    except ValueError:
        raise ValueError(f"“{text}” is not a real date") from None


def rows(text: str, limit: int | None = None) -> Iterator[tuple[int, list[str]]]:
    """Each row that has something in it, with the line it starts on: the header first.

    Raises TooManyRows at the first row past `limit` rows under the header.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    previous_line = 0
    count = -1  # the header is no row of data
    for record in reader:
        line = previous_line + 1
        previous_line = reader.line_num
        if any(cell.strip() for cell in record):
            count += 1
            if limit is not None and count > limit:
                raise TooManyRows(line, limit)
            yield line, record
