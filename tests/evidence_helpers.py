"""Files and a plan for the evidence tests."""

from __future__ import annotations

import io
import re
from datetime import date

from fpdf import FPDF
from PIL import Image

PLAN = """
warning_days = 30

[[requirements]]
ref = "ho-awareness"
kind = "certificate"
title = "Home Office awareness"
categories = ["staff", "director"]
due_days = 28
renew_months = 36

[[requirements]]
ref = "director-self-certification"
kind = "attestation"
title = "Directors' self-certification"
categories = ["director"]
due_days = 60
renew_months = 12

[[certificate_types]]
ref = "ho-awareness"
title = "Prevent duty training: Awareness course"
provider = "Home Office"
url = "https://www.example.gov.uk/prevent/awareness"
evidence = "Upload the completion certificate showing your name and the date."
"""


def pdf_bytes(text: str = "Certificate of completion") -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    pdf.cell(0, 10, text)
    return bytes(pdf.output())


def jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 90, 200)).save(out, "PNG")
    return out.getvalue()


def upload(client, data: bytes, name: str = "certificate.pdf", *, on: date | None = None, ref: str = "ho-awareness",
           number: str = "", content_type: str = "application/pdf"):
    return client.post(
        f"/evidence/certificates/{ref}/upload",
        data={
            "file": (io.BytesIO(data), name, content_type),
            **date_parts("certificate_date", on or date(2026, 1, 5)),
            "certificate_number": number,
        },
        content_type="multipart/form-data",
    )


def date_parts(name: str, day: date) -> dict[str, str]:
    """A date as the three boxes of a date input post it."""
    return {f"{name}-day": str(day.day), f"{name}-month": str(day.month), f"{name}-year": str(day.year)}


def text(response) -> str:
    """The page's text with tags removed and spaces collapsed."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<[^>]+>", " ", html)
    return " ".join(html.replace("&#39;", "'").replace("&amp;", "&").replace("&quot;", '"').split())
