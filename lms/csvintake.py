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
  empty cells that spreadsheets leave, are skipped.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
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


def header_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


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


def rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """Each row that has something in it, with the line it starts on."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    previous_line = 0
    for record in reader:
        line = previous_line + 1
        previous_line = reader.line_num
        if any(cell.strip() for cell in record):
            yield line, record
