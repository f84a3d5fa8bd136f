"""Single sign-on through a real OpenID provider (tests/oidc.py): only known people, whose
email counts per kind of provider, a state used once, and never locked out (break-glass)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lms import create_app
from lms.extensions import db
from lms.models import AuditEvent, OutboxMessage, Permission, SsoIdentity, User, utcnow
from tests.factories import make_user
from tests.oidc import oidc_provider, path_and_query, sign_in_at_provider  # noqa: F401

REDIRECT = "http://localhost/login/sso/callback"
PASSWORD = "correct horse battery staple"
TENANT = "6f1c3c52-0000-4000-8000-00000000abcd"


@pytest.fixture
def app_overrides(oidc_provider):  # noqa: F811
    return oidc_provider.settings(REDIRECT)


@pytest.fixture
def provider(oidc_provider):  # noqa: F811
    return oidc_provider


def sso(client, provider, login, **args):
    """Press the sign-in button, sign in at the provider as `login`, come back."""
    started = client.get("/login/sso", query_string=args)
    assert started.status_code == 302, started.status_code
    back = sign_in_at_provider(started.headers["Location"], login, REDIRECT)
    return client.get(path_and_query(back))


def people() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def test_a_known_person_signs_in_and_is_bound_to_the_provider_account(app, client, provider):
    person = make_user(email="ada@example.org")
    login = provider.add_account("sub-ada", email="Ada@Example.org", email_verified=True)

    response = sso(client, provider, login)

    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "My training" in client.get("/").get_data(as_text=True)
    identity = db.session.scalar(select(SsoIdentity))
    assert (identity.user_id, identity.issuer, identity.subject) == (person.id, provider.url, "sub-ada")
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "person.sso_linked"))


def test_the_sign_in_page_offers_the_provider(client, provider):
    page = client.get("/login").get_data(as_text=True)
    assert "Sign in with your organisation account" in page
    assert "not working" not in page


def test_later_sign_ins_match_by_subject_never_by_email(app, client, provider):
    ada = make_user(email="ada2@example.org")
    grace = make_user(email="grace2@example.org")
    provider.add_account("sub-ada-2", email="ada2@example.org", email_verified=True)
    assert sso(client, provider, "sub-ada-2").status_code == 302
    client.post("/logout")

    # The provider account's address is changed to Grace's: it is still Ada who signs in.
    provider.add_account("sub-ada-2", email="grace2@example.org", email_verified=True)
    assert sso(client, provider, "sub-ada-2").status_code == 302
    assert ada.name in client.get("/").get_data(as_text=True)
    client.post("/logout")

    # Ada's address given to a new account at the provider does not open Ada's account.
    provider.add_account("sub-new", email="ada2@example.org", email_verified=True)
    refused = sso(client, provider, "sub-new")
    assert refused.status_code == 403
    assert "linked to a different" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(SsoIdentity)) == 1
    assert grace.id  # Grace was never signed in as anyone
    assert client.get("/").status_code == 302  # not signed in


def test_an_unknown_person_is_refused_and_no_account_is_made(client, provider):
    make_user(email="someone@example.org")
    before = people()
    provider.add_account("sub-stranger", email="stranger@example.org", email_verified=True)

    refused = sso(client, provider, "sub-stranger")

    assert refused.status_code == 403
    page = refused.get_data(as_text=True)
    assert "There is no training account for you yet" in page and "stranger@example.org" in page
    assert people() == before
    assert db.session.scalar(select(func.count()).select_from(SsoIdentity)) == 0
    assert client.get("/").status_code == 302


def test_an_unverified_email_is_refused(client, provider):
    make_user(email="unverified@example.org")
    provider.add_account("sub-unv", email="unverified@example.org", email_verified=False)
    refused = sso(client, provider, "sub-unv")
    assert refused.status_code == 403
    assert "not confirmed" in refused.get_data(as_text=True)


def test_a_deactivated_person_is_refused(client, provider):
    make_user(email="leaver@example.org", active=False)
    provider.add_account("sub-leaver", email="leaver@example.org", email_verified=True)
    refused = sso(client, provider, "sub-leaver")
    assert refused.status_code == 403
    assert "closed" in refused.get_data(as_text=True)


def test_entra_needs_our_tenant_and_an_allowed_domain_but_no_email_verified(app, client, provider):
    app.config.update(OIDC_PROVIDER="entra", OIDC_ENTRA_TENANT=TENANT, OIDC_ALLOWED_DOMAINS="example.org")
    make_user(email="entra@example.org")
    make_user(email="entra@elsewhere.example")

    provider.add_account("e1", email="entra@example.org", tid="another-tenant")
    refused = sso(client, provider, "e1")
    assert refused.status_code == 403
    assert "another organisation" in refused.get_data(as_text=True)

    provider.add_account("e2", email="entra@elsewhere.example", tid=TENANT)
    assert sso(client, provider, "e2").status_code == 403

    # No email claim: the sign-in name (UPN) is the address.
    provider.add_account("e3", preferred_username="Entra@example.org", tid=TENANT)
    assert sso(client, provider, "e3").status_code == 302
    assert "My training" in client.get("/").get_data(as_text=True)


def test_google_needs_a_verified_email_in_an_allowed_hosted_domain(app, client, provider):
    app.config.update(OIDC_PROVIDER="google", OIDC_ALLOWED_DOMAINS="example.org")
    make_user(email="g@example.org")
    provider.add_account("g1", email="g@example.org", email_verified=True)  # no hd
    assert sso(client, provider, "g1").status_code == 403
    provider.add_account("g2", email="g@example.org", email_verified=True, hd="example.org")
    assert sso(client, provider, "g2").status_code == 302


def test_a_replayed_state_is_refused(app, client, provider):
    make_user(email="replay@example.org")
    provider.add_account("sub-replay", email="replay@example.org", email_verified=True)
    started = client.get("/login/sso")
    cookie_before = client.get_cookie("session").value
    back = path_and_query(sign_in_at_provider(started.headers["Location"], "sub-replay", REDIRECT))
    assert client.get(back).status_code == 302
    client.post("/logout")

    # The same callback again, with the session cookie the browser had before it.
    client.set_cookie("session", cookie_before)
    replayed = client.get(back)
    assert replayed.status_code == 400
    assert "This sign-in has expired" in replayed.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_a_callback_this_browser_did_not_start_is_refused(client, provider):
    response = client.get("/login/sso/callback?code=abc&state=never-issued")
    assert response.status_code == 400
    assert "This sign-in has expired" in response.get_data(as_text=True)


def test_next_is_kept_through_the_provider(client, provider):
    make_user(email="next@example.org")
    provider.add_account("sub-next", email="next@example.org", email_verified=True)
    assert sso(client, provider, "sub-next", next="/account/password").headers["Location"] == "/account/password"


def test_a_provider_that_does_not_answer_is_named_on_the_sign_in_page(app, client):
    app.config["OIDC_ISSUER"] = "http://127.0.0.1:9"  # nothing listens on the discard port
    page = client.get("/login").get_data(as_text=True)
    assert "is not working at the moment" in page
    started = client.get("/login/sso")
    assert started.status_code == 302 and started.headers["Location"] == "/login"
    assert "is not working at the moment" in client.get("/login").get_data(as_text=True)


def test_a_wrong_client_secret_sends_people_back_with_a_message(app, client, provider):
    app.config["OIDC_CLIENT_SECRET"] = "not-the-secret"
    make_user(email="secret@example.org")
    provider.add_account("sub-secret", email="secret@example.org", email_verified=True)
    response = sso(client, provider, "sub-secret")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "is not working at the moment" in client.get("/login").get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(SsoIdentity)) == 0


# --- local passwords off, and the break-glass administrator ----------------------------------


@pytest.fixture
def passwords_off(app):
    app.config.update(LOCAL_PASSWORDS=False, BREAK_GLASS_EMAIL="glass@example.org")
    return make_user(email="glass@example.org", permission=Permission.ADMIN, password=PASSWORD)


def password_sign_in(client, email, password=PASSWORD, address="192.0.2.1"):
    return client.post(
        "/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def test_with_passwords_off_only_the_break_glass_administrator_uses_one(client, passwords_off):
    make_user(email="staff@example.org", password=PASSWORD)
    refused = password_sign_in(client, "staff@example.org")
    assert refused.status_code == 403
    assert "Passwords are turned off here" in refused.get_data(as_text=True)
    assert client.get("/").status_code == 302

    # The password is accepted; the second factor comes next (lms/auth/second_factor).
    signed_in = password_sign_in(client, "glass@example.org")
    assert signed_in.status_code == 302 and not signed_in.headers["Location"].startswith("/login?")


def test_the_break_glass_account_is_throttled_per_address_never_per_account(app, client, passwords_off):
    app.config.update(BREAK_GLASS_LIMIT="3 per 15 minutes", LOGIN_LIMIT="2 per 15 minutes")
    for _ in range(3):
        assert password_sign_in(client, "glass@example.org", "wrong", address="192.0.2.66").status_code == 200
    throttled = password_sign_in(client, "glass@example.org", address="192.0.2.66")
    assert throttled.status_code == 429
    assert "too many wrong passwords from your network" in throttled.get_data(as_text=True)
    # More wrong guesses than the per-account limit, yet from elsewhere the account opens.
    assert password_sign_in(client, "glass@example.org", address="198.51.100.7").status_code == 302


def test_with_passwords_off_forgot_password_serves_only_the_break_glass_account(client, passwords_off):
    make_user(email="staff2@example.org", password=PASSWORD)
    page = client.get("/forgot-password").get_data(as_text=True)
    assert "Passwords are turned off" in page
    client.post("/forgot-password", data={"email": "staff2@example.org"})
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    client.post("/forgot-password", data={"email": "glass@example.org"})
    assert db.session.scalar(select(OutboxMessage.recipient)) == "glass@example.org"


def test_with_passwords_off_an_invitation_leads_to_the_provider(client, passwords_off):
    from lms.auth import operations

    person = make_user(email="invitee@example.org")
    link = operations.invite(person, passwords_off)
    db.session.commit()
    path = "/" + link.split("/", 3)[3]
    page = client.get(path).get_data(as_text=True)
    assert "Sign in with your organisation account" in page and 'type="password"' not in page
    body = db.session.scalar(select(OutboxMessage.body).where(OutboxMessage.recipient == "invitee@example.org"))
    assert 'You sign in with your work account, not a password: open this link and choose "Sign in with your organisation account"' in body
    assert "Set your password" not in body and link in body
    client.post(path, data={"password": PASSWORD, "confirm": PASSWORD})
    db.session.refresh(person)
    assert not person.has_password


def test_passwords_off_without_a_break_glass_administrator_stops_the_app(tmp_path, monkeypatch):
    monkeypatch.setenv("LMS_LOCAL_PASSWORDS", "false")
    monkeypatch.setenv("LMS_OIDC_ISSUER", "https://login.example.org")
    monkeypatch.setenv("LMS_OIDC_CLIENT_ID", "lms")
    monkeypatch.setenv("LMS_OIDC_CLIENT_SECRET", "s")
    with pytest.raises(ValueError, match="LMS_BREAK_GLASS_EMAIL"):
        create_app({"INSTANCE_PATH": tmp_path, "TESTING": True, "BASE_URL": "http://localhost"})


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"OIDC_PROVIDER": "entra"}, "LMS_OIDC_ENTRA_TENANT"),
        ({"OIDC_PROVIDER": "google"}, "LMS_OIDC_ALLOWED_DOMAINS"),
        ({"OIDC_PROVIDER": "okta"}, "LMS_OIDC_PROVIDER"),
        ({"OIDC_ISSUER": "http://login.example.org"}, "https://"),
        ({"OIDC_SECRET_EXPIRES": "31/03/2027"}, "LMS_OIDC_SECRET_EXPIRES"),
    ],
)
def test_settings_that_cannot_work_stop_the_app(tmp_path, settings, message):
    from lms.auth.oidc import read_settings

    config = {
        "OIDC_ISSUER": "https://login.example.org",
        "OIDC_CLIENT_ID": "lms",
        "OIDC_CLIENT_SECRET": "s",
        "LOCAL_PASSWORDS": True,
        **settings,
    }
    with pytest.raises(ValueError, match=message):
        read_settings(config)


# --- lms check-sso ---------------------------------------------------------------------------


def test_check_sso_passes_with_a_good_configuration(app, runner, provider, today):
    from datetime import timedelta

    app.config["OIDC_SECRET_EXPIRES"] = (today + timedelta(days=200)).isoformat()
    result = runner.invoke(args=["lms", "check-sso"])
    assert result.exit_code == 0, result.output
    assert "accepted the client id and secret" in result.output
    assert "redirect URI to register at the provider: http://localhost/login/sso/callback" in result.output
    assert "error" not in result.output


def test_check_sso_warns_when_the_secret_expires_within_30_days(app, runner, provider, today):
    from datetime import timedelta

    app.config["OIDC_SECRET_EXPIRES"] = (today + timedelta(days=12)).isoformat()
    result = runner.invoke(args=["lms", "check-sso"])
    assert result.exit_code == 0, result.output
    assert "warning  the client secret expires on" in result.output and "in 12 days" in result.output


def test_check_sso_fails_on_a_wrong_secret_an_expired_one_or_no_provider(app, runner, provider, today):
    from datetime import timedelta

    app.config["OIDC_CLIENT_SECRET"] = "wrong"
    result = runner.invoke(args=["lms", "check-sso"])
    assert result.exit_code == 1 and "refused the client id or secret" in result.output

    app.config["OIDC_CLIENT_SECRET"] = app.config["OIDC_CLIENT_SECRET"]
    app.config["OIDC_SECRET_EXPIRES"] = (today - timedelta(days=1)).isoformat()
    result = runner.invoke(args=["lms", "check-sso"])
    assert result.exit_code == 1 and "expired on" in result.output

    app.config["OIDC_ISSUER"] = "http://127.0.0.1:9"
    result = runner.invoke(args=["lms", "check-sso"])
    assert result.exit_code == 1 and "discovery at http://127.0.0.1:9" in result.output


def test_check_sso_fails_when_the_break_glass_administrator_cannot_sign_in(app, runner, provider):
    app.config.update(LOCAL_PASSWORDS=False, BREAK_GLASS_EMAIL="nobody@example.org")
    result = runner.invoke(args=["lms", "check-sso"])
    assert result.exit_code == 1 and "is not an active administrator" in result.output


def test_a_lead_signing_in_through_the_provider_is_not_asked_for_a_second_factor(client, provider):
    make_user(email="lead@example.org", permission=Permission.LEAD)
    provider.add_account("sub-lead", email="lead@example.org", email_verified=True)
    assert sso(client, provider, "sub-lead").status_code == 302
    assert client.get("/").status_code == 200


def test_check_sso_fails_when_the_break_glass_administrator_has_no_second_factor(app, runner, provider):
    from lms.models import SecondFactor

    app.config.update(LOCAL_PASSWORDS=False, BREAK_GLASS_EMAIL="glass@example.org")
    glass = make_user(email="glass@example.org", permission=Permission.ADMIN, password="correct horse battery")
    result = runner.invoke(args=["lms", "check-sso"])
    assert result.exit_code == 1
    assert "glass@example.org has not set up a second factor" in result.output

    factor = SecondFactor(user_id=glass.id, secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    db.session.add(factor)
    db.session.commit()
    assert runner.invoke(args=["lms", "check-sso"]).exit_code == 1  # set up but never confirmed
    factor.confirmed_at = utcnow()
    db.session.commit()
    result = runner.invoke(args=["lms", "check-sso"])
    assert result.exit_code == 0, result.output
    assert "the break-glass administrator glass@example.org can sign in with a password" in result.output


def test_with_passwords_on_the_invitation_asks_for_a_password(client):
    from lms.auth import operations

    person = make_user(email="invitee@example.org")
    link = operations.invite(person, None)
    db.session.commit()
    body = db.session.scalar(select(OutboxMessage.body).where(OutboxMessage.recipient == "invitee@example.org"))
    assert "Set your password here (the link works once, for 14 days):\n" + link in body
    assert "work account" not in body
