"""Importing earlier records (all rows or none) and reminders (at most weekly per item)."""

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.formatting import long_date
from lms.models import AuditEvent, OutboxMessage, Permission
from lms.models.content import Completion
from lms.models.records import ReminderLog

from .clock import pinned_clock  # noqa: F401  (a fixture)
from .factories import make_user
from .test_compliance import PLAN, complete

TODAY = date(2026, 11, 25)


@pytest.fixture
def app_overrides(tmp_path):
    path = tmp_path / "plan.toml"
    path.write_text(PLAN)
    return {"TRAINING_PLAN": str(path)}


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def write(tmp_path, text, encoding="utf-8"):
    path = tmp_path / "records.csv"
    path.write_bytes(text.encode(encoding))
    return path


GOOD = (
    "\ufeffEmail,Requirement,Completed_On,Note\n"
    "ADA@example.org,course:prevent-awareness,2024-03-01,Classroom session\n"
    "ada@example.org,home-office-prevent-awareness,15/06/2025,\n"
    "ben@example.org,prevent-refresher,2025-12-01,\n"
    "\n"
)


def test_import_records_from_the_command_line(app, runner, tmp_path):
    ada = make_user(email="ada@example.org", categories=("staff",))
    make_user(email="ben@example.org", categories=("contractor",))
    path = write(tmp_path, GOOD)

    dry = runner.invoke(args=["lms", "import-records", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would record course prevent-awareness for ada@example.org on 2024-03-01" in dry.output
    assert "created 3, unchanged 0, errors 0" in dry.output
    assert count(Completion) == 0

    result = runner.invoke(args=["lms", "import-records", str(path)])
    assert result.exit_code == 0, result.output
    rows = db.session.scalars(select(Completion).order_by(Completion.id)).all()
    assert [(r.kind, r.ref, r.completed_on, r.source) for r in rows] == [
        ("course", "prevent-awareness", date(2024, 3, 1), "import"),
        ("certificate", "home-office-prevent-awareness", date(2025, 6, 15), "import"),
        ("course", "prevent-refresher", date(2025, 12, 1), "import"),
    ]
    assert rows[0].user_id == ada.id and rows[0].note == "Classroom session"
    assert db.session.scalars(select(AuditEvent.action)).all() == ["records.imported"]

    again = runner.invoke(args=["lms", "import-records", str(path)])
    assert again.exit_code == 0 and "created 0, unchanged 3" in again.output
    assert count(Completion) == 3


@pytest.mark.dates
@pytest.mark.usefixtures("pinned_clock")
def test_any_bad_row_saves_nothing_and_every_error_is_listed(app, runner, tmp_path, today):
    make_user(email="ada@example.org", categories=("staff",))
    future = (today + timedelta(days=3)).isoformat()
    path = write(
        tmp_path,
        "email,requirement,completed_on\n"
        "ada@example.org,course:prevent-awareness,2024-03-01\n"
        "nobody@example.org,course:prevent-awareness,2024-03-01\n"
        "ada@example.org,made-up-course,2024-03-01\n"
        f"ada@example.org,home-office-prevent-awareness,{future}\n"
        "ada@example.org,home-office-prevent-awareness,31/02/2025\n"
        "ada@example.org,prevent-awareness,2024-03-01\n"
        "ada@example.org,policy:ecpt-prevent-policy,2024-03-01\n",
    )
    result = runner.invoke(args=["lms", "import-records", str(path)])
    assert result.exit_code == 1
    out = result.output
    assert "Row 3: no person with email nobody@example.org" in out
    assert "Row 4: requirement 'made-up-course' is not in the training plan" in out
    assert f"Row 5: completed_on {future} is in the future" in out
    assert "Row 6: completed_on: “31/02/2025” is not a real date" in out
    assert "Row 7: 'prevent-awareness' is both a course and a quiz" in out
    assert "Row 8: a policy cannot be imported" in out
    assert "Nothing was saved" in out
    assert count(Completion) == 0


def test_bad_header_and_empty_file(app, runner, tmp_path):
    path = write(tmp_path, "name,when\nx,y\n")
    result = runner.invoke(args=["lms", "import-records", str(path)])
    assert result.exit_code == 1 and "missing columns email, requirement, completed_on" in result.output
    path = write(tmp_path, "")
    result = runner.invoke(args=["lms", "import-records", str(path)])
    assert result.exit_code == 1 and "The file is empty" in result.output


def test_windows_1252_file(app, runner, tmp_path):
    make_user(email="zoe@example.org", categories=("staff",))
    path = write(tmp_path, "email,requirement,completed_on,note\nzoe@example.org,course:prevent-awareness,01/02/2025,Zoë's session\n", "cp1252")
    result = runner.invoke(args=["lms", "import-records", str(path)])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Completion.note)) == "Zoë's session"


def test_import_page_checks_then_imports(client, auth):
    make_user(email="ada@example.org", categories=("staff",))
    make_user(email="ben@example.org", categories=("contractor",))
    auth.login_as("lead")

    def upload(text, button):
        return client.post(
            "/records/import",
            data={"file": (io.BytesIO(text.encode()), "records.csv"), button: "x"},
            content_type="multipart/form-data",
        )

    page = upload(GOOD, "check").get_data(as_text=True)
    assert "The file is ready to import" in page and "3 new records would be saved" in page
    assert count(Completion) == 0
    response = upload(GOOD, "submit")
    assert response.status_code == 302
    assert count(Completion) == 3
    page = upload("email,requirement,completed_on\nzed@example.org,x,2020-01-01\n", "submit").get_data(as_text=True)
    assert "nothing was saved" in page and "Row 2: no person with email zed@example.org" in page
    assert count(Completion) == 3
    page = client.post("/records/import", data={"submit": "x"}, content_type="multipart/form-data").get_data(as_text=True)
    assert "Choose a CSV file" in page


def _upload(client, text, button="submit"):
    return client.post(
        "/records/import",
        data={"file": (io.BytesIO(text.encode()), "records.csv"), button: "x"},
        content_type="multipart/form-data",
    )


def test_nobody_imports_records_for_themselves_or_for_anyone_at_or_above_them(client, auth):
    lead = auth.login_as("lead", email="lead@example.org", categories=("staff",))
    make_user(email="deputy@example.org", categories=("staff",), permission=Permission.LEAD)
    make_user(email="admin@example.org", categories=("staff",), permission=Permission.ADMIN)
    make_user(email="director@example.org", categories=("staff",), permission=Permission.DIRECTOR)
    make_user(email="ada@example.org", categories=("staff",))
    rows = (
        "email,requirement,completed_on\n"
        "lead@example.org,course:prevent-awareness,2024-03-01\n"
        "deputy@example.org,course:prevent-awareness,2024-03-01\n"
        "admin@example.org,course:prevent-awareness,2024-03-01\n"
        "director@example.org,course:prevent-awareness,2024-03-01\n"
        "ada@example.org,course:prevent-awareness,2024-03-01\n"
    )
    for button in ("check", "submit"):
        page = " ".join(_upload(client, rows, button).get_data(as_text=True).split())
        assert "The file has 3 problems; nothing was saved" in page
        assert "Row 2: lead@example.org is you: nobody records their own training" in page
        assert "Row 3: deputy@example.org has safeguarding lead permission, as high as yours" in page
        assert "Row 4: admin@example.org has administrator permission, as high as yours" in page
        assert "Row 5" not in page and "Row 6" not in page
    assert count(Completion) == 0  # the good rows wait too: all or none

    auth.login_as("admin", email="other-admin@example.org")
    page = " ".join(_upload(client, rows).get_data(as_text=True).split())
    assert "Row 4: admin@example.org has administrator permission" in page and "Row 2" not in page
    assert count(Completion) == 0
    auth.login(lead)
    assert _upload(client, "email,requirement,completed_on\nada@example.org,course:prevent-awareness,2024-03-01\n").status_code == 302
    imported = db.session.scalar(select(Completion))
    assert imported.recorded_by_id == lead.id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "records.imported"))
    assert event.actor_id == lead.id and event.details["via"] == "Import earlier records"


def test_at_the_command_line_an_administrator_imports_anyone_and_the_audit_log_says_so(app, runner, tmp_path):
    admin = make_user(email="admin@example.org", categories=("staff",), permission=Permission.ADMIN)
    path = write(tmp_path, "email,requirement,completed_on\nadmin@example.org,course:prevent-awareness,2024-03-01\n")
    result = runner.invoke(args=["lms", "import-records", str(path)])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Completion.user_id)) == admin.id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "records.imported"))
    assert event.actor_id is None and event.address == "cli"
    assert event.details["via"] == "lms import-records, by an administrator of the server"


def test_learner_and_director_cannot_import(client, auth):
    auth.login_as("director")
    assert client.get("/records/import").status_code == 403


def test_daily_reminders_on_their_points_weekly_once_overdue_and_lead_digest(app, runner):
    lead = make_user(email="lead@example.org", categories=("visitor",), permission=__import__("lms").models.Permission.LEAD)
    overdue_person = make_user(email="late@example.org", categories=("contractor",), start_date=TODAY - timedelta(days=30))
    soon = make_user(email="soon@example.org", categories=("contractor",), start_date=TODAY - timedelta(days=5))
    later = make_user(email="later@example.org", categories=("staff",), start_date=TODAY + timedelta(days=5))  # due in 33 days
    fine = make_user(email="fine@example.org", categories=("contractor",), start_date=TODAY - timedelta(days=30))
    complete(fine, "course", "prevent-refresher", TODAY - timedelta(days=10))

    dry = runner.invoke(args=["lms", "send-reminders", "--dry-run", "--as-of", TODAY.isoformat()])
    assert dry.exit_code == 0, dry.output
    assert "late@example.org" in dry.output and "soon@example.org" in dry.output
    assert "later@example.org" not in dry.output and "fine@example.org" not in dry.output
    assert count(OutboxMessage) == 0

    result = runner.invoke(args=["lms", "send-reminders", "--as-of", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    recipients = sorted(db.session.scalars(select(OutboxMessage.recipient)))
    assert recipients == ["late@example.org", "lead@example.org", "soon@example.org"]
    late_mail = db.session.scalar(select(OutboxMessage.body).where(OutboxMessage.recipient == "late@example.org"))
    assert "Prevent refresher: overdue by 16 days" in late_mail
    digest = db.session.scalar(select(OutboxMessage.body).where(OutboxMessage.recipient == "lead@example.org"))
    assert "late@example.org" in digest

    soon_mail = db.session.scalar(select(OutboxMessage.body).where(OutboxMessage.recipient == "soon@example.org"))
    assert f"due {long_date(TODAY + timedelta(days=9))}, in 9 days" in soon_mail  # the 30-day point

    # Twice in a day: nothing new. The overdue item's next week (from its deadline): again.
    runner.invoke(args=["lms", "send-reminders", "--as-of", TODAY.isoformat()])
    assert count(OutboxMessage) == 3
    # Days 1 to 4 not run: day 5 sends soon's 7-day point (passed on day 2) once, later's
    # 30-day point (28 days before), and a digest.
    runner.invoke(args=["lms", "send-reminders", "--as-of", (TODAY + timedelta(days=5)).isoformat()])
    assert count(OutboxMessage) == 6
    soon_mails = db.session.scalars(select(OutboxMessage.body).where(OutboxMessage.recipient == "soon@example.org")).all()
    assert len(soon_mails) == 2 and "in 4 days" in soon_mails[-1]
    runner.invoke(args=["lms", "send-reminders", "--as-of", (TODAY + timedelta(days=6)).isoformat()])
    assert count(OutboxMessage) == 8  # the lead's digest, and the fourth week overdue
    assert sorted(db.session.scalars(select(OutboxMessage.recipient))).count("late@example.org") == 2
    assert lead is not None and overdue_person is not None and soon is not None and later is not None


@pytest.mark.dates
@pytest.mark.usefixtures("pinned_clock")
def test_lead_reminds_selected_people_from_the_dashboard(client, auth, today):
    late = make_user(email="late@example.org", categories=("contractor",), start_date=today - timedelta(days=30))
    done = make_user(email="done@example.org", categories=("contractor",), start_date=today - timedelta(days=30))
    complete(done, "course", "prevent-refresher", today)
    auth.login_as("lead")
    response = client.post("/dashboard/remind", data={"user_id": [str(late.id), str(done.id), "junk"], "back": "/dashboard"})
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    assert db.session.scalars(select(OutboxMessage.recipient)).all() == ["late@example.org"]
    assert count(ReminderLog) == 1
    response = client.post("/dashboard/remind", data={"back": "https://evil.example/"})
    assert response.headers["Location"] == "/dashboard"


def test_a_person_gets_at_most_one_reminder_by_hand_a_day(client, auth, today):
    late = make_user(name="Ada Late", email="late@example.org", categories=("contractor",), start_date=today - timedelta(days=30))
    other = make_user(name="Bo Late", email="bo@example.org", categories=("contractor",), start_date=today - timedelta(days=30))
    auth.login_as("lead")
    client.post("/dashboard/remind", data={"user_id": [str(late.id)], "back": "/dashboard"})
    page = client.post("/dashboard/remind", data={"user_id": [str(late.id)], "back": "/dashboard"}, follow_redirects=True)
    assert "Ada Late was already reminded today. No reminder was sent." in page.get_data(as_text=True)
    page = client.post("/dashboard/remind", data={"user_id": [str(late.id), str(other.id)], "back": "/dashboard"}, follow_redirects=True)
    assert "Reminders sent to 1 person. Ada Late was already reminded today." in page.get_data(as_text=True)
    assert sorted(db.session.scalars(select(OutboxMessage.recipient))) == ["bo@example.org", "late@example.org"]
    # From the people list too.
    page = client.post(
        "/admin/people/bulk", data={"action": "remind", "confirm": "yes", "user_id": [str(late.id), str(other.id)]}, follow_redirects=True
    )
    assert "Ada Late and Bo Late were already reminded today. No reminder was sent." in page.get_data(as_text=True)
    assert count(OutboxMessage) == 2


def test_director_cannot_send_reminders(client, auth):
    late = make_user(email="late@example.org", categories=("contractor",))
    auth.login_as("director")
    assert client.post("/dashboard/remind", data={"user_id": str(late.id)}).status_code == 403
    assert count(OutboxMessage) == 0
