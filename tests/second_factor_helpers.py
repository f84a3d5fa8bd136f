"""Completing the second factor for real, as a person does: read the secret from the set-up
page, compute the code with pyotp, and type it; later, the app's current code."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pyotp
from sqlalchemy import select

from lms.extensions import db
from lms.models import SecondFactor

SECRET = re.compile(r'id="secret-key"><code>([A-Z2-7 ]+)</code>')
RECOVERY = re.compile(r"<li><code>([a-z2-7]{4}(?:-[a-z2-7]{4}){3})</code></li>")
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')

# Recovery codes seen on set-up pages, by person, for a sign-in when no app code is left in
# this time step (a test signing the same person in again and again within 30 seconds).
_recovery_codes: dict[int, list[str]] = {}


def secret_on(page_html: str) -> str:
    found = SECRET.search(page_html)
    assert found, "the set-up page shows the secret in text"
    return found.group(1).replace(" ", "")


def recovery_codes_on(page_html: str) -> list[str]:
    return RECOVERY.findall(page_html)


def _csrf(page_html: str) -> dict[str, str]:
    found = CSRF.search(page_html)
    return {"csrf_token": html.unescape(found.group(1) or found.group(2))} if found else {}


def fresh_code(secret: str, last_step: int | None) -> str | None:
    """The app's code for the earliest step the server would still take (now or the next),
    or None when both were used."""
    totp = pyotp.TOTP(secret)
    now = totp.timecode(datetime.now(UTC))
    for step in (now, now + 1):
        if last_step is None or step > last_step:
            return totp.generate_otp(step)
    return None


def current_code(user_id: int) -> str | None:
    """A code the person's app would show that the server has not taken yet."""
    db.session.expire_all()
    factor = db.session.scalar(select(SecondFactor).where(SecondFactor.user_id == user_id))
    assert factor is not None and factor.confirmed_at is not None, "the person has set up a second factor"
    return fresh_code(factor.secret, factor.last_step)


def complete(client, user_id: int) -> None:
    """Give a half-signed-in test client's second factor: set it up, or enter a code."""
    response = client.get("/login/second-factor")
    if response.status_code == 302 and response.headers["Location"].startswith("/login/second-factor/set-up"):
        page = client.get("/login/second-factor/set-up").get_data(as_text=True)
        code = pyotp.TOTP(secret_on(page)).now()
        done = client.post("/login/second-factor/set-up", data={"code": code, **_csrf(page)})
        body = done.get_data(as_text=True)
        assert done.status_code == 200 and "Your recovery codes" in body, body
        _recovery_codes[user_id] = recovery_codes_on(body)
        return
    assert response.status_code == 200, response.status_code
    page = response.get_data(as_text=True)
    code = current_code(user_id) or _recovery_codes[user_id].pop()
    done = client.post("/login/second-factor", data={"code": code, **_csrf(page)})
    assert done.status_code == 302, done.get_data(as_text=True)
