"""The schema comes from migrations, and the `lms` command set up a new instance."""

import re

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import inspect, text

from lms.extensions import db
from lms.models import Permission

from .conftest import make_test_app
from .factories import make_user
from .test_revalidation import assert_person_triggers


def _empty(app):
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            from . import conftest

            conftest._pg_schema_ready.discard(str(db.engine.url))


def test_migrations_reach_the_models(database_url, tmp_path):
    """Upgrading an empty database gives exactly the models' schema (fails when they disagree)."""
    app = make_test_app(database_url, tmp_path)
    _empty(app)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata
            )
        assert diff == [], f"models and migrations disagree: {diff}"
        with db.engine.connect() as conn:
            assert_person_triggers(conn)  # the page cache's invalidation is in the database
        tables = set(inspect(db.engine).get_table_names())
        assert {"user", "token", "audit_event", "alembic_version"} <= tables
        # Upgrading again changes nothing.
        upgrade()
        db.engine.dispose()
    _empty(app)


def test_init_prints_a_setup_link_until_an_admin_exists(database_url, tmp_path):
    app = make_test_app(database_url, tmp_path)
    _empty(app)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lms", "init", "--base-url", "http://127.0.0.1:5050"])
    assert result.exit_code == 0, result.output
    links = re.findall(r"http://127\.0\.0\.1:5050/setup/\S+", result.output)
    assert len(links) == 1
    path = links[0].removeprefix("http://127.0.0.1:5050")
    with app.app_context():
        assert app.test_client().get(path).status_code == 200
    # A second init reuses the data and prints a fresh link while there is still no admin.
    result = runner.invoke(args=["lms", "init", "--base-url", "http://127.0.0.1:5050"])
    assert result.exit_code == 0 and "/setup/" in result.output
    with app.app_context():
        make_user(permission=Permission.ADMIN)
        db.session.remove()
    result = runner.invoke(args=["lms", "init"])
    assert result.exit_code == 0 and "/setup/" not in result.output
    result = runner.invoke(args=["lms", "setup-link"])
    assert result.exit_code != 0 and "An administrator exists already" in result.output
    with app.app_context():
        assert app.test_client().get(path).status_code == 404
        db.engine.dispose()
    _empty(app)


def test_console_script_knows_every_command(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    lms = Path(sys.executable).parent / "lms"
    env = {**os.environ, "LMS_INSTANCE_PATH": str(tmp_path / "instance")}
    result = subprocess.run([str(lms), "--help"], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    for command in ("init", "sync-content", "check-plan", "report", "import-records", "send-reminders",
                    "import-roster", "purge-leavers", "backup", "import-gift", "export-gift", "import-moodle-xml",
                    "export-moodle-xml", "verify-attestations",
                    "deliver-mail"):
        assert f"  {command} " in result.stdout, command
