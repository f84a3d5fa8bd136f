"""Pack errors in words a content author understands, each naming the file and, where it can,
the line: `courses/x/course.toml:4: minutes: must be a whole number, not text`."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

# Larger files are refused unread: packs are text and a few pictures, never data dumps.
MAX_FILE_BYTES = 1_000_000
MAX_IMAGE_BYTES = 2_000_000

_TAGS = {"single", "multiple", "true_false", "short_answer", "numerical", "matching"}  # discriminator values pydantic puts in a loc


@dataclass(frozen=True)
class PackError:
    path: str
    message: str
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class PackInvalid(Exception):
    """A pack that cannot be stored, with every error found in it."""

    def __init__(self, errors: list[PackError]):
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


def display_path(path: Path) -> str:
    """The path relative to the working folder when it is inside it, as an author typed it."""
    try:
        return str(Path(os.path.abspath(path)).relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def read_bytes(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The file's bytes, refusing files over `limit` without reading them."""
    shown = display_path(path)
    if path.is_symlink():
        raise PackInvalid([PackError(shown, "is a symbolic link; packs hold plain files only")])
    size = path.stat().st_size
    if size > limit:
        raise PackInvalid(
            [PackError(shown, f"is {size:,} bytes; the largest file allowed is {limit:,} bytes")]
        )
    return path.read_bytes()


def read_text(path: Path) -> str:
    data = read_bytes(path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PackInvalid(
            [PackError(display_path(path), "is not UTF-8 text; save it as UTF-8", line)]
        ) from None


def parse_toml(path: Path, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        message = getattr(exc, "msg", None) or str(exc)
        if line is None:
            found = re.search(r"at line (\d+)", str(exc))
            line = int(found.group(1)) if found else None
            message = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
        raise PackInvalid(
            [PackError(display_path(path), f"is not valid TOML: {message}", line)]
        ) from None


def validate(schema: type[BaseModel], data: dict[str, Any], path: Path, text: str):
    """Validate `data` against `schema`, translating every pydantic error for an author."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        errors = [
            PackError(
                display_path(path),
                _message(err),
                locate_line(text, _loc(err["loc"], err["type"])),
                field_name(_loc(err["loc"], err["type"])),
            )
            for err in exc.errors()
        ]
        raise PackInvalid(errors) from None


def _loc(loc: tuple, kind: str = "") -> tuple:
    out: list = []
    for part in loc:
        if part in _TAGS and out and isinstance(out[-1], int):
            continue
        out.append(part)
    if kind.startswith("union_tag"):
        out.append("type")
    return tuple(out)


def field_name(loc: tuple) -> str | None:
    """("questions", 2, "id") -> "questions[3].id" (counting from 1, as authors do)."""
    name = ""
    for part in loc:
        if isinstance(part, int):
            name += f"[{part + 1}]"
        else:
            name += f".{part}" if name else str(part)
    return name or None


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a decimal number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, datetime | date):
        return "a date"
    return type(value).__name__


def _message(err: dict[str, Any]) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    got = _kind_of(err.get("input"))
    messages = {
        "extra_forbidden": "is not a field this file may have (a spelling mistake?)",
        "missing": "is required but missing",
        "int_type": f"must be a whole number, not {got}",
        "int_from_float": "must be a whole number",
        "string_type": f"must be text in quotes, not {got}",
        "bool_type": f"must be true or false, not {got}",
        "list_type": f"must be a list, not {got}",
        "model_type": f"must be a table, not {got}",
        "model_attributes_type": f"must be a table, not {got}",
        "greater_than_equal": f"must be at least {ctx.get('ge')}",
        "less_than_equal": f"must be at most {ctx.get('le')}",
        "string_too_short": "must not be empty",
        "string_too_long": f"is too long: at most {ctx.get('max_length')} characters",
        "string_pattern_mismatch": (
            "must be lower-case letters, digits and single hyphens, like 'prevent-awareness'"
        ),
        "too_short": f"needs at least {ctx.get('min_length')}",
        "too_long": f"may have at most {ctx.get('max_length')}",
        "union_tag_invalid": (
            "type must be one of: single, multiple, true_false, short_answer, numerical, matching"
        ),
        "union_tag_not_found": (
            "needs a type: single, multiple, true_false, short_answer, numerical or matching"
        ),
        "float_type": f"must be a number, not {got}",
        "date_type": "must be a date like 2026-09-01",
        "date_from_datetime_parsing": "must be a date like 2026-09-01",
        "date_parsing": "must be a date like 2026-09-01",
        "value_error": str(ctx.get("error", err["msg"])),
    }
    return messages.get(kind, err["msg"])


_HEADER = re.compile(r"^\s*\[")


def locate_line(text: str, loc: tuple) -> int | None:
    """The line a field sits on, found by reading the TOML as text (tomllib gives no positions).

    Follows `[[questions]]` headers for array items and `key =` lines for keys; when a field is
    missing, the line of the nearest enclosing item. None when nothing could be found.
    """
    lines = text.splitlines()
    pos: int | None = None
    parts = list(loc)
    k = 0
    while k < len(parts):
        part = parts[k]
        index = parts[k + 1] if k + 1 < len(parts) and isinstance(parts[k + 1], int) else None
        if not isinstance(part, str):
            k += 1
            continue
        start = 0 if pos is None else pos
        if index is not None:
            header = re.compile(rf"^\s*\[\[\s*{re.escape(part)}\s*\]\]")
            hits = [n for n in range(start, len(lines)) if header.match(lines[n])]
            if index < len(hits):
                pos = hits[index]
                k += 2
                continue
        found = _find_key(lines, start if pos is None else pos + 1, part, pos is None)
        if found is None:
            table = re.compile(rf"^\s*\[\s*{re.escape(part)}\s*\]")
            found = next((n for n in range(start, len(lines)) if table.match(lines[n])), None)
        if found is None:
            break
        pos = found
        if index is not None:  # an inline array: one `{ ... }` item per line, usually
            items = []
            for n in range(found, len(lines)):
                if "{" in lines[n]:
                    items.append(n)
                if n > found and lines[n].strip().startswith("]"):
                    break
            if index < len(items):
                pos = items[index]
            k += 2
            continue
        k += 1
    return None if pos is None else pos + 1


def _find_key(lines: list[str], start: int, key: str, top: bool) -> int | None:
    pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    for n in range(start, len(lines)):
        if _HEADER.match(lines[n]) and (top or n > start):
            return None
        if pattern.match(lines[n]):
            return n
    return None
