"""Real app servers for tests: gunicorn on 127.0.0.1, and a browser-like client for them."""

from __future__ import annotations

import http.cookiejar
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSPHRASE = "a shared passphrase"

# Run with `python -c` in the server's environment: one learner with PASSPHRASE.
CREATE_USER = """
from lms import create_app
from lms.auth import operations
from lms.dates import local_today
from lms.extensions import db
from lms.models import Permission
app = create_app({{"COMMAND_LINE": True}})
with app.app_context():
    user = operations.create_person(name="{name}", email="{email}", categories=["staff"],
                                    start_date=local_today(), permission=Permission.LEARNER)
    operations.set_password(user, "{password}")
    db.session.commit()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn with the shipped settings (lms/gunicorn_conf.py); `workers` overrides them."""

    def __init__(self, env, workers: int | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [str(BIN / "gunicorn"), "-c", "python:lms.gunicorn_conf", "--bind", f"127.0.0.1:{self.port}"]
        if workers:
            args += ["--workers", str(workers)]
        self.proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}/healthz", timeout=1)
                return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not start: {self.log}")

    def stop(self) -> None:
        self.proc.terminate()
        _, self.log = self.proc.communicate(timeout=15)


class Browser:
    """A cookie jar shared across servers, like one browser behind a load balancer."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, url):
        try:
            with self.opener.open(url, timeout=30) as response:
                return response.status, response.read().decode(), response.url
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), url

    def post(self, url, data):
        body = urllib.parse.urlencode(data).encode()
        try:
            with self.opener.open(url, data=body, timeout=30) as response:
                return response.status, response.read().decode(), response.url
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), url

    def csrf(self, url):
        _, page, _ = self.get(url)
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def prepare(env: dict[str, str], *people: tuple[str, str]) -> None:
    """Create the schema and content, then the given (email, name) learners."""
    subprocess.run([str(BIN / "lms"), "init"], env=env, check=True, capture_output=True, cwd=ROOT)
    for email, name in people:
        subprocess.run(
            [str(BIN / "python"), "-c", CREATE_USER.format(email=email, name=name, password=PASSPHRASE)],
            env=env, check=True, capture_output=True, cwd=ROOT,
        )
