"""The second factor: Directors, leads and administrators who sign in with a password reach no page
until they give a code from their authenticator app (or a recovery code)."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter

from lms.auth import operations as auth_ops
from lms.auth.second_factor import operations as second_factor
from lms.auth.second_factor.routes import STEP_ENDPOINTS
from lms.extensions import db
from lms.models import AuditEvent, Permission, RecoveryCode, SecondFactor, TokenPurpose, UserSession, utcnow
from lms.permissions import PUBLIC, declared_permission

from . import second_factor_helpers as helpers
from .conftest import make_test_app
from .factories import make_user, session_key

PASSWORD = "correct horse battery"
ENROL = "/login/second-factor/set-up"
CODE = "/login/second-factor"


def sign_in(client, email, password=PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def lead(email="lena@example.org", permission=Permission.LEAD):
    return make_user(email=email, name="Lena Lead", permission=permission, password=PASSWORD)


def enrol(client, user_id):
    """From a half-signed-in session: read the secret off the page, type the app's code."""
    page = client.get(ENROL).get_data(as_text=True)
    secret = helpers.secret_on(page)
    done = client.post(ENROL, data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    return secret, helpers.recovery_codes_on(done.get_data(as_text=True))


def factor_of(user_id) -> SecondFactor | None:
    db.session.expire_all()
    return db.session.scalar(select(SecondFactor).where(SecondFactor.user_id == user_id))


def test_a_lead_sets_up_a_second_factor_at_first_sign_in(client):
    person = lead()
    response = sign_in(client, "lena@example.org")
    assert response.status_code == 302
    home = client.get(response.headers["Location"])
    assert home.status_code == 302 and home.headers["Location"].startswith(ENROL)

    page = client.get(ENROL)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Set up your second factor" in text
    assert "<svg viewBox=" in text and 'class="qr-code"' in text  # drawn inline, no outside service
    secret = helpers.secret_on(text)
    assert len(secret) == 32
    assert client.get(ENROL).get_data(as_text=True).count(" ".join(secret[i : i + 4] for i in range(0, 32, 4))) == 1

    wrong = client.post(ENROL, data={"code": "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"})
    assert wrong.status_code == 200
    assert "That code is not right" in wrong.get_data(as_text=True)
    assert "There is a problem" in wrong.get_data(as_text=True)
    assert factor_of(person.id).confirmed_at is None
    assert client.get("/").status_code == 302  # still half signed in

    done = client.post(ENROL, data={"code": pyotp.TOTP(secret).now()})
    body = done.get_data(as_text=True)
    assert done.status_code == 200 and "Your recovery codes" in body
    codes = helpers.recovery_codes_on(body)
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = {row.code_hash for row in factor_of(person.id).recovery_codes}
    assert len(stored) == 10 and not stored & set(codes)  # only hashes are kept
    assert factor_of(person.id).confirmed_at is not None
    assert client.get("/").status_code == 200


def test_bad_input_on_the_code_pages(client):
    lead()
    sign_in(client, "lena@example.org")
    empty = client.post(ENROL, data={"code": ""})
    assert empty.status_code == 200 and "Enter the code" in empty.get_data(as_text=True)
    letters = client.post(ENROL, data={"code": "abcdef"})
    assert "Enter the 6-digit code your authenticator app shows" in letters.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_every_page_waits_for_the_second_factor(app, client):
    """Walk every route as a lead signed in with a password only: each answers a redirect to
    the second-factor pages (or 403), never the page itself."""
    lead()
    sign_in(client, "lena@example.org")
    checked = 0
    for rule in app.url_map.iter_rules():
        # Public pages open for anyone (the matrix test holds each declaration to route_matrix.py).
        public = declared_permission(app.view_functions[rule.endpoint]) == PUBLIC
        if rule.endpoint == "static" or public or rule.endpoint in STEP_ENDPOINTS:
            continue
        values = {n: 999999 if isinstance(c, IntegerConverter) else "does-not-exist" for n, c in rule._converters.items()}
        with app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            where = f"{method} {url}"
            assert response.status_code in (302, 403), where
            if response.status_code == 302:
                assert response.headers["Location"].startswith(ENROL), where
            checked += 1
    assert checked > 60
    # The step pages themselves and signing out do open.
    assert client.get(ENROL).status_code == 200
    assert client.get(CODE).status_code == 302  # not enrolled yet: to set-up
    assert client.post("/logout").status_code == 302
    assert client.get(ENROL).status_code == 302  # signed out: to sign in


def test_the_navigation_offers_only_signing_out_when_half_signed_in(client):
    lead()
    sign_in(client, "lena@example.org")
    text = client.get(ENROL).get_data(as_text=True)
    assert "Sign out" in text
    assert text.count('action="/logout"') == 2  # in the header, and the page's own way out
    assert "Dashboard" not in text and "Change password" not in text and "People</a>" not in text


def test_an_enrolled_lead_gives_a_code_and_cannot_set_up_again(client):
    person = lead()
    sign_in(client, "lena@example.org")
    secret, _ = enrol(client, person.id)
    client.post("/logout")

    sign_in(client, "lena@example.org")
    assert client.get("/dashboard").headers["Location"] == "/login/second-factor?next=/dashboard"
    assert client.get(ENROL).headers["Location"].startswith(CODE)  # no new secret for a half session
    assert factor_of(person.id).secret == secret
    code = helpers.current_code(person.id)
    response = client.post(f"{CODE}?next=/dashboard", data={"code": code})
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    assert client.get("/dashboard").status_code == 200


def test_a_code_is_refused_a_second_time(client):
    person = lead()
    sign_in(client, "lena@example.org")
    secret, _ = enrol(client, person.id)
    step = factor_of(person.id).last_step
    client.post("/logout")

    sign_in(client, "lena@example.org")
    used = pyotp.TOTP(secret).generate_otp(step)
    again = client.post(CODE, data={"code": used})
    assert again.status_code == 200
    assert "That code has been used already" in again.get_data(as_text=True)
    assert client.get("/").status_code == 302
    # The next step's code (the app shows it shortly) is taken.
    assert client.post(CODE, data={"code": pyotp.TOTP(secret).generate_otp(step + 1)}).status_code == 302
    assert client.get("/").status_code == 200


def test_a_recovery_code_works_once(client):
    person = lead()
    sign_in(client, "lena@example.org")
    _, codes = enrol(client, person.id)
    client.post("/logout")

    sign_in(client, "lena@example.org")
    response = client.post(CODE, data={"code": codes[0].upper().replace("-", " ")}, follow_redirects=True)
    assert response.status_code == 200
    assert "You used a recovery code: you have 9 left" in response.get_data(as_text=True)
    client.post("/logout")

    sign_in(client, "lena@example.org")
    again = client.post(CODE, data={"code": codes[0]})
    assert "That recovery code is not right, or has been used already" in again.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert db.session.scalar(select(func.count()).where(RecoveryCode.used_at.is_not(None))) == 1


@pytest.mark.parametrize("app_overrides", [{"LOGIN_LIMIT": "3 per 15 minutes"}])
def test_wrong_codes_are_limited_like_passwords(client):
    person = lead()
    sign_in(client, "lena@example.org")
    secret, _ = enrol(client, person.id)
    client.post("/logout")
    sign_in(client, "lena@example.org")
    for _ in range(3):
        assert client.post(CODE, data={"code": "12345x"}).status_code == 200
    refused = client.post(CODE, data={"code": pyotp.TOTP(secret).now()})
    assert refused.status_code == 429
    assert "too many wrong codes for this account" in refused.get_data(as_text=True)
    assert client.get("/").status_code == 302
    # Password sign-ins are counted apart: the lead can still sign in elsewhere.
    other = client.application.test_client()
    assert sign_in(other, "lena@example.org").status_code == 302


def test_a_learner_signs_in_without_a_second_factor_unless_the_setting_says_everyone(client, auth):
    make_user(email="ada@example.org", password=PASSWORD)
    sign_in(client, "ada@example.org")
    assert client.get("/").status_code == 200
    client.post("/logout")

    admin_client = client.application.test_client()
    from .conftest import Auth

    Auth(admin_client).login_as("admin")
    page = admin_client.get("/admin/settings/second-factor")
    assert page.status_code == 200 and "Who needs a second factor" in page.get_data(as_text=True)
    bad = admin_client.post("/admin/settings/second-factor", data={"who": "nobody"})
    assert bad.status_code == 200 and "Select who needs a second factor" in bad.get_data(as_text=True)
    assert not second_factor.required_for_everyone()
    saved = admin_client.post("/admin/settings/second-factor", data={"who": "everyone"}, follow_redirects=True)
    assert "Second factor setting saved" in saved.get_data(as_text=True)
    assert second_factor.required_for_everyone()
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "settings.second_factor_changed")) == 1

    sign_in(client, "ada@example.org")
    assert client.get("/").headers["Location"].startswith(ENROL)


def test_only_administrators_change_the_setting_or_reset(client, auth):
    target = lead(email="target@example.org")
    auth.login_as("lead")
    assert client.get("/admin/settings/second-factor").status_code == 403
    assert client.post(f"/admin/people/{target.id}/second-factor/reset").status_code == 403


def test_an_administrator_resets_a_second_factor(client, auth, app):
    person = lead()
    lena = app.test_client()
    sign_in(lena, "lena@example.org")
    enrol(lena, person.id)
    assert lena.get("/").status_code == 200

    factor_id = factor_of(person.id).id
    admin = auth.login_as("admin", name="Ada Admin")
    page = client.get(f"/admin/people/{person.id}").get_data(as_text=True)
    assert "Authenticator app set up on" in page and "Reset second factor" in page
    response = client.post(f"/admin/people/{person.id}/second-factor/reset", follow_redirects=True)
    assert "second factor is reset" in response.get_data(as_text=True)
    assert factor_of(person.id) is None
    assert db.session.scalar(select(func.count()).where(RecoveryCode.second_factor_id == factor_id)) == 0
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "person.second_factor_reset"))
    assert event.actor_id == admin.id and event.target_id == str(person.id)
    assert lena.get("/").status_code == 302 and lena.get("/").headers["Location"].startswith("/login")  # signed out

    sign_in(lena, "lena@example.org")
    assert lena.get("/").headers["Location"].startswith(ENROL)  # sets up again
    assert client.post("/admin/people/999999/second-factor/reset").status_code == 404


def test_the_session_row_holds_the_state_for_every_server(tmp_path, database_url):
    """A second app process over the same database sees the half-signed-in session, then the
    completed one: nothing is kept in a server's memory."""
    apps = [make_test_app(database_url, tmp_path) for _ in range(2)]
    from .conftest import reset_schema

    reset_schema(apps[0])
    with apps[0].app_context():
        person = lead()
        person_id = person.id
        first = apps[0].test_client()
        sign_in(first, "lena@example.org")
        cookie = first.get_cookie("session").value
        db.session.remove()
    second = apps[1].test_client()
    second.set_cookie("session", cookie)
    with apps[1].app_context():
        assert second.get("/").headers["Location"].startswith(ENROL)
        enrol(second, person_id)
        db.session.remove()
    with apps[0].app_context():
        assert first.get("/").status_code == 200
        db.session.remove()
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def test_provider_sign_ins_rely_on_the_providers_second_factor(client):
    person = lead()
    assert second_factor.needs_second_factor(person, via_provider=False)
    assert not second_factor.needs_second_factor(person, via_provider=True)
    key = auth_ops.open_session(person, "127.0.0.1", "tests")
    assert not second_factor.mark_session(key, person, via_provider=True)
    db.session.commit()
    with client.session_transaction() as sess:
        sess["_user_id"] = key
    assert client.get("/").status_code == 200


def test_changing_the_password_keeps_the_second_factor(client, auth):
    person = lead()
    sign_in(client, "lena@example.org")
    enrol(client, person.id)
    new = "another horse battery staple"
    response = client.post(
        "/account/password", data={"current_password": PASSWORD, "password": new, "confirm": new}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    db.session.refresh(person)
    sessions = db.session.scalars(select(UserSession).where(UserSession.user_token == person.session_token)).all()
    assert [s.second_factor_required and s.second_factor_at is not None for s in sessions] == [True]


def test_an_invited_lead_sets_up_a_second_factor_after_the_password(client):
    person = make_user(email="new@example.org", permission=Permission.LEAD)
    raw = auth_ops.issue_token(TokenPurpose.INVITE, timedelta(days=1), person)
    db.session.commit()
    response = client.post(f"/invitation/{raw}", data={"password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").headers["Location"].startswith(ENROL)


def test_new_recovery_codes_need_a_current_code(client):
    person = lead()
    sign_in(client, "lena@example.org")
    secret, old = enrol(client, person.id)
    page = client.get("/account/second-factor").get_data(as_text=True)
    assert "10 codes left" in page
    wrong = client.post("/account/second-factor", data={"code": "99999x"})
    assert wrong.status_code == 200 and "There is a problem" in wrong.get_data(as_text=True)
    done = client.post("/account/second-factor", data={"code": helpers.current_code(person.id)})
    new = helpers.recovery_codes_on(done.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    client.post("/logout")
    sign_in(client, "lena@example.org")
    assert "has been used already" in client.post(CODE, data={"code": old[1]}).get_data(as_text=True)
    assert client.post(CODE, data={"code": new[1]}).status_code == 302


def test_a_session_key_of_a_lead_is_half_signed_in_until_the_code(client):
    person = lead()
    with client.session_transaction() as sess:
        sess["_user_id"] = session_key(person)
    assert client.get("/").status_code == 302
    row = db.session.scalar(select(UserSession).where(UserSession.user_id == person.id))
    assert row.second_factor_required and row.second_factor_at is None
    helpers.complete(client, person.id)
    assert client.get("/").status_code == 200
    db.session.expire_all()
    assert db.session.get(UserSession, row.id).second_factor_at <= utcnow()


def test_a_learner_raised_to_lead_gives_a_second_factor_before_the_next_page(client, auth):
    from .test_people_admin import edit_data

    person = make_user(email="ada@example.org", name="Ada Learner", password=PASSWORD)
    sign_in(client, "ada@example.org")
    assert client.get("/").status_code == 200
    admin_client = client.application.test_client()
    from .conftest import Auth

    Auth(admin_client).login_as("admin")
    saved = admin_client.post(f"/admin/people/{person.id}/edit", data=edit_data(person, permission="lead"))
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(type(person), person.id).permission == Permission.LEAD

    # The session opened without a second factor is over: signing in again asks for one.
    again = client.get("/")
    assert again.status_code == 302 and again.headers["Location"].startswith("/login")
    sign_in(client, "ada@example.org")
    assert client.get("/").headers["Location"].startswith(ENROL)


def test_a_raise_that_needs_no_new_factor_keeps_the_session(client):
    from lms.people import operations as people

    person = lead()
    key = session_key(person)
    opened = db.session.scalar(select(UserSession).where(UserSession.user_id == person.id))
    db.session.expire_all()
    person = db.session.get(type(person), person.id)
    # A lead made an administrator: their password session asks for the step already.
    people.update_person(
        None, person, name=person.name, email=person.email, categories=sorted(person.categories),
        start_date=person.start_date, permission=Permission.ADMIN,
    )
    db.session.commit()
    assert db.session.get(UserSession, opened.id).ended_at is None
    assert auth_ops.signed_in(key) is not None


def test_a_director_gives_a_second_factor_before_the_inspection_pack(client):
    lead(email="dora@example.org", permission=Permission.DIRECTOR)
    sign_in(client, "dora@example.org")
    pack = client.get("/dashboard/inspection-pack.zip")
    assert pack.status_code == 302 and pack.headers["Location"].startswith(ENROL)
    assert "Directors, safeguarding leads and administrators always need one" in (
        _admin_client(client).get("/admin/settings/second-factor").get_data(as_text=True)
    )


def _admin_client(client):
    from .conftest import Auth

    other = client.application.test_client()
    Auth(other).login_as("admin")
    return other
