"""Checking an uploaded certificate file: its name, its size and, by its content, its type.

`filetype` recognises the type from the first bytes; the structural checks below catch what
a magic number cannot: a PDF that is also a web page (a polyglot), a truncated image.
"""

from __future__ import annotations

import re
import struct
import unicodedata
import zlib
from dataclasses import dataclass
from typing import IO

import filetype

ALLOWED = {"application/pdf": "PDF", "image/png": "PNG", "image/jpeg": "JPEG"}
CHUNK = 64 * 1024

# Markup a browser would run or render if it ever sniffed the file as HTML. Only tags of four
# letters or more: shorter ones turn up by chance in 10 MB of compressed image data.
_HTML = re.compile(
    rb"<\s*(?:!doctype\s+html|html|head|body|script|iframe|object|embed|meta|form|style)[\s>/]",
    re.IGNORECASE,
)
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class BadFile(ValueError):
    """A file we refuse, with the message shown to the person."""


@dataclass(frozen=True)
class CheckedFile:
    data: bytes
    mime: str
    filename: str


def check_filename(name: str | None) -> str:
    """The name as given, refused when it has path parts or control characters."""
    if not name or not name.strip():
        raise BadFile("The selected file has no name")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in name):
        raise BadFile("The file name must not contain control characters; rename the file and try again")
    if "/" in name or "\\" in name or name in (".", "..") or name.startswith(".."):
        raise BadFile("The file name must not contain folder names or slashes; rename the file and try again")
    if len(name) > 200:
        raise BadFile("The file name must be 200 characters or fewer; rename the file and try again")
    return name.strip()


def read_limited(stream: IO[bytes], limit: int) -> bytes:
    """Read at most `limit` bytes, refusing the file as soon as it goes past that."""
    parts, total = [], 0
    while True:
        chunk = stream.read(min(CHUNK, limit + 1 - total))
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
        if total > limit:
            raise BadFile(f"The selected file must be smaller than {limit // (1024 * 1024)} MB")
    return b"".join(parts)


def check_content(data: bytes) -> str:
    """The file's MIME type from its content, after the structural checks for that type."""
    if not data:
        raise BadFile("The selected file is empty")
    kind = filetype.guess(data)
    mime = kind.mime if kind else None
    if mime not in ALLOWED:
        raise BadFile("The selected file must be a PDF, PNG or JPEG")
    if _HTML.search(data):
        raise BadFile(
            f"The selected file is a {ALLOWED[mime]} that also contains web page code, so it cannot be "
            "accepted. Save or print the certificate again, or upload a screenshot of it"
        )
    {"application/pdf": _check_pdf, "image/png": _check_png, "image/jpeg": _check_jpeg}[mime](data)
    return mime


def _check_pdf(data: bytes) -> None:
    if not data.startswith(b"%PDF-"):
        raise BadFile("The selected file must be a PDF, PNG or JPEG")
    if b"%%EOF" not in data[-2048:]:
        raise BadFile("The selected PDF is incomplete (it may not have finished downloading); save it again")


def _check_png(data: bytes) -> None:
    """Walk the chunks: each CRC must match and IEND must end the file."""
    truncated = BadFile("The selected image is incomplete or damaged; take the screenshot again")
    pos = len(_PNG_SIGNATURE)
    while True:
        if pos + 8 > len(data):
            raise truncated
        length, ctype = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 8 + length + 4
        if end > len(data):
            raise truncated
        crc = struct.unpack(">I", data[end - 4 : end])[0]
        if zlib.crc32(data[pos + 4 : end - 4]) != crc:
            raise truncated
        pos = end
        if ctype == b"IEND":
            break
    if data[pos:].strip(b"\x00"):
        raise BadFile("The selected image has extra data after its end; take the screenshot again")


def _check_jpeg(data: bytes) -> None:
    """Walk the segments to the image data, which must end with the EOI marker."""
    truncated = BadFile("The selected image is incomplete or damaged; take the screenshot again")
    pos = 2
    while True:
        if pos + 4 > len(data) or data[pos] != 0xFF:
            raise truncated
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD8,) or 0xD0 <= marker <= 0xD7 or marker == 0x01:
            pos += 2
            continue
        if marker == 0xD9:
            raise truncated  # an end before any image data
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        pos += 2 + length
        if marker == 0xDA:  # start of scan: entropy-coded data follows up to EOI
            break
    if pos > len(data) or data.rstrip(b"\x00")[-2:] != b"\xff\xd9":
        raise truncated
