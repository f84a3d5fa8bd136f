"""`lms backup` while the app writes, then a restore into a fresh instance."""

import hashlib
import sqlite3
import threading
import time

from sqlalchemy import create_engine, func, select, text

from lms.extensions import db
from lms.models import OutboxMessage, User

from .conftest import make_test_app
from .factories import make_user


def checksum(rows) -> str:
    digest = hashlib.sha256()
    for row in rows:
        digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def test_backup_during_writes_then_restore(app, runner, tmp_path):
    if db.engine.dialect.name != "sqlite":
        result = runner.invoke(args=["lms", "backup", str(tmp_path / "x.dump")])
        assert result.exit_code == 1 and "pg_dump --format=custom" in result.output
        assert not (tmp_path / "x.dump").exists()
        return
    for n in range(50):
        make_user(email=f"p{n}@example.org")
    source = db.engine.url.database

    stop = threading.Event()
    written = {"n": 0}

    def writer():
        engine = create_engine(f"sqlite:///{source}", connect_args={"timeout": 30})
        while not stop.is_set():
            with engine.begin() as conn:
                conn.execute(
                    text("INSERT INTO outbox_message (recipient, subject, body, created_at) VALUES (:r, :s, :b, '2026-11-25 10:00:00')"),
                    {"r": "x@example.org", "s": f"message {written['n']}", "b": "body " * 200},
                )
            written["n"] += 1
        engine.dispose()

    thread = threading.Thread(target=writer)
    thread.start()
    time.sleep(0.3)
    target = tmp_path / "backups" / "lms-backup.sqlite3"
    result = runner.invoke(args=["lms", "backup", str(target)])
    time.sleep(0.2)
    stop.set()
    thread.join()
    assert result.exit_code == 0, result.output
    assert "consistent and checked" in result.output
    assert written["n"] > 0

    copy = sqlite3.connect(target)
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    copied_messages = copy.execute("SELECT id, recipient, subject, body FROM outbox_message ORDER BY id").fetchall()
    copy.close()
    # Everything in the copy is exactly what the live database holds for those rows.
    live = sqlite3.connect(source)
    ids = [row[0] for row in copied_messages]
    live_rows = live.execute(
        f"SELECT id, recipient, subject, body FROM outbox_message WHERE id <= {max(ids) if ids else 0} ORDER BY id"
    ).fetchall()
    live.close()
    assert checksum(copied_messages) == checksum(live_rows)

    # Restore into a fresh instance and use it.
    restored = make_test_app(f"sqlite:///{target}", tmp_path / "restored")
    with restored.app_context():
        assert restored.test_client().get("/healthz").status_code == 200
        assert db.session.scalar(select(func.count()).select_from(User)) == 50
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == len(copied_messages)
        db.session.remove()
        db.engine.dispose()


def test_backup_refuses_nothing_to_copy(app, runner, tmp_path):
    if db.engine.dialect.name != "sqlite":
        return
    result = runner.invoke(args=["lms", "backup", str(tmp_path / "out.sqlite3")])
    assert result.exit_code == 0
    assert (tmp_path / "out.sqlite3").exists()
    assert not (tmp_path / "out.sqlite3.partial").exists()
