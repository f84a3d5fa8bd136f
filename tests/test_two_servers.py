"""Two gunicorn app servers sharing one PostgreSQL and one Redis: a session started on one
continues on the other, and the sign-in throttle holds across both."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from .servers import PASSPHRASE, Browser, Server, prepare

PG_URL = os.environ.get("LMS_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("LMS_TEST_REDIS_URL", "")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not PG_URL, reason="LMS_TEST_DATABASE_URL is not set: the two-server test needs PostgreSQL"),
    pytest.mark.skipif(not REDIS_URL, reason="LMS_TEST_REDIS_URL is not set: the two-server test needs Redis"),
]


@pytest.fixture
def shared_backends(tmp_path):
    base = make_url(PG_URL)
    name = f"{base.database}_two_servers_{os.getpid()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    redis_url = REDIS_URL.rsplit("/", 1)[0] + "/7"
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    env = {
        **os.environ,
        "LMS_DATABASE_URL": base.set(database=name).render_as_string(hide_password=False),
        "LMS_INSTANCE_PATH": str(tmp_path / "instance"),  # one secret key for both servers
        "LMS_RATELIMIT_STORAGE_URI": redis_url,
        "LMS_BASE_URL": "http://127.0.0.1",
    }
    prepare(env, ("sam@example.org", "Sam Shared"))
    yield env
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_session_and_throttle_span_both_servers(shared_backends):
    one, two = Server(shared_backends, workers=2), Server(shared_backends, workers=2)
    try:
        # The cookie is for 127.0.0.1, so the jar sends it to both ports, as behind one address.
        browser = Browser()
        token = browser.csrf(f"{one.url}/login")
        status, page, where = browser.post(f"{one.url}/login", {"csrf_token": token, "email": "sam@example.org", "password": PASSPHRASE})
        assert status == 200 and where.endswith("/") and "My training" in page
        status, page, where = browser.get(f"{two.url}/")
        assert status == 200 and "My training" in page and "Sam Shared" in page

        attacker = Browser()
        results = []
        for attempt in range(6):
            server = one if attempt % 2 == 0 else two
            token = attacker.csrf(f"{server.url}/login")
            status, page, _ = attacker.post(
                f"{server.url}/login", {"csrf_token": token, "email": "sam@example.org", "password": f"wrong guess {attempt}"}
            )
            results.append(status)
        assert results[:5] == [200] * 5
        assert results[5] == 429
    finally:
        one.stop()
        two.stop()
