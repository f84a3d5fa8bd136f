"""Journey 2 whole: a contractor on the shipped plan completes the refresher path (course,
quiz, policy); eleven and a half months later the daily reminder run emails them before it
lapses; they take the refresher again and My training shows it renewed for another year."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from lms.dates import local_today
from lms.extensions import db
from lms.models import Completion
from lms.plan import standing
from lms.plan.status import add_months
from lms.plan.views import long_date

from ..clock import pinned_clock  # noqa: F401  (a fixture)
from ..factories import make_user, sync_content
from .journey_helpers import answer_quiz, outbox, read_every_lesson, requirement, sign_in

pytestmark = [pytest.mark.dates, pytest.mark.usefixtures("pinned_clock")]

PASSWORD = "a contractor's passphrase"
# One item may serve several categories; it shows the plan's first title for it.
COURSE = "Prevent refresher"
QUIZ = "Prevent refresher quiz"
COURSE_PAGE = "Prevent refresher"
POLICY = "Acknowledge the ECPT Prevent Policy"
EMAIL = "cal@contractor.example"


def take_the_quiz(page) -> None:
    """From the quiz page: start (or retake) it and pass."""
    expect(page.get_by_role("heading", level=1)).to_have_text("Prevent refresher quiz")
    page.get_by_role("button", name=re.compile("^(Start|Retake) the quiz$")).click()
    assert answer_quiz(page, "prevent-refresher", correctly=True) == 10
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_text("You passed")).to_be_visible()
    expect(page.get_by_text("10 of 10 right")).to_be_visible()
    page.get_by_role("link", name="Back to my training").click()


def test_a_contractor_is_reminded_and_renews_the_refresher(live_server, page):
    sync_content()  # the shipped content and plan
    today = local_today()
    contractor = make_user(name="Cal Contractor", email=EMAIL, categories=("contractor",),
                           start_date=today - timedelta(days=2), password=PASSWORD)
    base = live_server.url

    # -- The refresher path: three items, with the contractor's short deadlines.
    sign_in(page, base, EMAIL, PASSWORD)
    expect(page.get_by_text("Your progress: 0 of 3 complete")).to_be_visible()
    expect(requirement(page, COURSE)).to_contain_text(f"Due {long_date(today + timedelta(days=12))}, in 12 days.")
    expect(requirement(page, POLICY)).to_contain_text(f"Due {long_date(today + timedelta(days=5))}, in 5 days.")
    expect(page.get_by_role("heading", name="Prevent awareness", exact=True)).to_have_count(0)

    requirement(page, COURSE).get_by_role("link", name=re.compile("^Go to the course")).click()
    read_every_lesson(page, COURSE_PAGE)
    page.get_by_role("link", name="My training").click()
    requirement(page, QUIZ).get_by_role("link", name=re.compile("^Start the quiz")).click()
    take_the_quiz(page)
    requirement(page, POLICY).get_by_role("link", name=re.compile("^Read and acknowledge the policy")).click()
    read_every_lesson(page, "The ECPT Prevent Policy in plain English")
    page.locator("#acknowledge").get_by_role("button", name=re.compile("^Confirm")).click()
    expect(page.get_by_role("status").first).to_contain_text("you have acknowledged version 2026.1")
    page.get_by_role("link", name="My training").click()
    expect(page.get_by_role("heading", name="You are up to date")).to_be_visible()
    a_year_on = long_date(add_months(today, 12))
    for title in (COURSE, QUIZ, POLICY):
        expect(requirement(page, title)).to_contain_text(f"Valid until {a_year_on}.")

    # Nothing needs a reminder yet.
    runner = live_server.app.test_cli_runner()
    quiet = runner.invoke(args=["lms", "send-reminders"])
    assert quiet.exit_code == 0, quiet.output
    assert "reminded 0 people" in quiet.output
    assert outbox(EMAIL) == []

    # -- Eleven and a half months pass: everything was done 350 days ago.
    then = today - timedelta(days=350)
    db.session.execute(update(Completion).where(Completion.user_id == contractor.id).values(completed_on=then))
    standing.refresh([contractor.id])  # the raw UPDATE passed by the operation that keeps it
    db.session.commit()
    lapses = add_months(then, 12)
    left = (lapses - today).days
    assert 0 < left <= 30  # inside the plan's warning window

    # The daily run emails the contractor, naming the refresher before it lapses.
    result = runner.invoke(args=["lms", "send-reminders"])
    assert result.exit_code == 0, result.output
    assert f"{EMAIL}: {POLICY}, {COURSE}, {QUIZ}" in result.output  # in the plan's order
    assert "reminded 1 person about 3 items" in result.output
    mail = outbox(EMAIL)
    assert len(mail) == 1
    assert mail[0].subject == "Training reminder: 3 items need your attention"
    assert "Hello Cal Contractor," in mail[0].body
    assert f"- {COURSE}: valid until {long_date(lapses)}, renew within {left} days" in mail[0].body
    assert f"- {QUIZ}: valid until {long_date(lapses)}, renew within {left} days" in mail[0].body
    assert re.search(r"http://\S+/\s", mail[0].body + " ")  # a link to My training
    # A second run the same day sends nothing new.
    again = runner.invoke(args=["lms", "send-reminders"])
    assert "reminded 0 people" in again.output
    assert len(outbox(EMAIL)) == 1

    # -- My training shows the items expiring; the contractor retakes the refresher quiz.
    page.reload()
    quiz = requirement(page, QUIZ)
    expect(quiz.locator(".tag")).to_have_text("Expiring soon")
    expect(quiz).to_contain_text(f"Valid until {long_date(lapses)}, renew within {left} days.")
    expect(page.get_by_role("heading", name="You are up to date")).to_be_visible()  # still valid today
    quiz.get_by_role("link", name=re.compile("^Retake the quiz")).click()
    take_the_quiz(page)
    quiz = requirement(page, QUIZ)
    expect(quiz.locator(".tag")).to_have_text("Complete")
    expect(quiz).to_contain_text(f"Valid until {a_year_on}.")

    # The course renews by reading it again.
    course = requirement(page, COURSE)
    expect(course.locator(".tag")).to_have_text("Expiring soon")
    course.get_by_role("link", name=re.compile("^Take the course again")).click()
    expect(page.get_by_text(f"Your completion of {long_date(then)} is due for renewal")).to_be_visible()
    read_every_lesson(page, COURSE_PAGE)
    page.get_by_role("link", name="My training").click()
    course = requirement(page, COURSE)
    expect(course.locator(".tag")).to_have_text("Complete")
    expect(course).to_contain_text(f"Valid until {a_year_on}.")

    # And the policy by confirming it again.
    requirement(page, POLICY).get_by_role("link", name=re.compile("^Read and acknowledge the policy")).click()
    page.locator("#acknowledge").get_by_role("button", name=re.compile("^Confirm again")).click()
    expect(page.get_by_role("status").first).to_contain_text("you have acknowledged version 2026.1")
    page.get_by_role("link", name="My training").click()
    expect(page.get_by_text("Your progress: 3 of 3 complete")).to_be_visible()
    for title in (COURSE, QUIZ, POLICY):
        expect(requirement(page, title).locator(".tag")).to_have_text("Complete")
        expect(requirement(page, title)).to_contain_text(f"Valid until {a_year_on}.")

    # Renewed, nothing is left to remind about.
    after = runner.invoke(args=["lms", "send-reminders"])
    assert "reminded 0 people" in after.output
