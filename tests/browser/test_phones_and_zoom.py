"""Phones and zoom (WCAG 1.4.10, 1.4.3): the key pages at 1280 and 375 px read without sideways
scrolling, axe-core clean, with each stacked table cell labelled by its column heading; every
page type with a table, and the main forms, fits 320 px and is axe-core clean at 375 px; a
focused error summary keeps its contrast; "Select everyone on this page" works."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from lms import org
from lms.auth import operations as auth
from lms.auth.second_factor import mark_session
from lms.dates import local_today
from lms.evidence import attestations
from lms.extensions import db
from lms.models import Completion, Evidence, Permission
from lms.plan.loader import current_plan
from lms.quizzes import attempts
from lms.records.reminders import remind_people

from ..factories import make_user, sync_content
from .test_accessibility import PASSWORD, serious_violations

LONG_EMAIL = "designated.safeguarding.lead.and.prevent.coordinator@ellesmere-psychotherapy-training.example.org"
LONG_NAME = "Maximilian Alexander Fitzgerald-Montgomery-Worthington-Smythe"


def sign_in(page, server, user) -> None:
    """A session signed in in full (for a lead, its second factor given, as when a password
    change replaces a session that had it), put in the browser's cookie jar: what these tests
    check is the pages, not the way in (the sign-in journeys are tested elsewhere)."""
    key = auth.open_session(user, "127.0.0.1", "tests")
    mark_session(key, user, done=True)
    db.session.commit()
    app = server.app
    cookie = app.session_interface.get_signing_serializer(app).dumps({"_user_id": key, "_fresh": True})
    page.context.add_cookies([{"name": app.config["SESSION_COOKIE_NAME"], "value": cookie, "url": server.url}])


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


# What sticks out, to say so when a page does not fit.
WIDEST = """() => Array.from(document.querySelectorAll('main *'))
  .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(-3).map(el => el.tagName + '.' + el.className + ' ' + Math.round(el.getBoundingClientRect().right)
    + ' in ' + el.parentElement.tagName + ' ' + el.textContent.slice(0, 40))"""


# Cells that would stack without their column's heading: a cell with no data-label under a
# visible heading (a column of checkboxes or buttons, its heading hidden, names itself).
BARE_CELLS = """() => Array.from(document.querySelectorAll('table.table tbody tr')).flatMap(tr => {
  const heads = Array.from(tr.closest('table').querySelectorAll('thead th'));
  return Array.from(tr.cells).filter((cell, i) => cell.tagName === 'TD' && !cell.dataset.label
      && cell.colSpan === 1 && heads[i] && !heads[i].querySelector('.visually-hidden')
      && heads[i].textContent.trim())
    .map(cell => heads[Array.from(tr.cells).indexOf(cell)].textContent.trim());
}).slice(0, 5)"""


def before(page, selector: str) -> str:
    return page.evaluate(f"getComputedStyle(document.querySelector({selector!r}), '::before').content")


@pytest.fixture
def organisation(live_server):
    sync_content()
    today = local_today()
    lead = make_user(
        name="Lena Lead",
        email="lead@example.org",
        categories=("director",),
        permission=Permission.LEAD,
        password=PASSWORD,
    )
    learner = make_user(
        name="Lee Learner",
        email="learner@example.org",
        categories=("staff",),
        start_date=today - timedelta(days=1500),
        password=PASSWORD,
    )
    for n in range(4):
        make_user(
            name=f"Person {n}",
            email=f"person{n}@example.org",
            categories=("contractor", "staff"),
            start_date=today - timedelta(days=30 * n),
        )
    db.session.add(
        Completion(
            user_id=learner.id,
            kind="course",
            ref="prevent-awareness",
            completed_on=today - timedelta(days=3),
            source="lms",
        )
    )
    data = b"%PDF-1.4 certificate"
    evidence = Evidence(
        user_id=learner.id,
        certificate_ref="home-office-prevent-awareness",
        filename="certificate.pdf",
        mime="application/pdf",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        certificate_date=today - timedelta(days=1),
    )
    db.session.add(evidence)
    org.update_contacts({"lead_name": "Lena Lead", "lead_phone": "01632 960 001", "lead_email": LONG_EMAIL}, lead)
    db.session.commit()
    return {"lead": lead, "learner": learner, "evidence": evidence}


@pytest.mark.parametrize("width", [1280, 375])
def test_key_pages_fit_the_window_and_pass_axe(live_server, organisation, page, width):
    base = live_server.url
    page.set_viewport_size({"width": width, "height": 900})
    failures: list[str] = []

    def check(path: str) -> None:
        page.goto(base + path)
        problems = serious_violations(page)
        if problems:
            failures.append(f"{path} at {width}px: {problems}")
        if not fits(page):
            failures.append(f"{path} at {width}px scrolls sideways: {page.evaluate(WIDEST)}")
        bare = page.evaluate(BARE_CELLS)
        if bare:
            failures.append(f"{path}: cells without their heading when stacked: {bare}")
        page.set_viewport_size({"width": 320, "height": 800})  # and at 400% zoom of 1280 px
        if not fits(page):
            failures.append(f"{path} at 320px scrolls sideways: {page.evaluate(WIDEST)}")
        page.set_viewport_size({"width": width, "height": 900})

    check("/raise-a-concern")
    sign_in(page, live_server, organisation["learner"])
    check("/")
    page.context.clear_cookies()
    sign_in(page, live_server, organisation["lead"])
    for path in (
        "/dashboard",
        "/dashboard/overdue",
        f"/evidence/{organisation['evidence'].id}/review",
        "/admin/people",
        "/raise-a-concern",
    ):
        check(path)
    assert failures == []


def test_stacked_tables_label_each_cell_with_its_heading(live_server, organisation, page):
    base = live_server.url
    page.set_viewport_size({"width": 375, "height": 900})
    sign_in(page, live_server, organisation["lead"])
    page.goto(f"{base}/dashboard/overdue")
    assert before(page, "tbody td[data-label='Days overdue']") == '"Days overdue: "'
    expect(page.locator("tbody td[data-label='Days overdue']").first).to_contain_text("days")
    page.goto(f"{base}/dashboard")
    matrix = page.locator("table.matrix tbody td[data-label]").first
    heading = matrix.get_attribute("data-label")
    assert heading and before(page, "table.matrix tbody td[data-label]") == f'"{heading}: "'
    # The same page at desktop width draws the headings as a header row, without the labels.
    page.set_viewport_size({"width": 1280, "height": 900})
    assert before(page, "table.matrix tbody td[data-label]") == "none"
    expect(page.locator("table.matrix thead th").nth(2)).to_be_visible()


def test_a_focused_error_summary_keeps_its_contrast(live_server, organisation, page):
    base = live_server.url
    sign_in(page, live_server, organisation["lead"])
    page.goto(f"{base}/admin/people/invite")
    page.get_by_role("button", name="Send invitation").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    assert summary.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(255, 255, 255)"
    assert [p for p in serious_violations(page) if p.startswith("color-contrast")] == []


def test_select_everyone_on_the_page_then_nobody(live_server, organisation, page):
    base = live_server.url
    sign_in(page, live_server, organisation["lead"])
    page.goto(f"{base}/admin/people")
    select_all = page.get_by_label("Select everyone on this page")
    boxes = page.locator("tbody input[name=user_id]")
    select_all.check()
    assert all(boxes.nth(i).is_checked() for i in range(boxes.count()))
    boxes.first.uncheck()
    assert select_all.evaluate("el => el.indeterminate")
    select_all.check()
    select_all.uncheck()
    assert not any(boxes.nth(i).is_checked() for i in range(boxes.count()))
    page.get_by_label("With the people selected").select_option(index=1)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_contain_text("Select at least one person.")
    assert serious_violations(page) == []


@pytest.fixture
def every_table(live_server, organisation):
    """Something in each table: a manager with reports, a submitted quiz attempt, a Director's
    self-certification, an email waiting in the outbox, and a long name and address to wrap."""
    today = local_today()
    lead, learner = organisation["lead"], organisation["learner"]
    admin = make_user(name="Ada Admin", email="admin@example.org", permission=Permission.ADMIN, password=PASSWORD)
    report = make_user(
        name=LONG_NAME,
        email=LONG_EMAIL.replace("designated", "report"),
        categories=("contractor",),
        start_date=today - timedelta(days=40),
    )
    report.manager_id = learner.id
    quiz = attempts.active_quiz("prevent-awareness")
    attempt = attempts.start_attempt(learner, quiz)
    attempts.submit(attempt, [q for q, _ in attempts.drawn_questions(attempt)], {})
    for kind, ref in (("course", "prevent-for-directors"), ("certificate", "home-office-prevent-awareness")):
        db.session.add(Completion(user_id=lead.id, kind=kind, ref=ref, completed_on=today, source="lms"))
    db.session.flush()
    org_name = live_server.app.config["ORG_NAME"]
    declaration = attestations.current_declaration(org_name)
    done = {e.key for e in attestations.certifiable_items(lead, today) if e.recorded}
    attestations.attest(lead, attestations.attestation_refs(lead)[0], done, org_name, declaration.version)
    remind_people(current_plan(), today, [report.id], lead)  # an email in the outbox, a row in the log
    db.session.commit()
    return {**organisation, "admin": admin, "report": report, "attempt": attempt}


ROSTER = (
    "Email,Name,Category,Start date\r\n"
    "learner@example.org,Lee Learner,Staff|Volunteer,2022-01-03\r\n"
    f"{LONG_EMAIL.replace('designated', 'newcomer')},{LONG_NAME} Junior,Agency staff,2025-09-01\r\n"
)


def test_every_page_with_a_table_fits_320_px_and_passes_axe_at_375(live_server, every_table, page, tmp_path):
    base = live_server.url
    failures: list[str] = []

    def check(path: str | None = None) -> None:
        """The page at 375 px, axe-core clean and fitting; then at 320 px, still fitting."""
        page.set_viewport_size({"width": 375, "height": 800})
        if path:
            page.goto(base + path)
        where = path or page.url.removeprefix(base)
        assert page.locator("h1").count() == 1, f"{where} did not open: {page.title()}"
        bare = page.evaluate(BARE_CELLS)
        if bare:
            failures.append(f"{where}: cells without their heading when stacked: {bare}")
        problems = serious_violations(page)
        if problems:
            failures.append(f"{where} at 375px: {problems}")
        for width in (375, 320):
            page.set_viewport_size({"width": width, "height": 800})
            if not fits(page):
                failures.append(f"{where} at {width}px scrolls sideways: {page.evaluate(WIDEST)}")

    learner, lead, report = every_table["learner"], every_table["lead"], every_table["report"]
    sign_in(page, live_server, learner)  # a learner who manages someone
    for path in (
        "/team",
        "/evidence",
        f"/quizzes/prevent-awareness/attempts/{every_table['attempt'].id}/result",
    ):
        check(path)

    page.context.clear_cookies()
    sign_in(page, live_server, lead)
    for path in (
        "/overview",
        "/quiz-results",
        "/quiz-results/prevent-awareness",
        "/quiz-results/prevent-awareness/questions",
        "/admin/audit",
        f"/admin/people/{report.id}",
        f"/dashboard/people/{learner.id}",
        "/self-certifications",
        "/admin/people/invite",
        "/admin/people/import",
    ):
        check(path)
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    page.get_by_label("Roster CSV file").set_input_files(str(roster))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the roster import")
    check()

    page.context.clear_cookies()
    sign_in(page, live_server, every_table["admin"])
    for path in ("/admin/outbox", "/admin/training-plan", "/admin/settings/reminders", "/admin/settings/contacts"):
        check(path)
    assert failures == []
