"""A lead's first password sign-in in a real browser: set up an authenticator app from the
secret shown on the page, keep the recovery codes, land on the overview; the next sign-in
asks for the app's code. Each second-factor page is axe-core clean and reflows at 320 px."""

from __future__ import annotations

import pyotp
from playwright.sync_api import expect

from lms.models import Permission

from .. import second_factor_helpers as helpers
from ..factories import make_user
from .test_accessibility import reflows, serious_violations

PASSWORD = "correct horse battery"


def test_a_lead_sets_up_a_second_factor_and_then_gives_codes(live_server, page):
    lena = make_user(name="Lena Lead", email="lena@example.org", permission=Permission.LEAD, password=PASSWORD)
    base = live_server.url
    heading = page.get_by_role("heading", level=1)

    page.goto(f"{base}/login")
    page.get_by_label("Email address").fill("lena@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(heading).to_have_text("Set up your second factor")
    expect(page.locator("svg.qr-code")).to_be_visible()
    assert page.get_by_role("navigation", name="Main").get_by_role("link", name="People").count() == 0
    assert serious_violations(page) == []
    assert reflows(page)

    # A wrong code first: the error summary links to the field, nothing opens.
    page.get_by_label("Code from your app").fill("12345")
    page.get_by_role("button", name="Confirm and continue").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    summary.get_by_role("link").first.click()
    expect(page.get_by_label("Code from your app")).to_be_focused()
    assert serious_violations(page) == []

    # The secret as a person would type it into their app.
    secret = page.locator("#secret-key code").inner_text().replace(" ", "")
    page.get_by_label("Code from your app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Confirm and continue").click()
    expect(heading).to_have_text("Your recovery codes")
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    codes = [c.strip() for c in page.locator(".recovery-codes code").all_inner_texts()]
    assert serious_violations(page) == []
    assert reflows(page)
    page.get_by_role("link", name="I have kept my recovery codes, continue").click()
    expect(heading).to_have_text("Overview")

    # Signed out and in again: the app's current code this time.
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Email address").fill("lena@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(heading).to_have_text("Enter your security code")
    assert serious_violations(page) == []
    assert reflows(page)
    page.get_by_text("I do not have my phone").click()
    page.get_by_label("Security code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    expect(heading).to_have_text("Overview")
    expect(page.get_by_role("status").first).to_contain_text("You used a recovery code: you have 9 left")

    page.get_by_role("link", name="Second factor").click()
    expect(heading).to_have_text("Your second factor")
    expect(page.get_by_text("9 codes left")).to_be_visible()
    assert serious_violations(page) == []
    page.get_by_label("Code from your app").fill(helpers.current_code(lena.id))
    page.get_by_role("button", name="Get new recovery codes").click()
    expect(heading).to_have_text("Your recovery codes")
    expect(page.locator(".recovery-codes li")).to_have_count(10)


def test_the_settings_page_and_a_reset_from_the_persons_page(live_server, page):
    make_user(name="Ada Admin", email="ada@example.org", permission=Permission.ADMIN, password=PASSWORD)
    lena = make_user(name="Lena Lead", email="lena@example.org", permission=Permission.LEAD, password=PASSWORD)
    from lms.auth.second_factor import operations
    from lms.extensions import db
    from lms.models import SecondFactor, utcnow

    db.session.add(SecondFactor(user=lena, secret=pyotp.random_base32(), confirmed_at=utcnow()))
    db.session.commit()
    base = live_server.url
    heading = page.get_by_role("heading", level=1)
    from .second_factor_steps import give_second_factor

    page.goto(f"{base}/login")
    page.get_by_label("Email address").fill("ada@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    give_second_factor(page, "ada@example.org")

    page.goto(f"{base}/admin/settings/second-factor")
    expect(heading).to_have_text("Second factor settings")
    assert serious_violations(page) == []
    page.get_by_label("Who needs a second factor when they sign in with a password").select_option("everyone")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").first).to_contain_text("Second factor setting saved")
    assert operations.required_for_everyone()

    page.goto(f"{base}/admin/people/{lena.id}")
    expect(page.get_by_text("Authenticator app set up on")).to_be_visible()
    assert serious_violations(page) == []
    page.get_by_role("button", name="Reset second factor").click()
    expect(page.get_by_role("status").first).to_contain_text("second factor is reset")
    expect(page.get_by_text("Not set up")).to_be_visible()
