"""Pooled connections are tested before use when they have sat idle: a database that dropped
them (a restart, a failover, an idle timeout) costs no failed page."""

from __future__ import annotations

import time

import psycopg
import pytest
from sqlalchemy import create_engine, event, make_url, text

from lms import dbping, pagecache
from lms.extensions import db

from .conftest import make_test_app, reset_schema
from .factories import make_user, session_key


def drop_every_connection(url: str) -> int:
    """What a restart does to the app's connections: the server ends them."""
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        ended = conn.execute(
            text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                 "WHERE datname = :name AND pid <> pg_backend_pid()"),
            {"name": make_url(url).database},
        ).scalar()
    admin.dispose()
    return ended


def test_after_the_database_drops_its_connections_the_next_page_still_works(pg_database_url, tmp_path, monkeypatch):
    monkeypatch.setattr(dbping, "FRESH_S", 0.2)
    app = make_test_app(pg_database_url, tmp_path)
    reset_schema(app)
    client = app.test_client()
    assert client.get("/healthz").status_code == 200  # a pooled connection, now idle
    assert drop_every_connection(pg_database_url) >= 1
    time.sleep(0.3)
    assert client.get("/healthz").status_code == 200
    with app.app_context():
        db.engine.dispose()


def test_a_connection_handed_back_a_moment_ago_is_not_pinged(tmp_path, database_url, monkeypatch):
    app = make_test_app(database_url, tmp_path)
    reset_schema(app)
    client = app.test_client()
    with app.app_context():
        engine = db.engine
    pings = []
    real_ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda dbapi_connection: pings.append(1) or real_ping(dbapi_connection))
    statements = []
    event.listen(engine, "before_cursor_execute", lambda conn, cursor, statement, *args: statements.append(statement))
    for _ in range(5):
        assert client.get("/healthz").status_code == 200
    assert pings == [] and len(statements) == 5  # only each page's own query
    monkeypatch.setattr(dbping, "FRESH_S", 0.0)  # now every connection has been idle too long
    assert client.get("/healthz").status_code == 200
    assert pings == [1]
    with app.app_context():
        db.engine.dispose()


def test_a_kept_page_is_still_served_after_the_database_drops_its_connections(pg_database_url, tmp_path, monkeypatch):
    """A kept learner page reads its key straight on a pooled psycopg connection
    (lms/pagecache.py): that path is pinged when idle too, and a connection that fails is
    never handed out again."""
    monkeypatch.setattr(dbping, "FRESH_S", 0.2)
    app = make_test_app(pg_database_url, tmp_path)
    reset_schema(app)
    with app.app_context():
        token = session_key(make_user(name="Ada Lovelace"))
        db.session.remove()
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = token
    for _ in range(3):
        assert "Ada Lovelace" in client.get("/").get_data(as_text=True)
    hits = app.extensions[pagecache.EXTENSION].hits
    assert hits >= 1
    drop_every_connection(pg_database_url)
    time.sleep(0.3)
    assert "Ada Lovelace" in client.get("/").get_data(as_text=True)
    assert app.extensions[pagecache.EXTENSION].hits == hits + 1  # served kept, through a new connection

    # Dropped while in use a moment ago (no ping): that one view fails, the next one does not.
    monkeypatch.setattr(dbping, "FRESH_S", 100)
    drop_every_connection(pg_database_url)
    with pytest.raises(psycopg.OperationalError):  # a 500 page on a real server
        client.get("/")
    assert "Ada Lovelace" in client.get("/").get_data(as_text=True)
    with app.app_context():
        db.engine.dispose()
