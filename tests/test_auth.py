from datetime import timedelta

from sqlalchemy import select

from lms.auth import operations
from lms.extensions import db
from lms.models import Token, TokenPurpose, User, utcnow

from .factories import make_user

PASSWORD = "correct horse battery"


def sign_in(client, email, password=PASSWORD, next_=None):
    url = "/login" + (f"?next={next_}" if next_ else "")
    return client.post(url, data={"email": email, "password": password})


def test_sign_in_and_out(client):
    make_user(email="ada@example.org", password=PASSWORD)
    response = sign_in(client, "ADA@example.org ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_and_unknown_email_give_the_same_message(client):
    make_user(email="ada@example.org", password=PASSWORD)
    wrong = sign_in(client, "ada@example.org", "not the password!!")
    unknown = sign_in(client, "nobody@example.org", "not the password!!")
    assert wrong.status_code == unknown.status_code == 200
    message = b"Enter a correct email address and password"
    assert message in wrong.data and message in unknown.data
    assert b"nobody@example.org" not in unknown.data.replace(b'value="nobody@example.org"', b"")


def test_inactive_person_cannot_sign_in(client):
    make_user(email="left@example.org", password=PASSWORD, active=False)
    response = sign_in(client, "left@example.org")
    assert b"Enter a correct email address and password" in response.data
    assert client.get("/").status_code == 302


def test_deactivated_person_loses_their_session(client, auth):
    user = auth.login_as("learner")
    assert client.get("/").status_code == 200
    user.active = False
    db.session.commit()
    assert client.get("/").status_code == 302


def test_bad_input_on_sign_in(client):
    response = client.post("/login", data={"email": "not-an-email", "password": ""})
    assert response.status_code == 200
    assert b"There is a problem" in response.data
    assert b"Enter an email address in the correct format" in response.data
    assert b"Enter your password" in response.data


def test_session_rotates_at_sign_in(client):
    make_user(email="ada@example.org", password=PASSWORD)
    client.get("/login")
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    sign_in(client, "ada@example.org")
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess.get("_user_id")


def test_next_redirect_stays_on_site(client):
    make_user(email="ada@example.org", password=PASSWORD)
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"):
        response = sign_in(client, "ada@example.org", next_=target)
        assert response.headers["Location"] == "/", target
        client.post("/logout")
    response = sign_in(client, "ada@example.org", next_="/raise-a-concern")
    assert response.headers["Location"] == "/raise-a-concern"


def test_a_next_address_holding_line_breaks_goes_home(client):
    make_user(email="ada@example.org", password=PASSWORD)
    for target in ("/%0d%0aSet-Cookie:%20planted=1", "/%0aLocation:%20https://evil.example", "/raise%09a-concern"):
        response = sign_in(client, "ada@example.org", next_=target)
        assert response.status_code == 302 and response.headers["Location"] == "/", target
        assert "planted" not in response.headers.get("Set-Cookie", "")
        client.post("/logout")


def test_anonymous_is_sent_to_sign_in_with_next(client):
    response = client.get("/admin/people")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/admin/people")


def test_change_password_ends_other_sessions(app, client):
    user = make_user(email="ada@example.org", password=PASSWORD)
    other = app.test_client()
    sign_in(other, "ada@example.org")
    sign_in(client, "ada@example.org")
    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": "a brand new passphrase", "confirm": "a brand new passphrase"},
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302
    db.session.refresh(user)
    assert operations.check_password(user, "a brand new passphrase")


def test_change_password_bad_input_changes_nothing(client):
    user = make_user(email="ada@example.org", password=PASSWORD)
    sign_in(client, "ada@example.org")
    before = user.password_hash
    response = client.post(
        "/account/password",
        data={"current_password": "wrong one here", "password": "short", "confirm": "other"},
    )
    assert b"Your current password is not correct" not in response.data  # form errors come first
    assert b"Password must be at least 12 characters" in response.data
    response = client.post(
        "/account/password",
        data={"current_password": "wrong one here", "password": "long enough pass", "confirm": "long enough pass"},
    )
    assert b"Your current password is not correct" in response.data
    db.session.refresh(user)
    assert user.password_hash == before


def test_forgot_password_says_the_same_for_unknown_email(client):
    make_user(email="ada@example.org", password=PASSWORD)
    known = client.post("/forgot-password", data={"email": "ada@example.org"})
    unknown = client.post("/forgot-password", data={"email": "nobody@example.org"})
    assert b"Check your email" in known.data and b"Check your email" in unknown.data
    from lms.models import OutboxMessage

    recipients = db.session.scalars(select(OutboxMessage.recipient)).all()
    assert recipients == ["ada@example.org"]


def _reset_link_from_outbox():
    from lms.models import OutboxMessage

    body = db.session.scalars(select(OutboxMessage.body).order_by(OutboxMessage.id.desc())).first()
    return next(word for word in body.split() if "/reset-password/" in word)


def test_reset_password_link_works_once(client):
    user = make_user(email="ada@example.org", password=PASSWORD)
    client.post("/forgot-password", data={"email": "ada@example.org"})
    path = "/reset-password/" + _reset_link_from_outbox().rsplit("/", 1)[1]
    assert client.get(path).status_code == 200
    new = "another long passphrase"
    response = client.post(path, data={"password": new, "confirm": new})
    assert response.status_code == 302
    db.session.refresh(user)
    assert operations.check_password(user, new)
    client.post("/logout")
    assert client.get(path).status_code == 404
    assert b"This link no longer works" in client.get(path).data


def test_reset_link_is_void_after_any_password_change(client):
    user = make_user(email="ada@example.org", password=PASSWORD)
    client.post("/forgot-password", data={"email": "ada@example.org"})
    path = "/reset-password/" + _reset_link_from_outbox().rsplit("/", 1)[1]
    operations.change_password(user, "changed some other way")
    assert client.get(path).status_code == 404


def test_reset_link_expires(client):
    make_user(email="ada@example.org", password=PASSWORD)
    client.post("/forgot-password", data={"email": "ada@example.org"})
    path = "/reset-password/" + _reset_link_from_outbox().rsplit("/", 1)[1]
    token = db.session.scalars(select(Token).where(Token.purpose == TokenPurpose.RESET)).one()
    assert token.expires_at - token.created_at == timedelta(hours=1)
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get(path).status_code == 404


def test_reset_bad_input_saves_nothing(client):
    user = make_user(email="ada@example.org", password=PASSWORD)
    client.post("/forgot-password", data={"email": "ada@example.org"})
    path = "/reset-password/" + _reset_link_from_outbox().rsplit("/", 1)[1]
    response = client.post(path, data={"password": "too short", "confirm": "too short"})
    assert b"Password must be at least 12 characters" in response.data
    response = client.post(path, data={"password": "long enough pass", "confirm": "different pass!"})
    assert b"The passwords do not match" in response.data
    db.session.refresh(user)
    assert operations.check_password(user, PASSWORD)
    assert client.get(path).status_code == 200  # still usable


def test_tokens_are_stored_hashed(client):
    make_user(email="ada@example.org", password=PASSWORD)
    client.post("/forgot-password", data={"email": "ada@example.org"})
    raw = _reset_link_from_outbox().rsplit("/", 1)[1]
    hashes = db.session.scalars(select(Token.token_hash)).all()
    assert raw not in hashes and len(hashes) == 1


def test_email_is_unique_case_insensitively(app):
    make_user(email="Ada@Example.org")
    assert db.session.scalar(select(User.email)) == "ada@example.org"
    assert operations.find_user("ADA@EXAMPLE.ORG ") is not None
