"""Each sign-in is a session on the server: signing out ends it, and a copy of its cookie
taken before opens nothing afterwards."""

import re
from datetime import timedelta

from sqlalchemy import select

from lms.auth import operations
from lms.extensions import db
from lms.models import OutboxMessage, TokenPurpose, UserSession

from .factories import make_user

PASSWORD = "correct horse battery"


def sign_in(client, email="ada@example.org", password=PASSWORD):
    response = client.post(
        "/login", data={"email": email, "password": password}, headers={"User-Agent": "Firefox on the office PC"}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def copy_of_cookie(client, app):
    """A second browser holding a copy of `client`'s session cookie, as a thief would."""
    other = app.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    return other


def signed_in(client) -> bool:
    return client.get("/").status_code == 200


def test_a_copied_cookie_stops_working_when_its_session_signs_out(app, client):
    make_user(email="ada@example.org", password=PASSWORD)
    sign_in(client)
    thief = copy_of_cookie(client, app)
    assert signed_in(thief)  # the copy works while the session is open
    assert client.post("/logout").status_code == 302
    assert not signed_in(client)
    assert not signed_in(thief)
    (row,) = db.session.scalars(select(UserSession)).all()
    assert row.ended_at is not None


def test_signing_out_ends_only_that_session(app, client):
    make_user(email="ada@example.org", password=PASSWORD)
    sign_in(client)
    laptop = app.test_client()
    sign_in(laptop)
    client.post("/logout")
    assert signed_in(laptop) and not signed_in(client)


def test_each_sign_in_is_recorded_with_where_it_came_from(client):
    ada = make_user(email="ada@example.org", password=PASSWORD)
    sign_in(client)
    (row,) = db.session.scalars(select(UserSession)).all()
    assert row.user_id == ada.id and row.ended_at is None
    assert row.address == "127.0.0.1" and row.user_agent == "Firefox on the office PC"
    cookie = client.get_cookie("session").value
    assert row.key_hash not in cookie and ada.session_token not in cookie


def test_a_password_change_ends_every_other_session(app, client):
    make_user(email="ada@example.org", password=PASSWORD)
    sign_in(client)
    other = app.test_client()
    sign_in(other)
    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": "a brand new passphrase", "confirm": "a brand new passphrase"},
    )
    assert response.status_code == 302
    assert signed_in(client) and not signed_in(other)


def test_a_password_reset_ends_every_session(app, client):
    make_user(email="ada@example.org", password=PASSWORD)
    sign_in(client)
    stranger = app.test_client()
    stranger.post("/forgot-password", data={"email": "ada@example.org"})
    body = db.session.scalar(select(OutboxMessage.body))
    path = re.search(r"http://localhost(/reset-password/\S+)", body).group(1)
    new = "a brand new passphrase"
    assert stranger.post(path, data={"password": new, "confirm": new}).status_code == 302
    assert not signed_in(client)


def test_deactivation_ends_every_session(app, client):
    ada = make_user(email="ada@example.org", password=PASSWORD)
    sign_in(client)
    lead = app.test_client()
    from .conftest import Auth

    Auth(lead).login_as("lead")
    response = lead.post(f"/admin/people/{ada.id}/deactivate", data={"confirm": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(ada)
    assert not ada.active
    assert not signed_in(client)


def test_an_old_invitation_cannot_overwrite_a_password_set_by_a_reset(app, client):
    ada = make_user(email="ada@example.org")
    invitation = operations.issue_token(TokenPurpose.INVITE, timedelta(days=14), ada)
    db.session.commit()
    client.post("/forgot-password", data={"email": "ada@example.org"})
    body = db.session.scalar(select(OutboxMessage.body))
    reset = re.search(r"http://localhost(/reset-password/\S+)", body).group(1)
    assert client.post(reset, data={"password": PASSWORD, "confirm": PASSWORD}).status_code == 302
    client.post("/logout")
    attacker = app.test_client()
    assert attacker.get(f"/invitation/{invitation}").status_code == 404
    other = "someone elses passphrase"
    assert attacker.post(f"/invitation/{invitation}", data={"password": other, "confirm": other}).status_code == 404
    assert operations.authenticate("ada@example.org", PASSWORD) is not None
    assert operations.authenticate("ada@example.org", other) is None


def test_an_invitation_is_void_once_the_person_has_a_password(app, client):
    ada = make_user(email="ada@example.org", password=PASSWORD)
    invitation = operations.issue_token(TokenPurpose.INVITE, timedelta(days=14), ada)
    db.session.commit()
    assert client.get(f"/invitation/{invitation}").status_code == 404
