"""A learner fails a quiz, reads the feedback and what to read again, retakes it and passes."""

import re

from playwright.sync_api import expect

from ..content import ContentDir
from ..factories import make_user, sync_content

PASSWORD = "a learner's passphrase"

QUIZ = """\
title = "Retake check"
pass_mark = 100
shuffle = true
[[questions]]
id = "capital"
type = "single"
text = "Which city is the capital of England?"
feedback = "London has been the capital for centuries."
options = [
  { text = "London", correct = true },
  { text = "Leeds" },
  { text = "York" },
]
[[questions]]
id = "primes"
type = "multiple"
text = "Which of these numbers are prime?"
feedback = "Two and three are prime; four is two times two."
options = [
  { text = "Two", correct = true },
  { text = "Three", correct = true },
  { text = "Four" },
]
[[questions]]
id = "sky"
type = "true_false"
text = "The sky is blue on a clear day."
answer = true
feedback = "Sunlight scatters off the air, blue most of all."
"""

PLAN = """
[[requirements]]
ref = "retake"
kind = "quiz"
title = "Retake quiz"
categories = ["staff"]
due_days = 30
"""


def test_fail_read_feedback_retake_and_pass(live_server, page, tmp_path):
    content = ContentDir(tmp_path / "content")
    content.course("retake", title="Retake course", extra='quiz = "retake"\n')
    content.quiz("retake", QUIZ)
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN)
    live_server.app.config.update(PROJECT_ROOT=content.root, TRAINING_PLAN=str(plan))
    sync_content()
    make_user(name="Lee Learner", email="lee@ecpt.example", password=PASSWORD)

    page.goto(f"{live_server.url}/")
    page.get_by_label("Email address").fill("lee@ecpt.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My training")
    page.get_by_role("link", name=re.compile("^Start the quiz")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Retake check")
    page.get_by_role("button", name="Start the quiz").click()

    # First attempt: two wrong, one left unanswered; the form flags it before submitting.
    page.get_by_role("group", name=re.compile("capital of England")).get_by_label("Leeds").check()
    page.get_by_role("group", name=re.compile("numbers are prime")).get_by_label("Four").check()
    page.get_by_role("button", name="Submit answers").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("You have not answered 1 question")
    expect(page.get_by_role("group", name=re.compile("capital of England")).get_by_label("Leeds")).to_be_checked()
    page.get_by_role("button", name="Submit answers").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your result")
    expect(page.get_by_text("You did not pass this time")).to_be_visible()
    expect(page.get_by_text("0 of 3 right")).to_be_visible()
    expect(page.get_by_text("London has been the capital for centuries.")).to_be_visible()
    expect(page.get_by_text("Two and three are prime; four is two times two.")).to_be_visible()
    expect(page.get_by_text("Not answered", exact=True)).to_be_visible()
    expect(page.get_by_text("The correct answers are not shown until you pass")).to_be_visible()
    expect(page.locator(".label-inline", has_text="Correct answer")).to_have_count(0)
    reread = page.locator(".callout", has_text="What to read again")
    expect(reread.get_by_role("link", name="First lesson")).to_be_visible()

    page.get_by_role("button", name="Retake the quiz").click()
    expect(page.get_by_text("Attempt 2")).to_be_visible()
    page.get_by_role("group", name=re.compile("capital of England")).get_by_label("London").check()
    primes = page.get_by_role("group", name=re.compile("numbers are prime"))
    primes.get_by_label("Two").check()
    primes.get_by_label("Three").check()
    page.get_by_role("group", name=re.compile("sky is blue")).get_by_label("True").check()
    page.get_by_role("button", name="Submit answers").click()

    expect(page.get_by_text("You passed")).to_be_visible()
    expect(page.get_by_text("100%", exact=True)).to_be_visible()
    expect(page.get_by_text("3 of 3 right")).to_be_visible()
    expect(page.locator(".label-inline", has_text="Correct answer").first).to_be_visible()
    page.get_by_role("link", name="Back to my training").click()
    item = page.locator(".requirement", has_text="Retake quiz")
    expect(item.get_by_text("Complete", exact=False).first).to_be_visible()
    expect(item.get_by_role("link", name=re.compile("^See your quiz results"))).to_be_visible()
