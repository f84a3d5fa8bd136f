"""Every link the LMS hands out comes from LMS_BASE_URL, and only its host is served."""

import io
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from lms.dates import local_today
from lms.extensions import db
from lms.models import Completion, OutboxMessage

from .conftest import make_test_app, reset_schema
from .factories import make_user

BASE = "https://training.example.org"
ROOT = Path(__file__).parent.parent
BIN = Path(sys.executable).parent


@pytest.fixture
def app_overrides(tmp_path):
    plan = tmp_path / "plan.toml"
    plan.write_text('[[requirements]]\nref = "alpha"\nkind = "course"\ntitle = "Alpha"\ncategories = ["staff"]\ndue_days = 28\n')
    return {"BASE_URL": BASE + "/", "TRAINING_PLAN": str(plan)}


def last_mail() -> OutboxMessage:
    return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()


def links(body: str) -> list[str]:
    return re.findall(r"https?://\S+", body)


def test_a_reset_request_under_another_host_is_refused_and_sends_nothing(client):
    make_user(email="victim@example.org")
    response = client.post(
        "/forgot-password", data={"email": "victim@example.org"}, headers={"Host": "evil.example"}
    )
    assert response.status_code == 400
    assert last_mail() is None


def test_reset_links_come_from_the_base_url_whatever_host_the_request_named(client):
    make_user(email="victim@example.org")
    for host in ("localhost", "127.0.0.1:5000", "training.example.org"):
        client.post("/forgot-password", data={"email": "victim@example.org"}, headers={"Host": host})
        (link,) = links(last_mail().body)
        assert link.startswith(f"{BASE}/reset-password/"), (host, link)


def test_forwarded_host_behind_a_proxy_is_not_believed(database_url, tmp_path, app_overrides):
    app = make_test_app(database_url, tmp_path, PROXY_FIX=1, **app_overrides)
    reset_schema(app)
    with app.app_context():
        make_user(email="victim@example.org")
        client = app.test_client()
        response = client.post(
            "/forgot-password",
            data={"email": "victim@example.org"},
            headers={"Host": "training.example.org", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"},
        )
        assert response.status_code == 200
        (link,) = links(last_mail().body)
        assert link.startswith(f"{BASE}/reset-password/")
        db.session.remove()
        db.engine.dispose()


def test_invitation_links_come_from_the_base_url(client, auth):
    auth.login_as("lead")
    response = client.post(
        "/admin/people/invite",
        data={"name": "New Starter", "email": "new@example.org", "categories": ["staff"],
              "start_date-day": "1", "start_date-month": "3", "start_date-year": "2026", "permission": "learner"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    (link,) = links(last_mail().body)
    assert link.startswith(f"{BASE}/invitation/")


def test_certificate_verification_link_in_the_pdf_comes_from_the_base_url(client, auth):
    me = auth.login_as("learner")
    db.session.add(Completion(user_id=me.id, kind="course", ref="alpha", completed_on=local_today(), source="lms"))
    db.session.commit()
    response = client.get("/certificates/plan.pdf")  # served as localhost
    assert response.status_code == 200
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "training.example.org/verify/" in text
    assert "localhost" not in text


def test_reminder_emails_link_to_the_base_url(app, runner):
    make_user(email="late@example.org", start_date=local_today() - timedelta(days=60))
    result = runner.invoke(args=["lms", "send-reminders"])
    assert result.exit_code == 0, result.output
    (link,) = links(last_mail().body)
    assert link == f"{BASE}/"


def test_roster_invitations_from_the_command_line_link_to_the_base_url(app, runner, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("Email,Name,Categories,Start date\nnew@example.org,New Starter,staff,2026-03-01\n")
    result = runner.invoke(args=["lms", "import-roster", str(roster), "--invite"])
    assert result.exit_code == 0, result.output
    (link,) = links(last_mail().body)
    assert link.startswith(f"{BASE}/invitation/")


@pytest.mark.parametrize(
    "host,status",
    [
        ("training.example.org", 200),
        ("localhost:5000", 200),
        ("127.0.0.1", 200),
        ("[::1]:5000", 200),
        ("evil.example", 400),
        ("training.example.org.evil.example", 400),
    ],
)
def test_only_the_base_urls_host_and_local_ones_are_served(client, host, status):
    assert client.get("/login", headers={"Host": host}).status_code == status


def test_hosts_listed_in_lms_trusted_hosts_are_served_too(database_url, tmp_path, app_overrides):
    app = make_test_app(database_url, tmp_path, TRUSTED_HOSTS="lms.internal, Other.Example", **app_overrides)
    client = app.test_client()
    assert client.get("/login", headers={"Host": "lms.internal"}).status_code == 200
    assert client.get("/login", headers={"Host": "other.example"}).status_code == 200
    assert client.get("/login", headers={"Host": "evil.example"}).status_code == 400


def test_the_health_check_answers_any_host(client):
    response = client.get("/healthz", headers={"Host": "10.0.0.7:8000"})
    assert response.status_code == 200


def test_a_malformed_base_url_stops_the_app(database_url, tmp_path):
    for bad in ("training.example.org", "ftp://training.example.org", "https://x.org/?a=1"):
        with pytest.raises(ValueError, match="LMS_BASE_URL"):
            make_test_app(database_url, tmp_path, BASE_URL=bad)


# --- serving without a base URL, and commands that need none -------------------------------


def _env(tmp_path, **extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LMS_")}
    env.update(LMS_INSTANCE_PATH=str(tmp_path / "instance"), **extra)
    return env


def test_serving_without_a_base_url_refuses_to_start(tmp_path):
    env = _env(tmp_path)
    gunicorn = subprocess.run(
        [str(BIN / "gunicorn"), "--bind", "127.0.0.1:0", "lms:create_app()"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert gunicorn.returncode != 0
    assert "LMS_BASE_URL is not set" in gunicorn.stderr
    flask_run = subprocess.run(
        [str(BIN / "flask"), "--app", "lms", "run", "--port", "0"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert flask_run.returncode != 0
    assert "LMS_BASE_URL is not set" in flask_run.stderr


def test_commands_that_send_nothing_need_no_base_url(tmp_path):
    env = _env(tmp_path)
    backup = subprocess.run([str(BIN / "lms"), "backup", str(tmp_path / "copy.sqlite3")], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert backup.returncode == 1 and "run `lms init` first" in backup.stderr  # no database yet: said plainly
    for args in (["init"], ["check-plan"], ["sync-content", "--check"], ["backup", str(tmp_path / "copy.sqlite3")]):
        result = subprocess.run([str(BIN / "lms"), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, (args, result.stderr)
        assert "LMS_BASE_URL" not in result.stderr
    result = subprocess.run(
        [str(BIN / "flask"), "--app", "lms", "lms", "check-plan"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_commands_that_send_links_say_lms_base_url_is_missing(tmp_path):
    env = _env(tmp_path)
    init = subprocess.run([str(BIN / "lms"), "init"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert init.returncode == 0, init.stderr
    assert "Set LMS_BASE_URL" in init.stdout and "/setup/" not in init.stdout
    for args in (["send-reminders"], ["setup-link"], ["base-url"]):
        result = subprocess.run([str(BIN / "lms"), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert result.returncode == 1, args
        assert "LMS_BASE_URL is not set" in result.stderr, args
    with_url = subprocess.run(
        [str(BIN / "lms"), "setup-link"], env={**env, "LMS_BASE_URL": "http://lms.test:8080"},
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert with_url.returncode == 0 and with_url.stdout.startswith("http://lms.test:8080/setup/")
