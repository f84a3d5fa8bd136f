"""A database that drops the app's pooled connections (a restart, a failover, an idle
timeout) costs no failed page: SQLAlchemy's pool_pre_ping finds a dead connection when it is
checked out, and the pool replaces it."""

from __future__ import annotations

from sqlalchemy import create_engine, make_url, text

from lms import pagecache
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


def test_a_kept_page_is_still_served_after_the_database_drops_its_connections(pg_database_url, tmp_path):
    """A kept learner page reads its key straight on a pooled psycopg connection
    (lms/pagecache.py): that checkout is pinged too."""
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
    for n in range(1, 3):
        assert drop_every_connection(pg_database_url) >= 1
        assert "Ada Lovelace" in client.get("/").get_data(as_text=True)
        assert app.extensions[pagecache.EXTENSION].hits == hits + n  # served kept, through a new connection
    with app.app_context():
        db.engine.dispose()

