"""Fixtures: every database test runs on SQLite and, with LMS_TEST_DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

import contextvars
import os
import re

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from lms import create_app
from lms.auth.second_factor import needs_second_factor
from lms.config import load_settings
from lms.dates import local_today
from lms.extensions import db as _db
from lms.models import Permission

from . import factories, second_factor_helpers
from .content import ContentDir

PG_URL = os.environ.get("LMS_TEST_DATABASE_URL", "")
PG_SKIP_REASON = "LMS_TEST_DATABASE_URL is not set: the PostgreSQL run of this test is skipped"


def _worker() -> str:
    """A name unique to this test process, so parallel runs never share a database."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", str(os.getpid()))[:8]
    return f"{run}{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


@pytest.fixture(scope="session")
def pg_database_url():
    """A database of this test worker's own on the PostgreSQL server, made once per session."""
    if not PG_URL:
        pytest.skip(PG_SKIP_REASON)
    base = make_url(PG_URL)
    name = f"{base.database}_lms_{re.sub(r'[^a-z0-9]', '', _worker().lower())}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = base.set(database=name).render_as_string(hide_password=False)
    yield url
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


_pg_schema_ready: set[str] = set()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    return request.getfixturevalue("pg_database_url")


class IsolatedClient(FlaskClient):
    """Each request gets its own app context, `g` and database session, as on a real server.

    The test's own session commits around each request, so what the test made is visible to
    the request and what the request committed is visible to the test afterwards.
    """

    def open(self, *args, **kwargs):
        outer = has_app_context()
        if outer:
            _db.session.commit()
        kwargs.setdefault("buffered", True)  # a streamed body is read inside the request's context
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if outer:
            _db.session.commit()
        return response


# A plan that names no content, for tests that load their own content packs instead of ECPT's
# (the shipped plan names ECPT's courses, which such tests do not have).
CONTENT_FREE_PLAN = """
[[requirements]]
ref = "test-self-certification"
kind = "attestation"
categories = ["director"]
due_days = 30
"""


def make_test_app(database_url: str, tmp_path, **overrides):
    config = {
        "TESTING": True,
        "INSTANCE_PATH": tmp_path / "instance",
        "DATABASE_URL": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": None,
        "SMTP_HOST": "",
        "BASE_URL": "http://localhost",
    }
    config.update(overrides)
    if config.get("PROJECT_ROOT") and "TRAINING_PLAN" not in overrides:
        plan = tmp_path / "content-free-plan.toml"
        plan.write_text(CONTENT_FREE_PLAN)
        config["TRAINING_PLAN"] = str(plan)
    app = create_app(config)
    app.test_client_class = IsolatedClient
    return app


def reset_schema(app) -> None:
    """Empty every table: create them on first use, truncate on PostgreSQL afterwards."""
    with app.app_context():
        engine = _db.engine
        if engine.dialect.name == "postgresql":
            key = str(engine.url)
            if key not in _pg_schema_ready:
                _db.drop_all()
                with engine.begin() as conn:
                    conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
                _db.create_all()
                _pg_schema_ready.add(key)
            else:
                tables = ", ".join(f'"{t.name}"' for t in _db.metadata.sorted_tables)
                with engine.begin() as conn:
                    conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        else:
            _db.create_all()


@pytest.fixture
def content(tmp_path):
    """A content folder of the test's own (courses/ and quizzes/) to write packs into."""
    return ContentDir(tmp_path / "content")


@pytest.fixture
def app_overrides():
    """Override to change the app's settings for one test module."""
    return {}


@pytest.fixture
def app(database_url, tmp_path, app_overrides):
    app = make_test_app(database_url, tmp_path, **app_overrides)
    reset_schema(app)
    with app.app_context():
        yield app
        _db.session.remove()
    with app.app_context():
        _db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Auth:
    """Sign a test client in as someone, without the cost of hashing a password."""

    def __init__(self, client):
        self.client = client

    def login(self, user):
        """Open a session as signing in does; when the person needs a second factor, give it
        through the pages (set up an authenticator app, or enter its current code)."""
        with self.client.session_transaction() as sess:
            sess["_user_id"] = factories.session_key(user)
            sess["_fresh"] = True
        if needs_second_factor(user, via_provider=False):
            second_factor_helpers.complete(self.client, user.id)
        return user

    def login_as(self, permission: str | Permission, **fields):
        if isinstance(permission, str):
            permission = Permission.parse(permission)
        user = factories.make_user(permission=permission, **fields)
        return self.login(user)


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def today(tmp_path, app_overrides):
    """The organisation's today, in the time zone of the app under test (LMS_TIMEZONE)."""
    return local_today(app_overrides.get("TIMEZONE") or load_settings(tmp_path)["TIMEZONE"])
