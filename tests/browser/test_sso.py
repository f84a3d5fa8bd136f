"""Signing in through a real OpenID provider in Chromium (tests/oidc.py): a known person
lands on My training; an unknown one, an unverified email, another tenant and a replayed
state are refused; with the provider stopped, the break-glass password still works."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from lms.extensions import db
from lms.models import Permission

from ..factories import make_user
from ..oidc import oidc_provider, start_provider  # noqa: F401  (a fixture)
from .conftest import LiveServer

PASSWORD = "correct horse battery staple"
BUTTON = "Sign in with your organisation account"
TENANT = "0b7e5d9c-1111-4222-8333-444455556666"
AXE = Axe()


def serve(app, provider, **settings):
    server = LiveServer(app)
    app.config.update(provider.settings(f"{server.url}/login/sso/callback", **settings))
    server.start()
    return server


@pytest.fixture
def sso_server(live_app, oidc_provider):  # noqa: F811
    server = serve(live_app, oidc_provider)
    with live_app.app_context():
        yield server
        db.session.remove()
    server.stop()
    with live_app.app_context():
        db.engine.dispose()


def serious_violations(page) -> list[str]:
    results = AXE.run(page)
    return [v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def through_provider(page, base, login):
    """Press the button on the sign-in page and sign in at the provider as `login`."""
    page.goto(f"{base}/login")
    page.get_by_role("link", name=BUTTON, exact=True).click()
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("anything")
    page.get_by_role("button", name="Sign-in").click()


def test_a_known_person_signs_in_through_the_provider_and_lands_on_my_training(sso_server, oidc_provider, page):  # noqa: F811
    make_user(name="Ada Lovelace", email="ada.browser@example.org")
    oidc_provider.add_account("b-ada", email="ada.browser@example.org", email_verified=True)
    page.goto(f"{sso_server.url}/login")
    assert serious_violations(page) == []
    through_provider(page, sso_server.url, "b-ada")
    expect(page.get_by_role("heading", level=1)).to_have_text("My training")
    expect(page.get_by_text("Ada Lovelace").first).to_be_visible()


def test_an_unknown_person_is_refused(sso_server, oidc_provider, page):  # noqa: F811
    oidc_provider.add_account("b-stranger", email="stranger.browser@example.org", email_verified=True)
    through_provider(page, sso_server.url, "b-stranger")
    expect(page.get_by_role("heading", level=1)).to_have_text("There is no training account for you yet")
    expect(page.get_by_text("stranger.browser@example.org")).to_be_visible()
    assert serious_violations(page) == []
    page.goto(f"{sso_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")


def test_an_unverified_email_is_refused(sso_server, oidc_provider, page):  # noqa: F811
    make_user(email="unverified.browser@example.org")
    oidc_provider.add_account("b-unverified", email="unverified.browser@example.org", email_verified=False)
    through_provider(page, sso_server.url, "b-unverified")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your email address is not confirmed")


def test_another_tenant_is_refused(live_app, oidc_provider, page):  # noqa: F811
    server = serve(
        live_app,
        oidc_provider,
        OIDC_PROVIDER="entra",
        OIDC_ENTRA_TENANT=TENANT,
        OIDC_ALLOWED_DOMAINS="example.org",
        OIDC_BUTTON_LABEL=BUTTON,
    )
    try:
        with live_app.app_context():
            make_user(email="tenant.browser@example.org")
        oidc_provider.add_account("b-tenant", email="tenant.browser@example.org", tid="someone-elses-tenant")
        through_provider(page, server.url, "b-tenant")
        expect(page.get_by_role("heading", level=1)).to_have_text("That account belongs to another organisation")
    finally:
        server.stop()


def test_a_replayed_state_is_refused(sso_server, oidc_provider, page):  # noqa: F811
    make_user(email="replay.browser@example.org")
    oidc_provider.add_account("b-replay", email="replay.browser@example.org", email_verified=True)
    page.goto(f"{sso_server.url}/login")
    page.get_by_role("link", name=BUTTON, exact=True).click()
    cookies_before = page.context.cookies(sso_server.url)  # the session that holds the state
    page.locator("input[name=login]").fill("b-replay")
    page.locator("input[name=password]").fill("anything")
    with page.expect_request(re.compile(r"/login/sso/callback\?")) as callback:
        page.get_by_role("button", name="Sign-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My training")
    page.get_by_role("button", name="Sign out").click()

    page.context.clear_cookies()
    page.context.add_cookies(cookies_before)
    page.goto(callback.value.url)
    expect(page.get_by_role("heading", level=1)).to_have_text("This sign-in has expired")
    page.goto(f"{sso_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")


def test_with_the_provider_stopped_the_break_glass_password_still_works(live_app, tmp_path, page):
    provider = start_provider(tmp_path)
    server = serve(live_app, provider, LOCAL_PASSWORDS=False, BREAK_GLASS_EMAIL="glass.browser@example.org")
    try:
        with live_app.app_context():
            make_user(email="glass.browser@example.org", permission=Permission.ADMIN, password=PASSWORD)
            make_user(email="staff.browser@example.org", password=PASSWORD)
        provider.stop()

        page.goto(f"{server.url}/login")
        expect(page.get_by_role("status").first).to_contain_text("is not working at the moment")
        assert serious_violations(page) == []

        # Someone else's password is refused, with the reason.
        page.get_by_label("Email address").fill("staff.browser@example.org")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page.get_by_role("alert")).to_contain_text("Passwords are turned off here")

        # The break-glass administrator's is accepted (the second factor comes next).
        page.get_by_label("Email address").fill("glass.browser@example.org")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page).not_to_have_url(re.compile(r"/login(\?.*)?$"))
        expect(page.get_by_role("heading", level=1)).not_to_have_text("Sign in")
    finally:
        server.stop()
        provider.stop()
