"""Checking an uploaded certificate file: its name, its size and, by its content, its type.

`filetype` recognises the type from the first bytes; the structural checks below catch what
a magic number cannot: a PDF that is also a web page (a polyglot), a truncated image, a PDF
that runs a script or opens another program when a lead opens it, or one that expands to
gigabytes when a viewer unpacks it. A PDF is read with pypdf, as a viewer reads it: names
can be spelt in escapes (/J#53 is /JS) and objects hidden in compressed object streams, so
searching the bytes for "/JavaScript" would miss what a viewer runs.
"""

from __future__ import annotations

import io
import re
import struct
import unicodedata
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

import filetype
from pypdf import PdfReader, apply_configuration
from pypdf.errors import DependencyError, LimitReachedError
from pypdf.filters import decode_stream_data
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

ALLOWED = {"application/pdf": "PDF", "image/png": "PNG", "image/jpeg": "JPEG"}
CHUNK = 64 * 1024

# Markup a browser would run or render if it ever sniffed the file as HTML. Only tags of four
# letters or more: shorter ones turn up by chance in 10 MB of compressed image data.
_HTML = re.compile(
    rb"<\s*(?:!doctype\s+html|html|head|body|script|iframe|object|embed|meta|form|style)[\s>/]",
    re.IGNORECASE,
)
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# A certificate of a page or two unpacks to a few megabytes; even a scanned one stays far below
# this. More is a file made to exhaust the memory of whoever opens it.
MAX_PDF_EXPANDED = 100 * 1024 * 1024
# Keys whose presence means the PDF carries a script: document-level JavaScript, a /JS action,
# an XFA form (which holds scripts of its own).
_SCRIPT_KEYS = ("/JS", "/JavaScript", "/XFA")
# Additional actions run by themselves when a page opens, a field is entered, the file closes...
_AUTOMATIC_KEYS = ("/AA",)
_RETRY = "Print the certificate to a new PDF, or upload a screenshot of it"


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
    too_big = BadFile(f"The selected PDF unpacks to far more data than a certificate holds, so it cannot be accepted. {_RETRY}")
    limit = {
        "zlib_maximum_output_length": MAX_PDF_EXPANDED,
        "lzw_maximum_output_length": MAX_PDF_EXPANDED,
        "run_length_maximum_output_length": MAX_PDF_EXPANDED,
        "array_based_stream_maximum_output_length": MAX_PDF_EXPANDED,
        "zlib_maximum_recovery_input_length": 1024 * 1024,
        "jbig2dec_binary": None,  # never start another program on an upload
    }
    try:
        with apply_configuration(**limit):
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted and not reader.decrypt(""):
                raise BadFile("The selected PDF is protected with a password; save a copy without the password and upload that")
            expanded = 0
            for obj in _pdf_objects(reader):
                _check_pdf_object(obj)
                if isinstance(obj, StreamObject):
                    expanded += _expanded_size(obj)
                    if expanded > MAX_PDF_EXPANDED:
                        raise too_big
    except BadFile:
        raise
    except LimitReachedError:
        raise too_big from None
    except Exception:  # pypdf raises many kinds of error on a malformed file
        raise BadFile("The selected PDF is damaged and cannot be read; save or print it again") from None


def _pdf_objects(reader: PdfReader) -> Iterator[DictionaryObject]:
    """Every dictionary and stream reachable from the trailer, as a viewer would reach them."""
    seen: set[tuple[int, int]] = set()
    stack: list = [reader.trailer]
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in seen:
                continue
            seen.add(key)
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):  # streams too
            yield obj
            stack.extend(obj.values())  # raw values: references stay references, so each is read once
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)


def _check_pdf_object(obj: DictionaryObject) -> None:
    action = obj["/S"] if "/S" in obj else None  # [] resolves a reference, .get() would not
    if any(key in obj for key in _SCRIPT_KEYS) or action == "/JavaScript":
        raise BadFile(f"The selected PDF contains a script (JavaScript), so it cannot be accepted. {_RETRY}")
    if action == "/Launch" or "/Launch" in obj:
        raise BadFile(f"The selected PDF tries to open another file or program, so it cannot be accepted. {_RETRY}")
    if any(key in obj for key in _AUTOMATIC_KEYS):
        raise BadFile(f"The selected PDF contains actions that run by themselves when it is read, so it cannot be accepted. {_RETRY}")


def _expanded_size(stream: StreamObject) -> int:
    """The stream's size once unpacked; pypdf stops at the configured limits."""
    try:
        return len(decode_stream_data(stream))
    except (DependencyError, NotImplementedError):
        return 0  # a codec pypdf cannot run here (JBIG2 images): nothing to measure


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
