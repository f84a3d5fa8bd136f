"""Every page type passes axe-core (no serious or critical violations) and reflows at 320px."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from lms.dates import local_today
from lms.extensions import db
from lms.models import Permission
from lms.models.content import Completion

from ..clock import pinned_clock  # noqa: F401  (a fixture)
from ..factories import make_user
from .journey_helpers import LANDING
from .second_factor_steps import give_second_factor

pytestmark = [pytest.mark.dates, pytest.mark.usefixtures("pinned_clock")]

PASSWORD = "an accessible passphrase"
AXE = Axe()


def sign_in(page, base, email):
    page.goto(f"{base}/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    give_second_factor(page, email)
    expect(page.get_by_role("heading", level=1)).to_have_text(LANDING)


def serious_violations(page) -> list[str]:
    results = AXE.run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def reflows(page) -> bool:
    """No horizontal scrolling of the page at 320 CSS pixels (wide data tables scroll in place)."""
    page.set_viewport_size({"width": 320, "height": 800})
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    page.set_viewport_size({"width": 1280, "height": 900})
    return overflow <= 1


@pytest.fixture
def organisation(live_server):
    from ..factories import sync_content

    sync_content()
    today = local_today()
    people = {
        "learner": make_user(name="Lee Learner", email="learner@example.org", categories=("staff",),
                             start_date=today - timedelta(days=40), password=PASSWORD),
        "admin": make_user(name="Ada Admin", email="admin@example.org", categories=("staff",),
                           permission=Permission.ADMIN, password=PASSWORD),
    }
    db.session.add(Completion(user_id=people["learner"].id, kind="course", ref="prevent-awareness",
                              completed_on=today - timedelta(days=3), source="lms"))
    db.session.commit()
    return people


def check(page, url, failures):
    page.goto(url)
    problems = serious_violations(page)
    if problems:
        failures.append(f"{url}: {problems}")
    if not reflows(page):
        failures.append(f"{url}: scrolls sideways at 320px")


def test_pages_pass_axe_and_reflow(live_server, organisation, page):
    base = live_server.url
    failures: list[str] = []
    for path in ("/login", "/forgot-password", "/raise-a-concern", "/no-such-page"):
        check(page, base + path, failures)

    sign_in(page, base, "learner@example.org")
    for path in ("/", "/courses", "/courses/prevent-awareness", "/account/password"):
        check(page, base + path, failures)
    page.goto(f"{base}/courses/prevent-awareness")
    lesson = page.locator("a[href*='/lessons/']").first.get_attribute("href")
    check(page, base + lesson, failures)
    for path in ("/quizzes/prevent-awareness", "/evidence", "/evidence/certificates/home-office-prevent-awareness/upload",
                 "/certificates", "/verify", "/verify/NOTAREALCODE1"):
        check(page, base + path, failures)
    # The quiz itself: the answer form, then the result with feedback.
    page.goto(f"{base}/quizzes/prevent-awareness")
    page.get_by_role("button", name="Start the quiz").click()
    check(page, page.url, failures)
    page.get_by_role("button", name="Submit answers").click()  # all unanswered: the warning step
    problems = serious_violations(page)
    if problems:
        failures.append(f"quiz with unanswered warning: {problems}")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, base, "admin@example.org")
    learner_id = organisation["learner"].id
    for path in (
        "/dashboard",
        "/dashboard/overdue",
        f"/dashboard/people/{learner_id}",
        "/admin/people",
        "/admin/people/invite",
        f"/admin/people/{learner_id}",
        f"/admin/people/{learner_id}/edit",
        f"/admin/people/{learner_id}/deactivate",
        "/admin/people/import",
        "/admin/audit",
        "/admin/settings/contacts",
        "/admin/outbox",
        "/admin/training-plan",
        "/records/import",
        "/evidence/queue",
        "/self-certifications",
        "/admin/declaration",
        "/quiz-results",
        "/quiz-results/prevent-awareness",
    ):
        check(page, base + path, failures)

    # Forms with errors: the error summary and messages must be accessible too.
    page.goto(f"{base}/admin/people/invite")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    problems = serious_violations(page)
    if problems:
        failures.append(f"invite form with errors: {problems}")
    assert failures == []


def test_keyboard_alone_reaches_raise_a_concern_and_signs_in(live_server, organisation, page):
    base = live_server.url
    page.goto(f"{base}/login")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to main content")
    page.keyboard.press("Enter")
    for _ in range(6):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "email":
            break
    page.keyboard.type("learner@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("My training")
    # "Raise a concern" is reachable with the Tab key alone.
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Raise a concern":
            break
    expect(page.locator(":focus")).to_have_text("Raise a concern")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Raise a concern")
