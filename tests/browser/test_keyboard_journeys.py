"""The learner's and the Director's journeys with the keyboard alone: Tab to move, Enter to
follow a link or press a button, Space to tick. No clicks, no focusing by script."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from lms.dates import local_today
from lms.extensions import db
from lms.models import Completion, Permission

from ..clock import pinned_clock  # noqa: F401  (a fixture)
from ..factories import make_user
from .journey_helpers import LANDING
from .second_factor_steps import give_second_factor

pytestmark = [pytest.mark.dates, pytest.mark.usefixtures("pinned_clock")]

PASSWORD = "a keyboard passphrase"
REF = "home-office-prevent-awareness"


def tab_to(page: Page, text: str, *, limit: int = 150) -> None:
    """Press Tab until the focused element's text or label starts with `text`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        found = page.evaluate(
            """(wanted) => {
                const el = document.activeElement;
                if (!el) return false;
                const label = el.labels && el.labels.length ? el.labels[0].textContent : "";
                const own = (el.innerText || el.value || "").trim();
                return own.startsWith(wanted) || label.trim().startsWith(wanted);
            }""",
            text,
        )
        if found:
            return
    raise AssertionError(f"Tab never reached {text!r}")


def press_enter_on(page: Page, text: str) -> None:
    """Tab to the link or button starting with `text`, press Enter and wait for the next page."""
    tab_to(page, text)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def keyboard_sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    tab_to(page, "Email address")
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    give_second_factor(page, email)
    expect(page.get_by_role("heading", level=1)).to_have_text(LANDING)


def test_a_contractor_reads_the_refresher_and_takes_its_quiz_by_keyboard(live_server, page):
    from ..factories import sync_content

    sync_content()
    make_user(name="Kit Keys", email="kit@example.org", categories=("contractor",),
              start_date=local_today() - timedelta(days=2), password=PASSWORD)
    base = live_server.url
    keyboard_sign_in(page, base, "kit@example.org")

    press_enter_on(page, "Go to the course")
    expect(page.get_by_role("heading", level=1)).to_contain_text("refresher")
    press_enter_on(page, "Start")
    for _ in range(10):
        if page.get_by_role("button", name="Mark as read and continue").count() == 0:
            break
        press_enter_on(page, "Mark as read and continue")
    press_enter_on(page, "My training")
    course = page.locator("li.requirement", has=page.get_by_role("heading", name="Prevent refresher", exact=True))
    expect(course.locator(".tag")).to_have_text("Complete")

    press_enter_on(page, "Start the quiz")
    press_enter_on(page, "Start the quiz")
    expect(page.get_by_role("button", name="Submit answers")).to_be_visible()
    # Answer every question: Tab into each group and take its first option with Space.
    groups = page.locator("fieldset").count()
    for n in range(groups):
        first = page.locator("fieldset").nth(n).locator("input").first
        label = first.evaluate("el => el.labels[0].textContent.trim()")
        tab_to(page, label)
        page.keyboard.press("Space")
    press_enter_on(page, "Submit answers")
    expect(page.get_by_role("heading", level=1)).to_contain_text("result", ignore_case=True)
    expect(page.get_by_text("%").first).to_be_visible()


def test_a_director_self_certifies_by_keyboard(live_server, page):
    dee = make_user(name="Dee Director", email="dee@example.org", categories=("director",),
                    permission=Permission.DIRECTOR, password=PASSWORD)
    # A declaration names what the ledger shows as done.
    db.session.add(Completion(user_id=dee.id, kind="course", ref="prevent-for-directors",
                              completed_on=local_today(), source="lms"))
    db.session.commit()
    base = live_server.url
    keyboard_sign_in(page, base, "dee@example.org")
    press_enter_on(page, "Go to My training")  # from the overview, where a Director lands
    press_enter_on(page, "Make your self-certification")
    expect(page.get_by_role("heading", level=1)).to_have_text("Self-certification")
    tab_to(page, "Prevent for Directors")
    page.keyboard.press("Space")
    tab_to(page, "Your password")
    page.keyboard.type(PASSWORD)
    press_enter_on(page, "Make the declaration")
    expect(page.get_by_role("status").first).to_contain_text("Your self-certification is recorded")


def test_a_lead_filters_the_dashboard_to_overdue_by_keyboard(live_server, page):
    from ..factories import sync_content

    sync_content()
    make_user(name="Oona Overdue", email="oona@example.org", categories=("volunteer",),
              start_date=local_today() - timedelta(days=90))
    make_user(name="Nell New", email="nell@example.org", categories=("volunteer",), start_date=local_today())
    make_user(name="Lee Lead", email="lee@example.org", categories=("staff",), permission=Permission.LEAD,
              password=PASSWORD)
    keyboard_sign_in(page, live_server.url, "lee@example.org")
    press_enter_on(page, "Dashboard")
    tab_to(page, "Any status")  # the Status select shows its current choice
    page.keyboard.type("Overdue")
    press_enter_on(page, "Apply filters")
    matrix = page.locator("table.matrix")
    expect(matrix).to_contain_text("Oona Overdue")
    expect(matrix).not_to_contain_text("Nell New")


def test_a_new_starter_accepts_the_invitation_and_uploads_a_certificate_by_keyboard(live_server, page, tmp_path):
    """Journey 1's first steps: the invitation link, a password, then the Home Office
    certificate, whose file is picked with the keyboard (the file dialog itself is the
    browser's, so the test answers it)."""
    from lms.auth import operations
    from lms.extensions import db

    from ..evidence_helpers import pdf_bytes

    newcomer = make_user(name="Ivy Invited", email="ivy@example.org", categories=("staff",), start_date=local_today())
    with live_server.app.test_request_context(base_url=live_server.url):
        link = operations.invite(newcomer, None)
    db.session.commit()
    certificate = tmp_path / "home-office-certificate.pdf"
    certificate.write_bytes(pdf_bytes("Ivy Invited completed Prevent awareness"))
    on = local_today() - timedelta(days=2)

    # Listen for file dialogs from the start: Playwright turns interception on without
    # waiting, so a listener added just before the key press can miss the dialog.
    page.on("filechooser", lambda chooser: None)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Ivy Invited")
    tab_to(page, "Password")
    page.keyboard.type("ivy's own passphrase")
    tab_to(page, "Confirm password")
    page.keyboard.type("ivy's own passphrase")
    press_enter_on(page, "Set password and sign in")
    expect(page.get_by_role("heading", level=1)).to_have_text("My training")
    expect(page.get_by_role("status").first).to_contain_text("Your password is set")

    press_enter_on(page, "Upload your certificate")
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload your certificate")
    tab_to(page, "Certificate file")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(str(certificate))
    tab_to(page, "Day")
    page.keyboard.type(str(on.day))
    page.keyboard.press("Tab")
    page.keyboard.type(str(on.month))
    page.keyboard.press("Tab")
    page.keyboard.type(str(on.year))
    press_enter_on(page, "Upload certificate")
    expect(page.get_by_role("heading", level=1)).to_have_text("My training")
    expect(page.get_by_role("status").first).to_contain_text("was uploaded")
    item = page.locator("li.requirement", has_text="Home Office Prevent awareness e-learning")
    expect(item.locator(".tag")).to_have_text("Awaiting verification")


def test_a_lead_verifies_a_certificate_by_keyboard(live_server, page):
    """Journey 4's check of evidence: the queue, the review page, the verify button."""
    from lms.evidence import operations
    from lms.extensions import db

    from ..evidence_helpers import pdf_bytes

    learner = make_user(name="Lee Learner", email="lee@example.org", categories=("staff",))
    operations.upload_certificate(learner, REF, io.BytesIO(pdf_bytes()), "certificate.pdf",
                                  local_today() - timedelta(days=3), "")
    db.session.commit()
    make_user(name="Lou Lead", email="lou@example.org", categories=("staff",), permission=Permission.LEAD,
              password=PASSWORD)
    keyboard_sign_in(page, live_server.url, "lou@example.org")
    press_enter_on(page, "Evidence to check")
    press_enter_on(page, "Review")
    expect(page.get_by_role("heading", level=1)).to_have_text("Review Lee Learner’s certificate")
    press_enter_on(page, "Verify the certificate")
    expect(page.get_by_role("status").first).to_contain_text("You verified Lee Learner’s certificate")
