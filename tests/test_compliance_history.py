"""Compliance over time: a snapshot a day, never rewritten, the past rebuilt from the ledger,
and the share up to date on the dashboard (chart and table) and in the PDF report."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from pypdf import PdfReader
from sqlalchemy import func, select

from lms.extensions import db
from lms.models import Evidence, EvidenceStatus, Permission, User
from lms.models.content import Completion
from lms.models.history import ComplianceCount, ComplianceSnapshot
from lms.oversight import history
from lms.plan import standing
from lms.plan.loader import current_plan

from .clock import LONDON
from .factories import make_user

PLAN = """
warning_days = 30

[[requirements]]
ref = "prevent-refresher"
kind = "course"
title = "Prevent refresher"
categories = ["contractor"]
due_days = 14
renew_months = 12

[[requirements]]
ref = "ho-awareness"
kind = "certificate"
categories = ["staff"]
due_days = 60

[[certificate_types]]
ref = "ho-awareness"
title = "Home Office Prevent awareness"
provider = "Home Office"
url = "https://www.example.gov.uk/prevent"
evidence = "Upload the certificate."
"""

TODAY = date(2026, 11, 25)
COURSE = ("course", "prevent-refresher")
CERTIFICATE = ("certificate", "ho-awareness")


@pytest.fixture
def app_overrides(tmp_path):
    path = tmp_path / "plan.toml"
    path.write_text(PLAN)
    return {"TRAINING_PLAN": str(path)}


@pytest.fixture
def on_today(app):
    """The organisation's clock at noon on TODAY, moving on from there."""
    with time_machine.travel(datetime(2026, 11, 25, 12, tzinfo=LONDON), tick=True) as traveller:
        yield traveller


def complete(user, kind, ref, on):
    db.session.add(Completion(user_id=user.id, kind=kind, ref=ref, completed_on=on, source="import"))
    standing.refresh([user.id])
    db.session.commit()


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def ledger():
    """A hand-made organisation whose month-end statuses are known (see each person)."""
    # Ann, contractor from 1 January 2026, due 15 January, did the course on 10 March.
    ann = make_user(name="Ann", email="ann@example.org", categories=("contractor",), start_date=date(2026, 1, 1))
    complete(ann, *COURSE, date(2026, 3, 10))
    # Bob, contractor from 20 June 2026, due 4 July, never does it.
    make_user(name="Bob", email="bob@example.org", categories=("contractor",), start_date=date(2026, 6, 20))
    # Cat, staff since 2025, certificate overdue; uploads one on 20 July, rejected 3 August.
    cat = make_user(name="Cat", email="cat@example.org", categories=("staff",), start_date=date(2025, 6, 1))
    data = b"%PDF-1.4 not a real certificate"
    db.session.add(
        Evidence(
            user_id=cat.id, certificate_ref="ho-awareness", filename="cert.pdf", mime="application/pdf",
            size=len(data), sha256=hashlib.sha256(data).hexdigest(), data=data,
            certificate_date=date(2026, 7, 1), status=EvidenceStatus.REJECTED.value,
            uploaded_at=at(date(2026, 7, 20)), decided_at=at(date(2026, 8, 3)), reason="Not legible",
        )
    )
    standing.refresh([cat.id])
    db.session.commit()
    # Dan, contractor since 2025, did it on 5 January 2025 (valid to 5 January 2026); left 15 March 2026.
    dan = make_user(name="Dan", email="dan@example.org", categories=("contractor",), start_date=date(2025, 1, 1))
    complete(dan, *COURSE, date(2025, 1, 5))
    dan.active = False
    dan.deactivated_at = at(date(2026, 3, 15))
    db.session.commit()


# What the rebuild must find on each month's last day: {requirement: {status: count}}, people.
EXPECTED = {
    date(2025, 11, 30): ({COURSE: {"complete": 1}, CERTIFICATE: {"overdue": 1}}, 2),  # Dan valid; Cat
    date(2025, 12, 31): ({COURSE: {"expiring": 1}, CERTIFICATE: {"overdue": 1}}, 2),  # Dan lapses 5 Jan
    date(2026, 1, 31): ({COURSE: {"overdue": 1, "expired": 1}, CERTIFICATE: {"overdue": 1}}, 3),  # Ann starts
    date(2026, 3, 31): ({COURSE: {"complete": 1}, CERTIFICATE: {"overdue": 1}}, 2),  # Ann done, Dan left
    date(2026, 6, 30): ({COURSE: {"complete": 1, "due": 1}, CERTIFICATE: {"overdue": 1}}, 3),  # Bob starts
    date(2026, 7, 31): ({COURSE: {"complete": 1, "overdue": 1}, CERTIFICATE: {"pending": 1}}, 3),  # Cat uploaded
    date(2026, 8, 31): ({COURSE: {"complete": 1, "overdue": 1}, CERTIFICATE: {"overdue": 1}}, 3),  # rejected
}


def counts(found: dict) -> dict:
    return {key: {s: n for s, n in by_status.items() if n} for key, by_status in found.items()}


def snapshot_count() -> int:
    return db.session.scalar(select(func.count()).select_from(ComplianceSnapshot))


@pytest.mark.dates
@pytest.mark.usefixtures("on_today")
def test_the_rebuild_works_each_month_end_out_from_the_ledger():
    ledger()
    days = history.rebuild(current_plan(), TODAY)
    db.session.commit()
    assert days == history.month_ends_before(TODAY, 12)
    assert days[0] == date(2025, 11, 30) and days[-1] == date(2026, 10, 31)
    stored = history.snapshots(days)
    for day, (expected, people) in EXPECTED.items():
        assert counts(stored[day]) == expected, day
        assert db.session.scalar(select(ComplianceSnapshot.people).where(ComplianceSnapshot.day == day)) == people
    sources = set(db.session.scalars(select(ComplianceSnapshot.source)))
    assert sources == {"rebuilt"}

    shares = {p.month: p for p in history.monthly_shares(TODAY)}
    june = shares[date(2026, 6, 1)]
    assert (june.day, june.up_to_date, june.items, june.percent) == (date(2026, 6, 30), 1, 3, 33)
    assert shares[date(2025, 12, 1)].percent == 50  # expiring soon counts as up to date
    assert shares[date(2026, 11, 1)].day is None  # today's is not taken yet

    # Once rebuilt, never again: a later init leaves the history alone.
    assert history.rebuilt()
    assert history.rebuild(current_plan(), TODAY) == []


@pytest.mark.dates
@pytest.mark.usefixtures("on_today")
def test_a_snapshot_is_taken_once_a_day_by_the_run_or_the_first_dashboard_view(client, auth, runner, on_today):
    ledger()
    auth.login_as("lead", categories=("visitor",))
    result = runner.invoke(args=["lms", "send-reminders"])
    assert result.exit_code == 0, result.output
    assert "Compliance snapshot of 2026-11-25: taken." in result.output
    assert runner.invoke(args=["lms", "send-reminders"]).output.count("taken already") == 1
    client.get("/dashboard")
    assert snapshot_count() == 1
    assert db.session.scalar(select(ComplianceSnapshot.source)) == "daily"

    on_today.move_to(datetime(2026, 11, 26, 9, tzinfo=LONDON))
    assert client.get("/dashboard").status_code == 200  # the day's first view, before the run
    assert client.get("/dashboard").status_code == 200
    assert snapshot_count() == 2
    day = db.session.scalar(select(ComplianceSnapshot).where(ComplianceSnapshot.day == date(2026, 11, 26)))
    assert day.source == "dashboard"
    assert "taken already" in runner.invoke(args=["lms", "send-reminders"]).output
    assert snapshot_count() == 2

    # A run looking ahead, or a dry run, takes none.
    assert "none taken" in runner.invoke(args=["lms", "send-reminders", "--as-of", "2026-12-30"]).output
    assert "would take" in runner.invoke(args=["lms", "send-reminders", "--dry-run"]).output
    assert snapshot_count() == 2


@pytest.mark.dates
@pytest.mark.usefixtures("on_today")
def test_later_changes_do_not_rewrite_history(on_today):
    ledger()
    plan = current_plan()
    assert history.take(plan, TODAY, "daily")
    db.session.commit()
    before = history.snapshots([TODAY])[TODAY]
    assert before[COURSE] == {"complete": 1, "expiring": 0, "pending": 0, "due": 0, "overdue": 1, "expired": 0}

    late = db.session.scalar(select(User).where(User.email == "bob@example.org"))
    complete(late, *COURSE, TODAY)  # Bob catches up later the same day
    assert not history.take(plan, TODAY, "dashboard")
    assert history.snapshots([TODAY])[TODAY] == before
    assert history.counts_on(plan, TODAY).by_requirement[COURSE]["complete"] == 2  # today's standing moved

    row = db.session.scalar(select(ComplianceCount).limit(1))
    row.complete += 5
    with pytest.raises(ValueError, match="never rewritten"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.scalar(select(ComplianceSnapshot).limit(1)))
    with pytest.raises(ValueError, match="never rewritten"):
        db.session.flush()
    db.session.rollback()

    on_today.move_to(datetime(2026, 11, 27, 12, tzinfo=LONDON))
    assert history.take(plan, date(2026, 11, 27), "daily")
    db.session.commit()
    assert history.snapshots([TODAY])[TODAY] == before
    assert history.snapshots([date(2026, 11, 27)])[date(2026, 11, 27)][COURSE]["complete"] == 2


def chart_figures(page: str) -> dict[str, str]:
    """Month -> share, as the dashboard's table states them."""
    table = page.split('id="history-table"', 1)[1].split("</table>", 1)[0]
    figures = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]:
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        figures[cells[0]] = cells[-1]
    return figures


@pytest.mark.dates
@pytest.mark.usefixtures("on_today")
def test_the_dashboard_shows_the_chart_and_the_same_figures_in_a_table(client, auth):
    ledger()
    history.rebuild(current_plan(), TODAY)
    db.session.commit()
    auth.login_as("director", categories=("director",))
    page = client.get("/dashboard").get_data(as_text=True)

    svg = page.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert 'role="img"' in svg and 'aria-labelledby="history-chart-title history-chart-desc"' in svg
    assert "<title id=\"history-chart-title\">Share of training up to date, month by month</title>" in svg
    assert "<desc id=\"history-chart-desc\">From 50% in December 2025 to 33% in November 2026." in svg
    assert "<script" not in svg and "style=" not in svg and "<style" not in svg
    column_labels = re.findall(r"font-size=\"15\">(\d+)%</text>", svg)  # above the columns, not the axis
    figures = chart_figures(page)
    assert figures["June 2026"] == "33%"
    assert figures["December 2025"] == "50%"
    assert figures["July 2026"] == "33%"
    assert figures["November 2026"].endswith("%")  # today's, taken by this view
    shares = [figures[m] for m in reversed(list(figures))]
    assert [f"{n}%" for n in column_labels] == [s for s in shares if s.endswith("%")]

    # A learner never sees it; nor is a snapshot of theirs taken.
    auth.login_as("learner")
    assert client.get("/dashboard").status_code == 403


@pytest.mark.dates
@pytest.mark.usefixtures("on_today")
def test_the_pdf_report_has_the_same_figures(client, auth):
    ledger()
    history.rebuild(current_plan(), TODAY)
    history.take(current_plan(), TODAY, "daily")
    db.session.commit()
    auth.login_as("lead", categories=("visitor",))
    response = client.get("/dashboard/report.pdf")
    assert response.status_code == 200
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "The last 12 months" in text
    assert re.search(r"June 2026\s+30 June 2026\s+1\s+3\s+33%", text)
    assert re.search(r"December 2025\s+31 December 2025\s+1\s+2\s+50%", text)


def test_init_rebuilds_the_past_months_once(database_url, tmp_path):
    from .conftest import make_test_app
    from .test_migrations_and_cli import _empty

    app = make_test_app(database_url, tmp_path)
    _empty(app)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["lms", "init"])
    assert first.exit_code == 0, first.output
    assert "Compliance history: 12 past months rebuilt from the records." in first.output
    second = runner.invoke(args=["lms", "init"])
    assert second.exit_code == 0, second.output
    assert "Compliance history" not in second.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ComplianceSnapshot)) == 12
        db.session.remove()
        db.engine.dispose()
    _empty(app)


def test_leads_and_directors_may_open_the_dashboard_chart_learners_may_not(client, auth):
    for permission in (Permission.DIRECTOR, Permission.LEAD, Permission.ADMIN):
        auth.login_as(permission, email=f"{permission.name.lower()}@example.org")
        assert 'id="history-chart"' in client.get("/dashboard").get_data(as_text=True)
    auth.login_as("learner", email="learner@example.org")
    assert client.get("/dashboard").status_code == 403
    assert client.get("/", follow_redirects=True).status_code == 200
    assert snapshot_count() == 1
    assert timedelta(0) <= datetime.now(UTC) - db.session.scalar(select(ComplianceSnapshot.taken_at)) < timedelta(minutes=5)
