"""Pooled connections are tested before use when they have sat idle: a database that dropped
them (a restart, a failover, an idle timeout) costs no failed page."""

from __future__ import annotations

import time

from sqlalchemy import create_engine, event, make_url, text

from lms import dbping
from lms.extensions import db

from .conftest import make_test_app, reset_schema


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
