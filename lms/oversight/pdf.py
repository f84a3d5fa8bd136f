"""The inspection report as a PDF (fpdf2): summary per requirement and category, the overdue
list, the organisation's name, the date and page numbers."""

from __future__ import annotations

import io
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.fonts import FontFace

from ..formatting import date_time, long_date, plural
from ..models import CATEGORY_LABELS
from ..plan.plan import Plan
from ..plan.status import STATUS_ORDER, Status
from ..plan.views import KIND_LABELS
from .chart import has_figures, share_chart_for_pdf
from .history import monthly_shares
from .operations import Filters, overdue, overview

FONTS = Path(__file__).resolve().parent.parent / "fonts"
INK = (29, 29, 36)
BRAND = (43, 58, 103)
PDF_OVERDUE_ROWS = 500  # beyond this a PDF stops being readable; the CSV has them all


class ReportPDF(FPDF):
    def __init__(self, org_name: str, as_of: date):
        super().__init__(orientation="landscape", unit="mm", format="A4")
        self.org_name = org_name
        self.as_of = as_of
        # DejaVu ships with the app, so names such as Siân or Zoë print as written.
        self.add_font("DejaVu", "", FONTS / "DejaVuSans.ttf")
        self.add_font("DejaVu", "B", FONTS / "DejaVuSans-Bold.ttf")
        self.set_font("DejaVu", size=10)
        self.set_text_color(*INK)
        self.set_auto_page_break(auto=True, margin=16)
        self.set_title(f"Prevent training compliance report, {org_name}")
        self.set_author(org_name)
        self.set_creator("Prevent training LMS")

    def header(self) -> None:
        self.set_font("DejaVu", "B", 9)
        self.set_text_color(*BRAND)
        self.cell(0, 6, f"{self.org_name}: Prevent training compliance, as on {long_date(self.as_of)}", align="L")
        self.ln(9)
        self.set_text_color(*INK)
        self.set_font("DejaVu", size=10)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", size=8)
        self.cell(0, 6, f"Page {self.page_no()} of {{nb}}", align="C")

    def heading(self, text: str, size: int = 14) -> None:
        self.set_font("DejaVu", "B", size)
        self.multi_cell(0, size * 0.55, text)
        self.ln(2)
        self.set_font("DejaVu", size=10)

    def paragraph(self, text: str) -> None:
        self.multi_cell(0, 5.5, text)
        self.ln(2)

    def grid(self, headings: list[str], rows: list[list[str]], widths: tuple[int, ...]) -> None:
        heading_style = FontFace(emphasis="BOLD", fill_color=(230, 232, 240))
        with self.table(
            col_widths=widths,
            text_align="LEFT",
            headings_style=heading_style,
            line_height=5.5,
            repeat_headings=1,
        ) as table:
            table.row(headings)
            for row in rows:
                table.row(row)
        self.ln(4)



def _pct(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "–"


def _history(pdf: ReportPDF, as_of: date) -> None:
    """The share up to date over the 12 months to the report's day: the dashboard's chart and
    the same figures in a table."""
    shares = monthly_shares(as_of)
    pdf.heading("The last 12 months")
    pdf.paragraph(
        "The share of required training up to date (complete or expiring soon) on the last day "
        "recorded in each month; a day's figures are kept as they were."
    )
    if has_figures(shares):
        if pdf.will_page_break(80):
            pdf.add_page()
        pdf.image(io.BytesIO(share_chart_for_pdf(shares)), w=150)
        pdf.ln(2)
    rows = [
        [f"{p.month:%B %Y}", long_date(p.day), str(p.up_to_date), str(p.items), _pct(p.up_to_date, p.items)]
        if p.day
        else [f"{p.month:%B %Y}", "No figures recorded", "", "", ""]
        for p in reversed(shares)
    ]
    pdf.grid(["Month", "Counted on", "Up to date", "Items", "Share"], rows, (50, 50, 30, 30, 24))


def build_report(plan: Plan, as_of: date, org_name: str, timezone: str) -> bytes:
    data = overview(plan, as_of, Filters(), by_category=True)
    late = overdue(plan, as_of)
    pdf = ReportPDF(org_name, as_of)
    pdf.add_page()
    pdf.heading("Prevent training compliance report", 20)
    generated = datetime.now(ZoneInfo(timezone))
    total_items = sum(data.totals.values())
    done = data.totals[Status.COMPLETE] + data.totals[Status.EXPIRING]
    pdf.paragraph(
        f"Organisation: {org_name}\n"
        f"Statuses as on: {long_date(as_of)}\n"
        f"Generated: {date_time(generated, generated.tzinfo, at=' at ')} ({timezone})\n"
        f"Active people: {data.people_count}. Requirements in their plans: {total_items}, "
        f"of which {done} ({_pct(done, total_items)}) are complete and valid."
    )
    pdf.paragraph(
        "Statuses: complete (valid); expiring (valid, lapses within "
        f"{plural(plan.warning_days, 'day')}); awaiting verification (evidence submitted); to do (deadline "
        "ahead); overdue (deadline passed, never done); expired (done before, lapsed)."
    )

    pdf.heading("Summary by requirement")
    headings = ["Requirement", "Kind", "People"] + [s.label for s in STATUS_ORDER] + ["Valid"]
    rows = []
    for key, title in data.columns:
        counts = data.by_requirement[key]
        people = sum(counts.values())
        valid = counts[Status.COMPLETE] + counts[Status.EXPIRING]
        rows.append([title, KIND_LABELS[key[0]], str(people)] + [str(counts[s]) for s in STATUS_ORDER] + [_pct(valid, people)])
    pdf.grid(headings, rows, (58, 36, 16, 18, 18, 24, 16, 18, 24, 16))

    _history(pdf, as_of)

    pdf.heading("Summary by staff category")
    headings = ["Category", "Items"] + [s.label for s in STATUS_ORDER] + ["Valid"]
    rows = []
    for category, label in CATEGORY_LABELS.items():
        counts = data.by_category.get(category, Counter())
        items = sum(counts.values())
        if not items:
            continue
        valid = counts[Status.COMPLETE] + counts[Status.EXPIRING]
        rows.append([label, str(items)] + [str(counts[s]) for s in STATUS_ORDER] + [_pct(valid, items)])
    if rows:
        pdf.grid(headings, rows, (50, 20, 22, 22, 30, 22, 24, 30, 20))
    else:
        pdf.paragraph("No one holds a category with requirements.")

    pdf.heading("Overdue and expired")
    if len(late) > PDF_OVERDUE_ROWS:
        pdf.paragraph(
            f"{plural(len(late), 'item')} {'is' if len(late) == 1 else 'are'} overdue or expired. The {PDF_OVERDUE_ROWS} longest overdue are "
            "listed; the compliance CSV lists every one."
        )
    if late:
        rows = [
            [
                e.person.name,
                e.person.email,
                e.item.title,
                e.item.status.label,
                long_date(e.item.result.deadline if e.item.status is Status.OVERDUE else e.item.result.valid_until),
                str(e.days),
            ]
            for e in late[:PDF_OVERDUE_ROWS]
        ]
        pdf.grid(["Person", "Email", "Requirement", "Status", "Since", "Days"], rows, (48, 62, 72, 24, 32, 16))
    else:
        pdf.paragraph("Nothing is overdue or expired.")
    return bytes(pdf.output())
