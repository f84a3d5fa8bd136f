"""Sign-in and reset limits: at most 5 wrong passwords checked per account however they
arrive, only failures count, and an office sharing one address keeps signing in."""

from __future__ import annotations

import os
import threading

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.models import OutboxMessage

from .conftest import make_test_app, reset_schema
from .factories import make_user
from .servers import PASSPHRASE, Browser, Server, prepare

PASSWORD = "correct horse battery"
REDIS_URL = os.environ.get("LMS_TEST_REDIS_URL", "")


def sign_in(client, email, password=PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def wrong(client, email):
    response = sign_in(client, email, "not the password at all")
    assert response.status_code == 200 and b"Enter a correct email address and password" in response.data
    return response


def test_the_sixth_wrong_password_for_an_account_is_not_checked(client):
    make_user(email="ada@example.org", password=PASSWORD)
    for _ in range(5):
        wrong(client, "ada@example.org")
    response = sign_in(client, "ada@example.org")  # even the right password waits now
    assert response.status_code == 429
    text = response.get_data(as_text=True)
    assert "too many wrong passwords for this account" in text and "reset your password" in text
    assert "Try again in 15 minutes" in text
    assert client.get("/").status_code == 302


def test_only_failures_count(client):
    make_user(email="ada@example.org", password=PASSWORD)
    for _ in range(7):
        assert sign_in(client, "ada@example.org").status_code == 302
        client.post("/logout")
    for _ in range(4):
        wrong(client, "ada@example.org")
    assert sign_in(client, "ada@example.org").status_code == 302
    client.post("/logout")
    wrong(client, "ada@example.org")  # the fifth failure is still checked
    assert sign_in(client, "ada@example.org", "yet another guess").status_code == 429


def test_a_colleague_at_the_same_address_still_signs_in(app, client):
    make_user(email="ada@example.org", password=PASSWORD)
    make_user(email="ben@example.org", password=PASSWORD)
    for _ in range(5):
        wrong(client, "ada@example.org")
    colleague = app.test_client()  # same office, same address
    assert sign_in(colleague, "ben@example.org").status_code == 302


def test_the_address_limit_counts_failures_across_accounts(database_url, tmp_path):
    app = make_test_app(database_url, tmp_path, LOGIN_ADDRESS_LIMIT="8 per 15 minutes")
    reset_schema(app)
    with app.app_context():
        client = app.test_client()
        make_user(email="ada@example.org", password=PASSWORD)
        for n in range(8):
            wrong(client, f"guess{n}@example.org")
        response = sign_in(client, "ada@example.org")
        assert response.status_code == 429
        assert "too many wrong passwords from your network" in response.get_data(as_text=True)
        db.session.remove()
        db.engine.dispose()


def test_by_default_an_office_of_forty_typing_one_wrong_password_each_keeps_signing_in(client):
    for n in range(40):
        wrong(client, f"person{n}@example.org")
    make_user(email="ada@example.org", password=PASSWORD)
    assert sign_in(client, "ada@example.org").status_code == 302


def test_the_current_password_check_is_throttled_like_sign_in(client):
    from lms.auth import operations

    make_user(email="me@example.org", password=PASSWORD)
    assert sign_in(client, "me@example.org").status_code == 302
    new = "a brand new passphrase"
    for _ in range(5):
        response = client.post("/account/password", data={"current_password": "wrong guess!!", "password": new, "confirm": new})
        assert response.status_code == 200 and b"Your current password is not correct" in response.data
    response = client.post("/account/password", data={"current_password": PASSWORD, "password": new, "confirm": new})
    assert response.status_code == 429
    assert operations.authenticate("me@example.org", PASSWORD) is not None  # unchanged


def reset_mails() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage))


def test_reset_emails_are_limited_per_address_asked_for(client):
    make_user(email="ada@example.org", password=PASSWORD)
    for _ in range(5):
        response = client.post("/forgot-password", data={"email": "ada@example.org"})
        assert response.status_code == 200 and b"Check your email" in response.data
    assert reset_mails() == 3


def test_a_person_throttled_at_sign_in_can_still_reset(client):
    make_user(email="ada@example.org", password=PASSWORD)
    for _ in range(5):
        wrong(client, "ada@example.org")
    assert client.post("/forgot-password", data={"email": "ada@example.org"}).status_code == 200
    assert reset_mails() == 1


def test_reset_requests_per_client_address_are_limited_high(database_url, tmp_path):
    app = make_test_app(database_url, tmp_path, RESET_ADDRESS_LIMIT="4 per hour")
    reset_schema(app)
    with app.app_context():
        client = app.test_client()
        for n in range(4):
            assert client.post("/forgot-password", data={"email": f"p{n}@example.org"}).status_code == 200
        response = client.post("/forgot-password", data={"email": "p9@example.org"})
        assert response.status_code == 429
        assert "too many reset requests from your network" in response.get_data(as_text=True)
        db.session.remove()
        db.engine.dispose()


def test_a_limit_that_cannot_be_read_stops_the_app(database_url, tmp_path):
    with pytest.raises(ValueError, match="LMS_LOGIN_ADDRESS_LIMIT"):
        make_test_app(database_url, tmp_path, LOGIN_ADDRESS_LIMIT="lots")


# --- guesses sent in parallel to real servers ----------------------------------------------


def _env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LMS_")}
    env.update(
        LMS_INSTANCE_PATH=str(tmp_path / "instance"),
        LMS_BASE_URL="http://127.0.0.1",
        **extra,
    )
    prepare(env, ("sam@example.org", "Sam Shared"))
    return env


def parallel_guesses(server: Server, count: int) -> list[int]:
    """`count` browsers each load the sign-in form, then all send a wrong password at once."""
    browsers = [Browser() for _ in range(count)]
    tokens = [b.csrf(f"{server.url}/login") for b in browsers]
    start = threading.Barrier(count)
    statuses = [0] * count

    def guess(n):
        start.wait()
        statuses[n], _, _ = browsers[n].post(
            f"{server.url}/login", {"csrf_token": tokens[n], "email": "sam@example.org", "password": f"guess {n}"}
        )

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


@pytest.mark.slow
def test_forty_parallel_guesses_on_the_shipped_server_check_at_most_five(tmp_path):
    server = Server(_env(tmp_path))  # make run's way: one worker with threads, memory://
    try:
        statuses = parallel_guesses(server, 40)
        assert statuses.count(200) <= 5 and statuses.count(429) >= 35, statuses
        browser = Browser()
        token = browser.csrf(f"{server.url}/login")
        status, _, _ = browser.post(f"{server.url}/login", {"csrf_token": token, "email": "sam@example.org", "password": PASSPHRASE})
        assert status == 429  # the account waits, even for the right password
    finally:
        server.stop()
    assert "keep their own sign-in limits in memory" not in server.log


@pytest.mark.slow
@pytest.mark.skipif(not REDIS_URL, reason="LMS_TEST_REDIS_URL is not set: the parallel test on two workers needs Redis")
def test_forty_parallel_guesses_across_two_workers_sharing_redis_check_at_most_five(tmp_path):
    import redis

    store = REDIS_URL.rsplit("/", 1)[0] + "/6"
    redis.Redis.from_url(store).flushdb()
    server = Server(_env(tmp_path, LMS_RATELIMIT_STORAGE_URI=store), workers=2)
    try:
        statuses = parallel_guesses(server, 40)
    finally:
        server.stop()
    assert statuses.count(200) <= 5 and statuses.count(429) >= 35, statuses


@pytest.mark.slow
def test_the_shipped_server_warns_when_workers_would_each_count_in_memory(tmp_path):
    server = Server(_env(tmp_path), workers=2)
    server.stop()
    assert "2 workers each keep their own sign-in limits in memory" in server.log
    assert "LMS_RATELIMIT_STORAGE_URI=redis://" in server.log
