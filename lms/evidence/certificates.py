"""Completion certificates: issued for a complete plan or a completed course, as a PDF with a
verification code anyone can check at /verify/<code>."""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import segno
from fpdf import FPDF
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..dates import local_today
from ..extensions import db
from ..formatting import long_date
from ..links import external_url
from ..models import Completion, Course, CourseVersion, IssuedCertificate, User
from ..plan.loader import current_plan
from ..plan.transcript import transcript

# No 0/O, 1/I/L: a code read aloud or typed from paper comes out right. 16 characters of 31
# symbols is about 79 bits: nobody finds a valid code by guessing.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 16
FONTS = Path(__file__).resolve().parent.parent / "fonts"
INK = (29, 29, 36)
BRAND = (43, 58, 103)


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: str) -> str:
    return "".join(ch for ch in raw.upper() if ch.isalnum())


def pretty_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


@dataclass
class Offer:
    """A certificate the person may download now."""

    scope: str  # plan | course
    ref: str
    title: str
    completed_on: date
    valid_until: date | None
    items: list[dict]


def plan_offer(user: User, today: date | None = None) -> Offer | None:
    """The whole-plan certificate, when every requirement is complete."""
    today = today or local_today()
    record = transcript(current_plan(), user, today)
    items = record.items
    if not items or not all(i.status.is_done for i in items):
        return None
    dates = [i.result.completed_on for i in items if i.result.completed_on]
    expiries = [i.result.valid_until for i in items if i.result.valid_until]
    return Offer(
        scope="plan",
        ref="",
        title="Prevent training plan",
        completed_on=max(dates),
        valid_until=min(expiries) if expiries else None,
        items=[_item(i.title, i.result.completed_on, i.result.valid_until) for i in items],
    )


def course_offers(user: User, today: date | None = None) -> list[Offer]:
    """A certificate for each course the person has completed (the latest completion)."""
    today = today or local_today()
    plan = current_plan()
    record = transcript(plan, user, today)
    renew = {i.ref: i.result.valid_until for i in record.items if i.kind == "course"}
    latest: dict[str, date] = {}
    for c in record.completions:
        if c.kind == "course" and c.completed_on <= today:
            latest[c.ref] = max(latest.get(c.ref, c.completed_on), c.completed_on)
    titles = dict(
        db.session.execute(
            select(Course.slug, CourseVersion.title)
            .join(CourseVersion, Course.current_version_id == CourseVersion.id)
            .where(Course.slug.in_(list(latest)))
        ).all()
    )
    offers = []
    for slug, on in sorted(latest.items(), key=lambda kv: titles.get(kv[0], kv[0])):
        title = titles.get(slug, record.titles.get(("course", slug), slug))
        until = renew.get(slug) if slug in renew else None
        offers.append(Offer("course", slug, title, on, until, [_item(title, on, until)]))
    return offers


def _item(title: str, on: date | None, until: date | None) -> dict:
    return {
        "title": title,
        "completed_on": on.isoformat() if on else None,
        "valid_until": until.isoformat() if until else None,
    }


def issue(user: User, offer: Offer) -> IssuedCertificate:
    """The certificate for this offer: the one issued before for the same completion, else new."""
    def existing() -> IssuedCertificate | None:
        return db.session.scalar(
            select(IssuedCertificate).where(
                IssuedCertificate.user_id == user.id,
                IssuedCertificate.scope == offer.scope,
                IssuedCertificate.ref == offer.ref,
                IssuedCertificate.completed_on == offer.completed_on,
            )
        )

    found = existing()
    if found is not None:
        return found
    cert = IssuedCertificate(
        code=new_code(),
        user_id=user.id,
        scope=offer.scope,
        ref=offer.ref,
        title=offer.title,
        items=offer.items,
        completed_on=offer.completed_on,
        valid_until=offer.valid_until,
    )
    try:
        with db.session.begin_nested():
            db.session.add(cert)
    except IntegrityError:  # the same download in another tab a moment ago
        return existing()
    db.session.flush()
    return cert


def find(code: str) -> IssuedCertificate | None:
    code = normalise_code(code)
    if len(code) != CODE_LENGTH:
        return None
    return db.session.scalar(select(IssuedCertificate).where(IssuedCertificate.code == code))


def is_valid(cert: IssuedCertificate, today: date) -> bool:
    return cert.valid_until is None or today < cert.valid_until


def verify_url(code: str) -> str:
    return external_url("evidence.verify_certificate", code=code)


def course_completion_exists(user: User, slug: str) -> bool:
    return (
        db.session.scalar(
            select(Completion.id).where(Completion.user_id == user.id, Completion.kind == "course", Completion.ref == slug)
        )
        is not None
    )


# -- the PDF ------------------------------------------------------------------------------



def build_pdf(cert: IssuedCertificate, org_name: str) -> bytes:
    url = verify_url(cert.code)
    pdf = FPDF(orientation="landscape", unit="mm", format="A4")
    pdf.add_font("DejaVu", "", FONTS / "DejaVuSans.ttf")
    pdf.add_font("DejaVu", "B", FONTS / "DejaVuSans-Bold.ttf")
    pdf.set_title(f"Certificate of completion: {cert.title}")
    pdf.set_author(org_name)
    pdf.set_creator("Prevent training LMS")
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    pdf.set_text_color(*INK)

    # A frame round the page.
    pdf.set_draw_color(*BRAND)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, 277, 190)
    pdf.set_line_width(0.3)
    pdf.rect(13, 13, 271, 184)

    pdf.set_xy(20, 24)
    pdf.set_font("DejaVu", "B", 12)
    pdf.set_text_color(*BRAND)
    pdf.cell(257, 8, org_name, align="C")
    pdf.set_xy(20, 36)
    pdf.set_font("DejaVu", "B", 28)
    pdf.cell(257, 14, "Certificate of completion", align="C")
    pdf.set_text_color(*INK)
    pdf.set_xy(20, 56)
    pdf.set_font("DejaVu", "", 13)
    pdf.cell(257, 8, "This certifies that", align="C")
    pdf.set_xy(20, 66)
    pdf.set_font("DejaVu", "B", 24)
    pdf.cell(257, 13, cert.user.name, align="C")
    pdf.set_xy(20, 82)
    pdf.set_font("DejaVu", "", 13)
    what = "completed every requirement of the" if cert.scope == "plan" else "completed the course"
    pdf.cell(257, 8, what, align="C")
    pdf.set_xy(20, 91)
    pdf.set_font("DejaVu", "B", 16)
    pdf.multi_cell(257, 8, cert.title, align="C")
    pdf.set_x(20)
    pdf.set_font("DejaVu", "", 12)
    pdf.cell(257, 8, f"on {long_date(cert.completed_on)}", align="C")

    y = pdf.get_y() + 11
    if cert.scope == "plan":
        pdf.set_font("DejaVu", "", 8.5)
        lines = [f"{i['title']}: {long_date(i['completed_on'])}" for i in cert.items]
        half = (len(lines) + 1) // 2
        for col, chunk in enumerate((lines[:half], lines[half:])):
            pdf.set_xy(30 + col * 120, y)
            pdf.multi_cell(115, 4.2, "\n".join(chunk))
        y = max(y + 4.2 * half + 4, 150)
    else:
        y = max(y, 130)

    # Verification: the code, its address and a QR code of the address.
    qr = segno.make(url, error="m")
    image = io.BytesIO()
    qr.save(image, kind="png", scale=8, border=2)
    image.seek(0)
    pdf.image(image, x=238, y=150, w=38, h=38)
    pdf.set_xy(22, max(y, 152))
    pdf.set_font("DejaVu", "", 10)
    issued = cert.issued_at.date() if cert.issued_at else local_today()
    valid = f"Valid until {long_date(cert.valid_until)}" if cert.valid_until else "Does not need renewing"
    pdf.multi_cell(
        205,
        5.5,
        f"Issued {long_date(issued)} by {org_name}. {valid}.\n"
        f"Verification code: {pretty_code(cert.code)}\n"
        f"Check this certificate at {url}",
    )
    return bytes(pdf.output())
