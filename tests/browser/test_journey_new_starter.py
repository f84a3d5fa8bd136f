"""Journey 1 whole, in one browser session after another: an administrator invites a new
trainee; the trainee sets a password, sees the plan with deadlines, reads the course, fails
and then passes the quiz, uploads the Home Office certificate that a lead verifies,
acknowledges the Prevent Policy, is up to date, downloads the completion certificate, and
anyone can check its code without signing in."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from lms.dates import local_today
from lms.models import Permission
from lms.plan.views import long_date

from ..clock import pinned_clock  # noqa: F401  (a fixture)
from ..evidence_helpers import pdf_bytes
from ..factories import make_user, sync_content
from .journey_helpers import answer_quiz, fill_date, outbox, pdf_text, read_every_lesson, requirement, sign_in

pytestmark = [pytest.mark.dates, pytest.mark.usefixtures("pinned_clock")]

ADMIN_PASSWORD = "an administrator's passphrase"
LEAD_PASSWORD = "a safeguarding lead's passphrase"
NEW_PASSWORD = "nia's very own passphrase"
HOME_OFFICE_URL = "https://www.support-people-susceptible-to-radicalisation.service.gov.uk/portal#awareness-course"

# A small plan the journey can walk end to end: one course and its quiz, the Home Office
# certificate and the policy acknowledgement, all for trainees.
PLAN = f"""
warning_days = 30

[[requirements]]
ref = "prevent-awareness"
kind = "course"
title = "Prevent awareness"
categories = ["trainee"]
due_days = 28
renew_months = 36

[[requirements]]
ref = "prevent-awareness"
kind = "quiz"
title = "Prevent awareness quiz"
categories = ["trainee"]
due_days = 28
renew_months = 36

[[requirements]]
ref = "home-office-prevent-awareness"
kind = "certificate"
title = "Home Office Prevent awareness e-learning"
categories = ["trainee"]
due_days = 28
renew_months = 36

[[requirements]]
ref = "ecpt-prevent-policy"
kind = "policy"
title = "Acknowledge the ECPT Prevent Policy"
categories = ["trainee"]
due_days = 14
renew_months = 12

[[certificate_types]]
ref = "home-office-prevent-awareness"
title = "Prevent duty training: Awareness course"
provider = "Home Office"
url = "{HOME_OFFICE_URL}"
evidence = "Upload the completion certificate showing your full name, the course name and the date."
"""


def test_a_new_starter_walks_the_whole_induction(live_server, browser, page, tmp_path):
    plan = tmp_path / "training-plan.toml"
    plan.write_text(PLAN)
    live_server.app.config["TRAINING_PLAN"] = str(plan)
    sync_content()
    make_user(name="Alex Admin", email="alex@ecpt.example", permission=Permission.ADMIN, password=ADMIN_PASSWORD)
    make_user(name="Lou Lead", email="lou@ecpt.example", permission=Permission.LEAD, password=LEAD_PASSWORD)
    base = live_server.url
    today = local_today()

    # -- The administrator invites the new starter and reads the invitation in the outbox.
    sign_in(page, base, "alex@ecpt.example", ADMIN_PASSWORD)
    page.get_by_role("link", name="People").click()
    page.get_by_role("link", name="Invite a person").click()
    page.get_by_label("Full name").fill("Nia Newstarter")
    page.get_by_label("Email address").fill("nia@ecpt.example")
    page.get_by_label("Trainee").check()
    fill_date(page, "Start date", today)
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status")).to_contain_text("Invitation sent to nia@ecpt.example")
    page.get_by_role("link", name="Outbox").click()
    page.get_by_role("link", name=re.compile("training account")).click()
    body = page.locator(".email-body").inner_text()
    assert "Alex Admin has invited you" in body
    invitation = re.search(r"http://\S+/invitation/\S+", body).group(0)
    page.get_by_role("button", name="Sign out").click()

    # -- The new starter sets a password and sees the plan, each item with its deadline.
    page.goto(invitation)
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Nia Newstarter")
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password and sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My training")
    expect(page.get_by_role("status").first).to_contain_text("Your password is set")
    expect(page.get_by_text("Your progress: 0 of 4 complete")).to_be_visible()
    progress = page.locator("progress#plan-progress")
    expect(progress).to_have_attribute("max", "4")
    expect(progress).to_have_attribute("value", "0")
    in_28 = f"Due {long_date(today + timedelta(days=28))}, in 28 days."
    for title in ("Prevent awareness", "Prevent awareness quiz", "Home Office Prevent awareness e-learning"):
        expect(requirement(page, title)).to_contain_text(in_28)
        expect(requirement(page, title).locator(".tag")).to_have_text("To do")
    policy = requirement(page, "Acknowledge the ECPT Prevent Policy")
    expect(policy).to_contain_text(f"Due {long_date(today + timedelta(days=14))}, in 14 days.")
    expect(page.get_by_text("You are up to date")).to_have_count(0)

    # -- Reads the lessons.
    requirement(page, "Prevent awareness").get_by_role("link", name=re.compile("^Go to the course")).click()
    read_every_lesson(page, "Prevent awareness")
    page.get_by_role("link", name="My training").click()
    expect(page.get_by_text("Your progress: 1 of 4 complete")).to_be_visible()
    expect(requirement(page, "Prevent awareness").locator(".tag")).to_have_text("Complete")

    # -- Takes the quiz, fails it on purpose, reads the score and feedback, retakes and passes.
    requirement(page, "Prevent awareness quiz").get_by_role("link", name=re.compile("^Start the quiz")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Prevent awareness quiz")
    page.get_by_role("button", name="Start the quiz").click()
    expect(page.get_by_text("Attempt 1")).to_be_visible()
    shown = answer_quiz(page, "prevent-awareness", correctly=False)
    assert shown == 10
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your result")
    expect(page.locator(".result-score")).to_have_text("0%")
    expect(page.get_by_text("You did not pass this time")).to_be_visible()
    expect(page.get_by_text("0 of 10 right; the pass mark is 80%")).to_be_visible()
    expect(page.locator(".quiz-review-item")).to_have_count(10)
    expect(page.locator(".quiz-review-item .feedback")).to_have_count(10)
    expect(page.locator(".quiz-review-item .tag").first).to_have_text("Wrong")
    expect(page.get_by_text("The correct answers are not shown until you pass")).to_be_visible()
    reread = page.locator(".callout", has_text="What to read again")
    expect(reread.get_by_role("link", name="Prevent awareness")).to_be_visible()

    page.get_by_role("button", name="Retake the quiz").click()
    expect(page.get_by_text("Attempt 2")).to_be_visible()
    answer_quiz(page, "prevent-awareness", correctly=True)
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_text("You passed")).to_be_visible()
    expect(page.locator(".result-score")).to_have_text("100%")
    expect(page.get_by_text("10 of 10 right")).to_be_visible()
    page.get_by_role("link", name="Back to my training").click()
    expect(page.get_by_text("Your progress: 2 of 4 complete")).to_be_visible()
    expect(requirement(page, "Prevent awareness quiz").locator(".tag")).to_have_text("Complete")

    # -- Follows the signpost to the Home Office e-learning and uploads its certificate.
    certificate_item = requirement(page, "Home Office Prevent awareness e-learning")
    signpost = certificate_item.get_by_role("link", name=re.compile("^Take the course on the Home Office site"))
    expect(signpost).to_have_attribute("href", HOME_OFFICE_URL)
    expect(certificate_item).to_contain_text("Home Office's free e-learning")
    certificate_item.get_by_role("link", name=re.compile("^Upload your certificate")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload your certificate")
    certificate = tmp_path / "home-office-awareness.pdf"
    certificate.write_bytes(pdf_bytes("Nia Newstarter completed the Prevent Awareness course"))
    completed = today - timedelta(days=1)
    page.get_by_label("Certificate file").set_input_files(str(certificate))
    fill_date(page, "Date on the certificate", completed)
    page.get_by_role("button", name="Upload certificate").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My training")
    expect(page.get_by_role("status").first).to_contain_text("was uploaded")
    expect(requirement(page, "Home Office Prevent awareness e-learning").locator(".tag")).to_have_text(
        "Awaiting verification"
    )

    # -- A lead verifies it, in their own browser.
    lead_context = browser.new_context(locale="en-GB")
    lead = lead_context.new_page()
    sign_in(lead, base, "lou@ecpt.example", LEAD_PASSWORD)
    lead.get_by_role("navigation", name="Main").get_by_role("link", name="Evidence to check").click()
    lead.locator("tr", has_text="Nia Newstarter").get_by_role("link", name=re.compile("^Review")).click()
    expect(lead.get_by_role("heading", level=1)).to_have_text("Review Nia Newstarter’s certificate")
    lead.get_by_role("button", name="Verify the certificate").click()
    expect(lead.get_by_role("status").first).to_contain_text("You verified Nia Newstarter’s certificate")
    lead_context.close()

    page.reload()
    expect(page.get_by_text("Your progress: 3 of 4 complete")).to_be_visible()
    expect(requirement(page, "Home Office Prevent awareness e-learning").locator(".tag")).to_have_text("Complete")

    # -- Reads the Prevent Policy to the end and acknowledges the current version.
    policy = requirement(page, "Acknowledge the ECPT Prevent Policy")
    policy.get_by_role("link", name=re.compile("^Read and acknowledge the policy")).click()
    expect(page.get_by_role("heading", name="Confirm that you have read the policy")).to_be_visible()
    expect(page.get_by_text("Read every lesson, then confirm here")).to_be_visible()
    read_every_lesson(page, "The ECPT Prevent Policy in plain English")
    acknowledge = page.locator("#acknowledge")
    expect(acknowledge).to_contain_text("I have read and understood the ECPT Prevent Policy, version 2026.1.")
    acknowledge.get_by_role("button", name=re.compile("^Confirm")).click()
    expect(page.get_by_role("status").first).to_contain_text(
        "Thank you: you have acknowledged version 2026.1 of the policy."
    )
    expect(page.locator("#acknowledge")).to_contain_text(f"You acknowledged version 2026.1 on {long_date(today)}")

    # -- Everything is complete.
    page.get_by_role("link", name="My training").click()
    expect(page.get_by_text("Your progress: 4 of 4 complete")).to_be_visible()
    expect(page.locator("progress#plan-progress")).to_have_attribute("value", "4")
    expect(page.get_by_role("heading", name="You are up to date")).to_be_visible()
    for title in ("Prevent awareness", "Prevent awareness quiz", "Home Office Prevent awareness e-learning",
                  "Acknowledge the ECPT Prevent Policy"):
        expect(requirement(page, title).locator(".tag")).to_have_text("Complete")
        expect(requirement(page, title)).to_contain_text("Valid until")

    # -- Downloads the completion certificate.
    page.get_by_role("link", name="Download your completion certificate").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your certificates")
    expect(page.get_by_text(f"You completed everything in your training plan on {long_date(today)}")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download your training plan certificate (PDF)").click()
    assert download.value.suggested_filename == "prevent-training-certificate.pdf"
    text = pdf_text(open(download.value.path(), "rb").read())
    assert "Certificate of completion" in text
    assert "Nia Newstarter" in text
    code = re.search(r"Verification code: ([A-Z0-9]{4}(?:-[A-Z0-9]{4})+)", text).group(1)
    address = re.search(r"Check this certificate at (\S+)", text).group(1)
    assert address.endswith("/verify/" + code.replace("-", ""))

    # -- Anyone, not signed in, checks the code at the public address.
    stranger_context = browser.new_context(locale="en-GB")
    stranger = stranger_context.new_page()
    stranger.goto(f"{base}/verify/{code.replace('-', '')}")
    expect(stranger.get_by_role("heading", level=1)).to_have_text(f"Certificate {code}")
    expect(stranger.get_by_role("status")).to_contain_text("This certificate is genuine and valid today")
    summary = stranger.locator("dl.summary-list")
    expect(summary).to_contain_text("Nia Newstarter")
    expect(stranger.get_by_role("button", name="Sign out")).to_have_count(0)
    expect(stranger.locator("main")).to_contain_text("Acknowledge the ECPT Prevent Policy")
    stranger_context.close()

    # The only mail the new starter received was the invitation.
    mail = outbox("nia@ecpt.example")
    assert len(mail) == 1 and "training account" in mail[0].subject
