"""Journey 3: a Director reads the declaration, ticks what they completed, re-enters their
password and self-certifies; the record is then in the Directors' history."""

import re

import pytest
from playwright.sync_api import expect

from lms.dates import local_today
from lms.extensions import db
from lms.models import Completion, Permission

from ..clock import pinned_clock  # noqa: F401  (a fixture)
from ..factories import make_user
from .second_factor_steps import give_second_factor

pytestmark = [pytest.mark.dates, pytest.mark.usefixtures("pinned_clock")]

PASSWORD = "a director's passphrase"


def sign_in(page, url, email, password):
    page.goto(f"{url}/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    give_second_factor(page, email)


def test_a_director_self_certifies(live_server, page):
    dana = make_user(name="Dana Director", email="dana@ecpt.example", categories=("director",),
                     permission=Permission.DIRECTOR, password=PASSWORD)
    # What the ledger shows as done is what a declaration can name.
    for kind, ref in (("course", "prevent-for-directors"), ("certificate", "home-office-prevent-awareness")):
        db.session.add(Completion(user_id=dana.id, kind=kind, ref=ref, completed_on=local_today(), source="lms"))
    db.session.commit()
    sign_in(page, live_server.url, "dana@ecpt.example", PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Overview")  # where a Director lands
    page.get_by_role("link", name="Go to My training").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My training")

    item = page.locator("li.requirement", has_text="Directors' yearly Prevent self-certification")
    item.get_by_role("link", name=re.compile("^Make your self-certification")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Self-certification")
    expect(page.locator("blockquote.declaration")).to_contain_text("As a Director of")
    expect(page.get_by_text("Declaration version 1")).to_be_visible()

    # Nothing ticked and no password: the error summary names both, linked to the fields.
    page.get_by_role("button", name="Make the declaration").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Select the training you confirm you have completed")
    expect(summary).to_contain_text("Enter your password to confirm that this is you")

    page.get_by_label("Prevent for Directors", exact=True).check()
    page.get_by_label("Home Office Prevent awareness e-learning").check()
    page.get_by_label("Your password").fill("not the password at all")
    page.get_by_role("button", name="Make the declaration").click()
    expect(page.get_by_role("alert")).to_contain_text("The password is not right")

    expect(page.get_by_label("Prevent for Directors", exact=True)).to_be_checked()
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Make the declaration").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("My training")
    expect(page.get_by_role("status").first).to_contain_text("Your self-certification is recorded")
    item = page.locator("li.requirement", has_text="Directors' yearly Prevent self-certification")
    expect(item.locator(".tag")).to_have_text("Complete")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Self-certifications").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Directors’ self-certifications")
    row = page.locator("tr", has_text="Dana Director")
    expect(row).to_contain_text("Current")
    expect(row).to_contain_text("2 of")
    row.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Self-certification by Dana Director")
    expect(page.get_by_text("HeadlessChrome", exact=False).first).to_be_visible()
    expect(page.locator("table")).to_contain_text("Prevent for Directors")


def test_a_director_sees_why_training_without_a_record_cannot_be_named(live_server, page):
    make_user(name="Nia New", email="nia@ecpt.example", categories=("director",),
              permission=Permission.DIRECTOR, password=PASSWORD)
    sign_in(page, live_server.url, "nia@ecpt.example", PASSWORD)
    page.goto(f"{live_server.url}/self-certification")
    expect(page.get_by_role("status")).to_contain_text("You cannot make your self-certification yet")
    expect(page.get_by_role("button", name="Make the declaration")).to_have_count(0)
    entry = page.locator("li", has=page.get_by_role("heading", name="Home Office Prevent awareness e-learning"))
    expect(entry).to_contain_text("upload its certificate")
    entry.get_by_role("link", name=re.compile("^upload your certificate", re.I)).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload your certificate")
