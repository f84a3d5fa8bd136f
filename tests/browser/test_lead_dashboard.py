"""Issue 6 in a browser: a learner's My training changes as they complete items; a lead
filters the dashboard to the overdue list and downloads both reports."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from lms.dates import local_today
from lms.models import Permission

from ..clock import pinned_clock  # noqa: F401  (a fixture)
from ..factories import make_user
from .journey_helpers import LANDING
from .second_factor_steps import give_second_factor

pytestmark = [pytest.mark.dates, pytest.mark.usefixtures("pinned_clock")]

PASSWORD = "a dashboard passphrase"


@pytest.fixture
def organisation(live_server):
    from ..factories import sync_content

    sync_content()
    today = local_today()
    return {
        "learner": make_user(name="Nia Newstarter", email="nia@example.org", categories=("contractor",),
                             start_date=today - timedelta(days=3), password=PASSWORD),
        "late": make_user(name="Oscar Overdue", email="oscar@example.org", categories=("volunteer",),
                          start_date=today - timedelta(days=90)),
        "lead": make_user(name="Sam Safeguarding", email="sam@example.org", categories=("staff",),
                          permission=Permission.LEAD, password=PASSWORD),
    }


def sign_in(page, base, email):
    page.goto(f"{base}/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    give_second_factor(page, email)
    expect(page.get_by_role("heading", level=1)).to_have_text(LANDING)


def test_my_training_changes_as_a_course_is_read(live_server, organisation, page):
    base = live_server.url
    sign_in(page, base, "nia@example.org")
    progress = page.get_by_text("Your progress:")
    expect(progress).to_contain_text("0 of")
    refresher = page.locator(".requirement", has=page.get_by_role("heading", name="Prevent refresher", exact=True))
    expect(refresher).to_contain_text("To do")
    refresher.get_by_role("link", name="Go to the course").click()
    page.locator("a[href*='/lessons/']").first.click()
    expect(page.locator(".lesson-position")).to_contain_text("Lesson 1")  # on the lesson, not the course page
    for _ in range(10):
        button = page.get_by_role("button", name="Mark as read and continue")
        if button.count() == 0:
            break
        with page.expect_navigation():  # never look for the next button on the page just left
            button.click()
    page.get_by_role("link", name="My training").click()
    expect(page.get_by_text("Your progress:")).to_contain_text("1 of")
    refresher = page.locator(".requirement", has=page.get_by_role("heading", name="Prevent refresher", exact=True))
    expect(refresher).to_contain_text("Complete")
    expect(refresher).to_contain_text("Valid until")
    expect(page.get_by_role("table")).to_contain_text("Prevent refresher")


def test_lead_filters_to_overdue_and_downloads_reports(live_server, organisation, page, tmp_path):
    base = live_server.url
    sign_in(page, base, "sam@example.org")
    page.get_by_role("link", name="Dashboard", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Training dashboard")
    page.get_by_label("Status").select_option("overdue")
    page.get_by_role("button", name="Apply filters").click()
    matrix = page.locator("table.matrix")
    expect(matrix).to_contain_text("Oscar Overdue")
    expect(matrix).not_to_contain_text("Nia Newstarter")

    page.get_by_role("link", name="See the overdue list").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Overdue training")
    expect(page.get_by_role("table")).to_contain_text("Oscar Overdue")
    page.get_by_role("link", name="Oscar Overdue").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Oscar Overdue")
    expect(page.get_by_role("table").first).to_contain_text("Overdue")

    page.get_by_role("link", name="Dashboard", exact=True).click()
    with page.expect_download() as info:
        page.get_by_role("link", name="Download CSV").click()
    csv_path = tmp_path / "report.csv"
    info.value.save_as(csv_path)
    lines = csv_path.read_text().splitlines()
    assert lines[0] == "email,name,categories,requirement,kind,status,completed_on,valid_until,deadline"
    assert any(line.startswith("oscar@example.org,Oscar Overdue,volunteer,") and ",overdue," in line for line in lines)

    with page.expect_download() as info:
        page.get_by_role("link", name="Download PDF report").click()
    pdf_path = tmp_path / "report.pdf"
    info.value.save_as(pdf_path)
    from pypdf import PdfReader

    text = "\n".join(p.extract_text() for p in PdfReader(pdf_path).pages)
    assert "Prevent training compliance report" in text and "Oscar Overdue" in text
