"""A learner answers each new question type in the browser (short answer, numerical,
matching, weighted multiple answer), is asked again for a number typed in words, and reads
the feedback written for each answer given; both pages pass axe-core."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from ..content import ContentDir
from ..factories import make_user, sync_content
from .test_accessibility import reflows, serious_violations

PASSWORD = "a learner's passphrase"

QUIZ = """\
title = "New kinds"
pass_mark = 75
shuffle = true

[[questions]]
id = "agency"
type = "short_answer"
text = "Which body sets the UK terrorism threat level? Give its initials."
feedback = "The Joint Terrorism Analysis Centre sets it."
answers = [
  { text = "JTAC", feedback = "Yes: the Joint Terrorism Analysis Centre." },
  { text = "MI5", weight = 50, feedback = "JTAC sits within MI5: half the mark." },
]

[[questions]]
id = "act-year"
type = "numerical"
text = "In which year did the Prevent duty become law?"
feedback = "The Counter-Terrorism and Security Act is of 2015."
answers = [ { value = 2015, feedback = "Right: 2015." } ]

[[questions]]
id = "strands"
type = "matching"
text = "Match each strand of CONTEST to what it does."
feedback = "Prevent stops people being drawn in; Pursue stops attacks; Protect strengthens defences."
pairs = [
  { prompt = "Prevent", match = "Stop people being drawn into terrorism" },
  { prompt = "Pursue", match = "Stop attacks" },
  { prompt = "Protect", match = "Strengthen protection" },
]

[[questions]]
id = "signs"
type = "multiple"
text = "Which of these may be signs of radicalisation? Select all that apply."
feedback = "Changes in behaviour and contacts matter; faith alone is never a sign."
options = [
  { text = "Sudden isolation from friends", weight = 50, feedback = "Yes: a change worth noticing." },
  { text = "New contacts who push an ideology", weight = 50 },
  { text = "Going to a place of worship", weight = -100, feedback = "No: faith is not a sign." },
]
"""


def test_answer_each_new_type_and_read_its_feedback(live_server, page, tmp_path):
    content = ContentDir(tmp_path / "content")
    content.quiz("kinds", QUIZ)
    live_server.app.config.update(PROJECT_ROOT=content.root)
    sync_content()
    make_user(name="Lee Learner", email="lee@ecpt.example", password=PASSWORD)

    page.goto(f"{live_server.url}/login")
    page.get_by_label("Email address").fill("lee@ecpt.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/quizzes/kinds")
    page.get_by_role("button", name="Start the quiz").click()
    expect(page.get_by_text("Attempt 1")).to_be_visible()
    assert serious_violations(page) == [] and reflows(page)

    # Each control is found by its label, as a screen reader announces it.
    page.get_by_label(re.compile("Which body sets")).fill("  mi5 ")
    page.get_by_label(re.compile("Prevent duty become law")).fill("twenty fifteen")
    strands = page.get_by_role("group", name=re.compile("Match each strand"))
    strands.get_by_label("Prevent").select_option(label="Stop people being drawn into terrorism")
    strands.get_by_label("Pursue").select_option(label="Stop attacks")
    strands.get_by_label("Protect").select_option(label="Strengthen protection")
    signs = page.get_by_role("group", name=re.compile("signs of radicalisation"))
    signs.get_by_label("Sudden isolation from friends").check()
    signs.get_by_label("New contacts who push an ideology").check()
    page.get_by_role("button", name="Submit answers").click()

    # Words where a number belongs: asked again, nothing lost.
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    summary.get_by_role("link", name=re.compile("Enter a number")).click()
    year = page.get_by_label(re.compile("Prevent duty become law"))
    expect(year).to_have_value("twenty fifteen")
    expect(page.get_by_label(re.compile("Which body sets"))).to_have_value("mi5")
    expect(strands.get_by_label("Pursue")).to_have_value(re.compile(r"\d"))
    assert serious_violations(page) == []
    year.fill("2015")
    page.get_by_role("button", name="Submit answers").click()

    # 0.5 + 1 + 1 + 1 of 4: 87.5%, a pass with partial credit counted.
    expect(page.get_by_role("heading", level=1)).to_have_text("Your result")
    expect(page.get_by_text("87.5%", exact=True)).to_be_visible()
    expect(page.get_by_text("You passed")).to_be_visible()
    expect(page.get_by_text("JTAC sits within MI5: half the mark.")).to_be_visible()
    expect(page.get_by_text("Right: 2015.")).to_be_visible()
    expect(page.get_by_text("Yes: a change worth noticing.")).to_be_visible()
    expect(page.get_by_text("No: faith is not a sign.")).to_have_count(0)  # not chosen
    matches = page.get_by_role("table", name=re.compile("Your matches"))
    expect(matches.get_by_role("row", name=re.compile("^Pursue Stop attacks Right"))).to_be_visible()
    expect(page.get_by_text("Partly right")).to_be_visible()
    assert serious_violations(page) == [] and reflows(page)
