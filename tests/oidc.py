"""A real OpenID Connect provider for the tests: the npm package `oidc-provider`, run with the
machine's Node.js from tests/oidc_provider/ (server.mjs), on 127.0.0.1 on a free port.

Without Node.js and npm the tests that use it are skipped, saying why (CI has both, and there
a missing one fails). `npm ci` installs the committed lock file the first time.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests

PROVIDER_DIR = Path(__file__).parent / "oidc_provider"
SKIP_REASON = "Node.js and npm are not installed: the tests that sign in through a real OpenID provider are skipped"


def _install() -> None:
    """`npm ci` once, however many test workers start at the same moment."""
    with open(PROVIDER_DIR / ".npm-ci.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (PROVIDER_DIR / "node_modules" / "oidc-provider").exists():
            subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=PROVIDER_DIR,
                check=True,
                timeout=300,
            )


class Provider:
    """One running provider; `add_account` chooses who can sign in, with which claims."""

    def __init__(self, workdir: Path):
        self.accounts_file = workdir / f"oidc-accounts-{uuid.uuid4().hex}.json"
        self.accounts_file.write_text("{}")
        self.log_file = workdir / f"oidc-provider-{uuid.uuid4().hex}.log"
        self.process = subprocess.Popen(
            ["node", "server.mjs"],
            cwd=PROVIDER_DIR,
            env={**os.environ, "OIDC_ACCOUNTS_FILE": str(self.accounts_file)},
            stdout=subprocess.PIPE,
            stderr=self.log_file.open("w"),
            text=True,
        )
        line = self.process.stdout.readline()
        found = re.match(r"listening (http://127\.0\.0\.1:\d+)", line)
        if not found:
            self.stop()
            raise RuntimeError(f"the test OpenID provider did not start: {line!r}")
        self.url = found.group(1)
        self.discovery = self._wait_for_discovery()

    def _wait_for_discovery(self) -> dict:
        deadline = time.monotonic() + 15
        while True:
            try:
                return requests.get(f"{self.url}/.well-known/openid-configuration", timeout=2).json()
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def add_account(self, login: str, **claims) -> str:
        """Someone who can sign in at the provider by typing `login`, which is also their
        subject (`sub`); returns the login."""
        accounts = json.loads(self.accounts_file.read_text())
        accounts[login] = claims
        self.accounts_file.write_text(json.dumps(accounts))
        return login

    def register_client(self, redirect_uri: str) -> tuple[str, str]:
        """A new client at the provider for this redirect URI: its id and secret."""
        response = requests.post(
            self.discovery["registration_endpoint"],
            json={
                "redirect_uris": [redirect_uri],
                "grant_types": ["authorization_code"],
                "response_types": ["code"],
                "token_endpoint_auth_method": "client_secret_basic",
            },
            timeout=5,
        )
        response.raise_for_status()
        body = response.json()
        return body["client_id"], body["client_secret"]

    def settings(self, redirect_uri: str, **more) -> dict:
        """App settings for single sign-on through this provider, with a client of its own."""
        client_id, secret = self.register_client(redirect_uri)
        return {
            "OIDC_ISSUER": self.url,
            "OIDC_CLIENT_ID": client_id,
            "OIDC_CLIENT_SECRET": secret,
            "OIDC_PROVIDER": "generic",
            **more,
        }

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_provider(workdir: Path) -> Provider:
    if not (shutil.which("node") and shutil.which("npm")):
        if os.environ.get("CI") == "true":
            pytest.fail(SKIP_REASON)
        pytest.skip(SKIP_REASON)
    _install()
    return Provider(workdir)


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    provider = start_provider(tmp_path_factory.mktemp("oidc"))
    yield provider
    provider.stop()


def sign_in_at_provider(authorize_url: str, login: str, redirect_uri: str) -> str:
    """Do what a person does at the provider's sign-in page (type the login and a password),
    as a browser without JavaScript would; returns the URL the provider sends them back to."""
    browser = requests.Session()
    url = authorize_url
    for _ in range(10):
        response = browser.get(url, allow_redirects=False, timeout=5)
        if response.status_code in (302, 303):
            url = urljoin(url, response.headers["Location"])
        elif response.status_code == 200 and 'name="login"' in response.text:
            action = re.search(r'<form[^>]*action="([^"]+)"', response.text).group(1)
            response = browser.post(
                urljoin(url, action),
                data={"prompt": "login", "login": login, "password": "anything"},
                allow_redirects=False,
                timeout=5,
            )
            url = urljoin(url, response.headers["Location"])
        else:
            raise AssertionError(f"unexpected answer from the provider at {url}: {response.status_code}")
        if url.startswith(redirect_uri):
            return url
    raise AssertionError("the provider never sent the browser back")


def path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"
