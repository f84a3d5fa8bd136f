"""In a real browser: answers are saved as they are given (the page's script, with the CSRF
token), a closed browser resumes the same attempt with them, and without JavaScript the
"Save answers" button does the same. Then a lead reads how each question performs, at
1280 and at 320 pixels, axe-clean."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import select

from lms.extensions import db
from lms.models import Permission, QuizDraftAnswer

from ..content import ContentDir
from ..factories import make_user, sync_content
from .journey_helpers import sign_in

PASSWORD = "a learner's passphrase"

QUIZ = """\
title = "Drafts check"
pass_mark = 50
shuffle = false
[[questions]]
id = "capital"
type = "single"
text = "Which city is the capital of England?"
feedback = "London."
options = [
  { text = "London", correct = true },
  { text = "Leeds" },
]
[[questions]]
id = "primes"
type = "multiple"
text = "Which of these numbers are prime?"
feedback = "Two and three."
options = [
  { text = "Two", correct = true },
  { text = "Three", correct = true },
  { text = "Four" },
]
"""


@pytest.fixture
def quiz(live_server, tmp_path):
    content = ContentDir(tmp_path / "content")
    content.quiz("drafts", QUIZ)
    live_server.app.config.update(PROJECT_ROOT=content.root)
    sync_content()
    make_user(name="Lee Learner", email="lee@ecpt.example", password=PASSWORD)
    make_user(name="Sam Lead", email="lead@ecpt.example", password=PASSWORD, permission=Permission.LEAD)


def saved_fields() -> dict:
    db.session.expire_all()
    found: dict = {}
    for row in db.session.scalars(select(QuizDraftAnswer)):
        found.update(row.fields)
    return found


def group(page, text):
    return page.get_by_role("group", name=re.compile(text))


def test_answers_are_saved_on_change_and_resume_after_the_browser_is_closed(live_server, quiz, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    sign_in(page, live_server.url, "lee@ecpt.example", PASSWORD)
    page.goto(f"{live_server.url}/quizzes/drafts")
    page.get_by_role("button", name="Start the quiz").click()
    group(page, "capital of England").get_by_label("Leeds").check()
    status = page.locator("[data-save-status]")
    expect(status).to_have_text(re.compile("Your answers are saved: 1 of 2 questions answered"))
    group(page, "numbers are prime").get_by_label("Two").check()
    group(page, "numbers are prime").get_by_label("Four").check()
    expect(status).to_have_text(re.compile("2 of 2 questions answered"))
    assert saved_fields() == {"q-capital": ["1"], "q-primes": ["0", "2"]}
    attempt_url = page.url
    context.close()  # the browser is closed mid-attempt

    again = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = again.new_page()
    sign_in(page, live_server.url, "lee@ecpt.example", PASSWORD)
    page.goto(f"{live_server.url}/quizzes/drafts")
    expect(page.get_by_text("You have answered 2 of 2 questions so far")).to_be_visible()
    page.get_by_role("link", name="Continue the quiz").click()
    assert page.url == attempt_url
    expect(group(page, "capital of England").get_by_label("Leeds")).to_be_checked()
    expect(group(page, "numbers are prime").get_by_label("Two")).to_be_checked()
    expect(group(page, "numbers are prime").get_by_label("Four")).to_be_checked()
    group(page, "capital of England").get_by_label("London").check()
    group(page, "numbers are prime").get_by_label("Four").uncheck()
    group(page, "numbers are prime").get_by_label("Three").check()
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_text("100%").first).to_be_visible()
    assert saved_fields() == {}
    again.close()


def test_without_javascript_the_save_button_keeps_the_answers(live_server, quiz, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB", java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live_server.url, "lee@ecpt.example", PASSWORD)
    page.goto(f"{live_server.url}/quizzes/drafts")
    page.get_by_role("button", name="Start the quiz").click()
    group(page, "numbers are prime").get_by_label("Three").check()
    page.get_by_role("button", name="Save answers").click()
    expect(page.get_by_role("status")).to_contain_text("Your answers are saved: 1 of 2 questions answered")
    expect(group(page, "numbers are prime").get_by_label("Three")).to_be_checked()
    assert saved_fields() == {"q-primes": ["1"]}
    context.close()


def test_a_lead_reads_the_question_figures_axe_clean_at_1280_and_320(live_server, quiz, page):
    sign_in(page, live_server.url, "lee@ecpt.example", PASSWORD)
    page.goto(f"{live_server.url}/quizzes/drafts")
    page.get_by_role("button", name="Start the quiz").click()
    group(page, "capital of England").get_by_label("London").check()
    group(page, "numbers are prime").get_by_label("Four").check()
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_text("50%").first).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, live_server.url, "lead@ecpt.example", PASSWORD)
    page.get_by_role("link", name="Quiz results").click()
    page.get_by_role("link", name="Drafts check").click()
    page.get_by_role("link", name="How each question performs over the last 12 months").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How each question performs")
    table = page.get_by_role("table", name=re.compile("facility and discrimination"))
    expect(table.get_by_role("row", name=re.compile("capital of England"))).to_contain_text("100%")
    axe = Axe()
    for width in (1280, 320):
        page.set_viewport_size({"width": width, "height": 900})
        violations = [v["id"] for v in axe.run(page).response["violations"] if v["impact"] in ("serious", "critical")]
        assert violations == [], (width, violations)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, width
    # at 320 each figure is labelled with its column's heading
    label = page.evaluate("getComputedStyle(document.querySelector('td[data-label=Facility]'), '::before').content")
    assert label == '"Facility: "'
