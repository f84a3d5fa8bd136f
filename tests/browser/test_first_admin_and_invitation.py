"""Foundation journey: setup link -> administrator -> invite a learner -> learner signs in."""

import re
from datetime import date

from playwright.sync_api import expect

from lms.auth import operations
from lms.extensions import db

from .journey_helpers import fill_date
from .second_factor_steps import give_second_factor


def test_setup_invite_and_first_sign_in(live_server, page):
    link = operations.setup_link()
    db.session.commit()  # as `lms setup-link` does

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Create the first administrator")
    # A mistake first: the error summary links to the field.
    page.get_by_label("Full name").fill("Alex Admin")
    page.get_by_label("Email address").fill("alex@ecpt.example")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("Confirm password").fill("short")
    page.get_by_role("button", name="Create administrator").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("Password must be at least 12 characters")
    page.get_by_label("Password", exact=True).fill("a long admin passphrase")
    page.get_by_label("Confirm password").fill("a long admin passphrase")
    page.get_by_role("button", name="Create administrator").click()
    give_second_factor(page, "alex@ecpt.example")  # an administrator's account needs one
    expect(page.get_by_role("heading", level=1)).to_have_text("Overview")  # where administrators land

    # The setup link is now closed.
    response = page.request.get(link)
    assert response.status == 404

    # Invite a learner.
    page.get_by_role("link", name="People").click()
    page.get_by_role("link", name="Invite a person").click()
    page.get_by_label("Full name").fill("Nia Newstarter")
    page.get_by_label("Email address").fill("nia@ecpt.example")
    page.get_by_label("Trainee").check()
    fill_date(page, "Start date", date(2026, 11, 2))
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status")).to_contain_text("Invitation sent to nia@ecpt.example")
    expect(page.get_by_role("link", name="Nia Newstarter")).to_be_visible()

    # Read the invitation in the outbox.
    page.get_by_role("link", name="Outbox").click()
    page.get_by_role("link", name=re.compile("training account")).click()
    body = page.locator(".email-body").inner_text()
    invitation = re.search(r"http://\S+/invitation/\S+", body).group(0)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")

    # The learner sets a password and lands signed in on their home page.
    page.goto(invitation)
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Nia Newstarter")
    page.get_by_label("Password", exact=True).fill("nia's own passphrase")
    page.get_by_label("Confirm password").fill("nia's own passphrase")
    page.get_by_role("button", name="Set password and sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My training")
    expect(page.get_by_role("status")).to_contain_text("Your password is set")
    expect(page.get_by_role("link", name="People")).to_have_count(0)

    # "Raise a concern" is one click away.
    page.get_by_role("link", name="Raise a concern").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Raise a concern")
    expect(page.get_by_text("0800 789 321").first).to_be_visible()

    # The invitation link worked once.
    assert page.request.get(invitation).status == 404
