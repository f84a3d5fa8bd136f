"""The second factor in the browser, as a person gives it after their password: on the set-up
page read the secret from the page and type the code pyotp computes from it, keep the
recovery codes and continue; on the code page type the app's current code."""

from __future__ import annotations

import re

import pyotp
from playwright.sync_api import Page, expect
from sqlalchemy import select

from lms.extensions import db
from lms.models import User

from .. import second_factor_helpers as helpers

SET_UP = "Set up your second factor"
ENTER = "Enter your security code"
# Where a password sign-in goes first: a page of the LMS, or one of the second-factor steps.
AFTER_PASSWORD = re.compile(r"^(?!Sign in$).+")


def give_second_factor(page: Page, email: str) -> None:
    """If the page after the password asks for the second factor, give it; else do nothing."""
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(AFTER_PASSWORD)
    title = heading.inner_text().strip()
    if title == SET_UP:
        secret = page.locator("#secret-key code").inner_text().replace(" ", "")
        page.get_by_label("Code from your app").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Confirm and continue").click()
        expect(heading).to_have_text("Your recovery codes")
        page.get_by_role("link", name="I have kept my recovery codes, continue").click()
    elif title == ENTER:
        user_id = db.session.scalar(select(User.id).where(User.email == email.strip().lower()))
        page.get_by_label("Security code").fill(helpers.current_code(user_id))
        page.get_by_role("button", name="Continue").click()
    else:
        return
    expect(heading).not_to_have_text(re.compile(rf"^({SET_UP}|{ENTER}|Your recovery codes)$"))
