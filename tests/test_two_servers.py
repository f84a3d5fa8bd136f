"""Two gunicorn app servers sharing one PostgreSQL and one Redis: a session started on one
continues on the other, and the sign-in throttle holds across both."""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_URL = os.environ.get("LMS_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("LMS_TEST_REDIS_URL", "")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not PG_URL, reason="LMS_TEST_DATABASE_URL is not set: the two-server test needs PostgreSQL"),
    pytest.mark.skipif(not REDIS_URL, reason="LMS_TEST_REDIS_URL is not set: the two-server test needs Redis"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    }
    subprocess.run([str(BIN / "lms"), "init"], env=env, check=True, capture_output=True, cwd=ROOT)
    subprocess.run(
        [str(BIN / "python"), "-c", CREATE_USER], env=env, check=True, capture_output=True, cwd=ROOT
    )
    yield env
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


CREATE_USER = """
from datetime import date
from lms import create_app
from lms.auth import operations
from lms.extensions import db
from lms.models import Permission
app = create_app()
with app.app_context():
    user = operations.create_person(name="Sam Shared", email="sam@example.org", categories=["staff"],
                                    start_date=date.today(), permission=Permission.LEARNER)
    operations.set_password(user, "a shared passphrase")
    db.session.commit()
"""


class Server:
    def __init__(self, env):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{self.port}", "lms:create_app()"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}/healthz", timeout=1)
                return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not start")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=15)


class Browser:
    """A cookie jar shared across servers, like one browser behind a load balancer."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, url):
        try:
            with self.opener.open(url, timeout=10) as response:
                return response.status, response.read().decode(), response.url
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), url

    def post(self, url, data):
        body = urllib.parse.urlencode(data).encode()
        try:
            with self.opener.open(url, data=body, timeout=10) as response:
                return response.status, response.read().decode(), response.url
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), url

    def csrf(self, url):
        _, page, _ = self.get(url)
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def test_session_and_throttle_span_both_servers(shared_backends):
    one, two = Server(shared_backends), Server(shared_backends)
    try:
        # The cookie is for 127.0.0.1, so the jar sends it to both ports, as behind one address.
        browser = Browser()
        token = browser.csrf(f"{one.url}/login")
        status, page, where = browser.post(f"{one.url}/login", {"csrf_token": token, "email": "sam@example.org", "password": "a shared passphrase"})
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
