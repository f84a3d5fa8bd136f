"""A database that drops the app's pooled connections (a restart, a failover, an idle
timeout) costs no failed page: SQLAlchemy's pool_pre_ping finds a dead connection when it is
checked out, and the pool replaces it."""

from __future__ import annotations

from sqlalchemy import create_engine, make_url, text

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


def test_after_the_database_drops_its_connections_the_next_page_still_works(pg_database_url, tmp_path):
    app = make_test_app(pg_database_url, tmp_path)
    reset_schema(app)
    client = app.test_client()
    for _ in range(3):
        assert client.get("/healthz").status_code == 200  # a pooled connection, now idle
        assert drop_every_connection(pg_database_url) >= 1
        assert client.get("/healthz").status_code == 200  # at once, not only after a while
    with app.app_context():
        db.engine.dispose()
