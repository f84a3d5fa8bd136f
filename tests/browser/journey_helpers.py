"""What the journey tests do again and again: sign in, read a course to the end, answer a
drawn quiz (right or wrong, from the pack's answers in the database) and read PDFs."""

from __future__ import annotations

import io
import re

from playwright.sync_api import Page, expect
from pypdf import PdfReader
from sqlalchemy import select

from lms.extensions import db
from lms.models import OutboxMessage, Quiz

from .second_factor_steps import give_second_factor

LANDING = re.compile(r"^(My training|Overview)$")


def no_sideways_scroll(page: Page) -> bool:
    """The page fits its window's width (WCAG 1.4.10): nothing to scroll to sideways."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 1


def sign_in(page: Page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    give_second_factor(page, email)  # Directors, leads and administrators: the code from their app
    # Learners land on My training; Directors, Leads and administrators on the overview.
    expect(page.get_by_role("heading", level=1)).to_have_text(LANDING)


def fill_date(page: Page, legend: str, day) -> None:
    """Type a date into a date input's Day, Month and Year boxes."""
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


def requirement(page: Page, title: str):
    """One item of My training, found by its heading."""
    return page.locator("li.requirement", has=page.get_by_role("heading", name=title, exact=True))


def read_every_lesson(page: Page, course_title: str) -> None:
    """From a course page: start, then "Mark as read and continue" until the course is done."""
    expect(page.get_by_role("heading", level=1)).to_have_text(course_title)
    # Arriving at "#acknowledge", the browser scrolls once the page has loaded: a click aimed
    # before that scroll can land beside the link.
    page.wait_for_load_state("load")
    page.get_by_role("link", name=re.compile(r"^(Start|Continue)")).first.click()
    expect(page.locator(".lesson-position")).to_contain_text("Lesson")  # on a lesson, not the course page
    for _ in range(20):
        button = page.get_by_role("button", name="Mark as read and continue")
        if button.count() == 0:
            break
        expect(page.locator(".lesson-position")).to_contain_text("Lesson")
        with page.expect_navigation():  # never look for the next button on the page just left
            button.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(course_title)
    expect(page.get_by_role("status").first).to_contain_text(f"You have completed “{course_title}”")
    expect(page.locator(".course-progress-text").first).to_contain_text("(100%)")


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def answer_quiz(page: Page, slug: str, *, correctly: bool) -> int:
    """Answer every question on the attempt page, all right or all wrong, choosing options by
    their labels as a person would; the right answers come from the synced pack. Returns how
    many questions were shown."""
    quiz = db.session.scalar(select(Quiz).where(Quiz.slug == slug))
    questions = quiz.current_version.questions
    fieldsets = page.locator("fieldset.fieldset")
    expect(page.get_by_role("button", name="Submit answers")).to_be_visible()  # the attempt page has loaded
    count = fieldsets.count()
    assert count > 0
    for n in range(count):
        fieldset = fieldsets.nth(n)
        legend = fieldset.locator("legend").inner_text()
        shown = re.sub(r"^Question \d+ of \d+\s*", "", " ".join(legend.split()))
        question = next(q for q in questions if _same(q.text, shown))
        options = question.options
        if correctly:
            chosen = [o["text"] for o in options if o.get("correct")]
        else:
            chosen = [next(o["text"] for o in options if not o.get("correct"))]
        for text in chosen:
            fieldset.get_by_label(text, exact=True).check()
    return count


def pdf_text(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def outbox(recipient: str) -> list[OutboxMessage]:
    """The mail sent to someone, oldest first, as the server committed it."""
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient == recipient).order_by(OutboxMessage.id)
        )
    )
