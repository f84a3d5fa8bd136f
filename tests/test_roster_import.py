"""The roster import: every rule, with messy files as HR systems and spreadsheets write them."""

from __future__ import annotations

import io
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date, timedelta

import pytest
from sqlalchemy import create_engine, event, func, select, text
from werkzeug.serving import make_server

from lms.auth import operations as accounts
from lms.extensions import db
from lms.mail import deliver_queued
from lms.models import AuditEvent, OutboxMessage, Permission, TokenPurpose, User, UserCategory
from lms.people import roster

from .clock import pinned_clock  # noqa: F401  (a fixture)
from .conftest import make_test_app, reset_schema
from .factories import make_user

HEADER = "Email,Name,Categories,Start date\n"


def people() -> dict[str, User]:
    db.session.expire_all()
    return {u.email: u for u in db.session.scalars(select(User))}


def run(data: bytes | str, **options):
    """Import as `lms import-roster` does: one transaction, committed after the import."""
    result = roster.import_roster(data.encode() if isinstance(data, str) else data, actor=None, **options)
    db.session.commit()
    return result


# --- reading: headers, encodings, delimiters ---------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "email,name,categories,start date",
        "E-mail, Full Name ,Category,Start",
        "EMAIL ADDRESS;Forename;Surname;Staff category;Date started",
        "Email address|First name|Last name|Roles|start_date".replace("|", ","),
        "e_mail,given name,family name,role,Start_Date",
    ],
)
def test_header_aliases_are_matched_ignoring_case_spaces_and_punctuation(header):
    delimiter = ";" if ";" in header else ","
    split_name = len(header.split(delimiter)) == 5
    values = ["zoe@example.org", "Zoë", "Adams", "staff", "03/03/2025"] if split_name else ["zoe@example.org", "Zoë Adams", "staff", "03/03/2025"]
    rows, errors, _ = roster.read_roster(f"{header}\n{delimiter.join(values)}\n")
    assert errors == []
    assert rows[0].email == "zoe@example.org"
    assert rows[0].name == "Zoë Adams"
    assert rows[0].start_date == date(2025, 3, 3)


def test_missing_columns_are_reported_on_row_1():
    rows, errors, _ = roster.read_roster("Email,Role\nzoe@example.org,staff\n")
    assert rows == []
    text = [str(e) for e in errors]
    assert any("Row 1, name: no name column" in t for t in text)
    assert any("Row 1, start date: no start date column" in t for t in text)


def test_a_first_name_without_a_last_name_column_is_not_a_name():
    _, errors, _ = roster.read_roster("Email,First name,Categories,Start date\nzoe@example.org,Zoë,staff,2025-01-01\n")
    assert any(e.field == "name" and e.row == 1 for e in errors)


def test_two_columns_for_the_same_field_is_an_error():
    _, errors, _ = roster.read_roster("Email,E-mail,Name,Categories,Start date\n")
    assert any("both give the email" in str(e) for e in errors)


def test_other_columns_are_ignored_and_said_so():
    rows, errors, notes = roster.read_roster("Employee ID,Email,Name,Department,Categories,Start date\n7,zoe@example.org,Zoë,Clinic,staff,2025-01-01\n")
    assert errors == [] and len(rows) == 1
    assert notes == ["Columns ignored: Employee ID, Department"]


def test_utf8_with_bom_windows_1252_and_semicolons(app):
    bom = "\ufeffEmail;Name;Categories;Start date\r\nzoe@example.org;Zoë Adams;Staff;01/09/2024\r\n".encode()
    result = run(bom)
    assert result.errors == [] and len(result.created) == 1
    cp1252 = "E-mail,Full name,Role,Start\r\nsian@example.org,Siân Jones,Trainee,2/9/2024\r\n".encode("cp1252")
    result = run(cp1252)
    assert result.errors == []
    found = people()
    assert found["zoe@example.org"].name == "Zoë Adams"
    assert found["sian@example.org"].name == "Siân Jones"
    assert found["sian@example.org"].start_date == date(2024, 9, 2)


def test_blank_lines_and_trailing_spaces_are_ignored():
    text = "\n" + HEADER + "\n zoe@example.org , Zoë  Adams ,staff , 2025-01-01 \n\n,,,\n  \nsian@example.org,Siân,trainee,2025-01-02\n\n"
    rows, errors, _ = roster.read_roster(text)
    assert errors == []
    assert [(r.email, r.name) for r in rows] == [("zoe@example.org", "Zoë Adams"), ("sian@example.org", "Siân")]
    assert [r.row for r in rows] == [4, 8]


def test_an_empty_file_and_a_header_without_people_are_errors():
    assert "empty" in str(roster.read_roster("")[1][0])
    assert "nobody in it" in str(roster.read_roster(HEADER)[1][0])


# --- categories --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Directors", ["director"]),
        ("Self employed", ["self-employed"]),
        ("self-employed", ["self-employed"]),
        ("SELF-EMPLOYED", ["self-employed"]),
        ("Agency staff", ["agency"]),
        ("Staff; Trainer", ["staff", "trainer"]),
        ("staff|trainers|Staff", ["staff", "trainer"]),
        ("Volunteer, Visitor", ["volunteer", "visitor"]),
        ("consultants", ["consultant"]),
    ],
)
def test_categories_are_matched_leniently(text, expected):
    assert roster.parse_categories(text) == (expected, [])


def test_categories_in_a_quoted_field_with_commas():
    rows, errors, _ = roster.read_roster(HEADER + 'zoe@example.org,Zoë,"Staff, Trainer",2025-01-01\n')
    assert errors == [] and rows[0].categories == ("staff", "trainer")


def test_an_unknown_category_is_an_error_naming_it():
    _, errors, _ = roster.read_roster(HEADER + "zoe@example.org,Zoë,Trainee therapist,2025-01-01\n")
    assert len(errors) == 1
    assert str(errors[0]).startswith("Row 2, categories: “Trainee therapist” is not a category")


def test_no_category_is_an_error():
    _, errors, _ = roster.read_roster(HEADER + "zoe@example.org,Zoë,,2025-01-01\n")
    assert str(errors[0]) == "Row 2, categories: enter at least one category"


# --- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2025-03-04", date(2025, 3, 4)),
        ("04/03/2025", date(2025, 3, 4)),
        ("4/3/2025", date(2025, 3, 4)),
        ("04-03-2025", date(2025, 3, 4)),
        ("3 March 2025", date(2025, 3, 3)),
        ("3 Mar 2025", date(2025, 3, 3)),
        ("29/02/2024", date(2024, 2, 29)),
        ("04/03/2025 00:00", date(2025, 3, 4)),
    ],
)
def test_uk_dates(text, expected):
    assert roster.parse_date(text) == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("03/25/2025", "dates are day first"),  # a US date
        ("31/02/2025", "is not a real date"),
        ("29/02/2025", "is not a real date"),
        ("2025-13-01", "is not a real date"),
        ("3/3/25", "is not a date"),
        ("March 3, 2025", "is not a date"),
        ("3 Marchember 2025", "does not name a month"),
        ("soon", "is not a date"),
    ],
)
def test_bad_dates_are_errors(text, message):
    with pytest.raises(ValueError, match=message):
        roster.parse_date(text)


# --- applying ----------------------------------------------------------------------------------

MESSY = (
    "\ufeffE-mail Address;Forename;Surname;Staff Category;Date Started;Active;Payroll\r\n"
    "ZOE@Example.org;Zoë;Adams;Directors|Staff;3 March 2025;yes;001\r\n"
    "sian@example.org;Siân;Jones;Agency staff;01/09/2024;;002\r\n"
    "\r\n"
    "tom@example.org;Tom;Baker;Self employed, Visitor;2025-01-15;;003\r\n"
)


def test_a_messy_file_creates_people_and_the_audit_says_so(app):
    result = run(MESSY.encode("utf-8"), filename="hr.csv")
    assert result.errors == []
    assert result.summary == "created 3, updated 0, unchanged 0, deactivated 0, errors 0"
    found = people()
    zoe = found["zoe@example.org"]
    assert (zoe.name, zoe.categories, zoe.start_date) == ("Zoë Adams", ["director", "staff"], date(2025, 3, 3))
    assert all(r.added_on == date(2025, 3, 3) for r in zoe.category_rows)  # from the start date
    assert found["sian@example.org"].categories == ["agency"]
    assert found["tom@example.org"].categories == ["self-employed", "visitor"]
    assert zoe.permission == Permission.DIRECTOR  # a Director, from the category
    assert found["sian@example.org"].permission == found["tom@example.org"].permission == Permission.LEARNER
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions.count("person.created") == 3 and actions.count("roster.imported") == 1
    summary = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "roster.imported"))
    assert summary.details["filename"] == "hr.csv" and summary.details["created"] == 3


def test_importing_the_same_file_twice_changes_nothing_the_second_time(app):
    run(MESSY.lstrip("\ufeff").encode("cp1252"))
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    again = run(MESSY.lstrip("\ufeff").encode("cp1252"))
    assert again.summary == "created 0, updated 0, unchanged 3, deactivated 0, errors 0"
    # only the import itself is recorded
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events + 1


@pytest.mark.dates
@pytest.mark.usefixtures("pinned_clock")
def test_changed_people_are_updated_with_before_and_after(app, today):
    person = make_user(email="zoe@example.org", name="Zoe Adams", categories=("staff",), start_date=date(2024, 1, 1))
    result = run(HEADER + "Zoe@example.org,Zoë Adams,Staff;Trainer,2024-01-01\n")
    assert result.summary == "created 0, updated 1, unchanged 0, deactivated 0, errors 0"
    db.session.refresh(person)
    assert person.name == "Zoë Adams"
    rows = {r.category: r.added_on for r in person.category_rows}
    assert rows["staff"] == today or rows["staff"] <= today
    assert rows["trainer"] == today  # a category added now applies from today
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "person.updated"))
    assert event.details["source"] == "import"
    assert event.details["changes"]["name"] == {"before": "Zoe Adams", "after": "Zoë Adams"}
    assert event.details["changes"]["categories"] == {"before": ["staff"], "after": ["staff", "trainer"]}


def test_any_error_means_nothing_is_saved_and_every_error_is_listed(app):
    before = make_user(email="keep@example.org", name="Keep Me")
    text = (
        HEADER
        + "new1@example.org,New One,staff,2025-01-01\n"
        + "keep@example.org,Changed Name,staff,2025-01-01\n"
        + "not-an-email,Bad Email,staff,2025-01-01\n"
        + "new2@example.org,,staff,2025-01-01\n"
        + "new3@example.org,Bad Date,staff,02/30/2025\n"
        + "new1@example.org,Twice,staff,2025-01-01\n"
        + "new4@example.org,Bad Category,Trainee therapist,2025-01-01\n"
    )
    result = run(text)
    assert [str(e).split(":")[0] for e in result.errors] == [
        "Row 4, email",
        "Row 5, name",
        "Row 6, start date",
        "Row 7, email",
        "Row 8, categories",
    ]
    assert "is in row 2 already" in str(result.errors[3])
    assert result.summary.endswith("errors 5")
    assert set(people()) == {"keep@example.org"}
    assert people()["keep@example.org"].name == before.name
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_active_column(app, today):
    make_user(email="leaver@example.org", name="Leaver")
    text = "Email,Name,Categories,Start date,Active\n" "leaver@example.org,Leaver,staff,{d},no\n" "gone@example.org,Gone,staff,{d},false\n" "odd@example.org,Odd,staff,{d},maybe\n"
    result = run(text.format(d=today.isoformat()))
    assert [str(e) for e in result.errors] == ["Row 4, active: “maybe” is not yes or no"]
    result = run(text.replace("maybe", "1").format(d=today.isoformat()))
    assert result.summary == "created 2, updated 0, unchanged 0, deactivated 1, errors 0"
    found = people()
    assert not found["leaver@example.org"].active
    assert not found["gone@example.org"].active
    assert found["odd@example.org"].active


def test_dry_run_saves_nothing(app):
    result = run(MESSY, dry_run=True)
    assert len(result.created) == 3 and not result.applied
    assert people() == {}


def test_deactivate_missing_marks_leavers_and_keeps_the_last_admin(app):
    admin = make_user(email="admin@example.org", permission=Permission.ADMIN)
    stays = make_user(email="stays@example.org", name="Stays", start_date=date(2024, 1, 1))
    leaver = make_user(email="leaver@example.org")
    gone_already = make_user(email="gone@example.org", active=False)
    result = run(HEADER + "stays@example.org,Stays,staff,2024-01-01\n", deactivate_missing=True)
    assert result.summary == "created 0, updated 0, unchanged 1, deactivated 1, errors 0"
    assert "Kept admin@example.org: the last active administrator." in result.notes
    found = people()
    assert not found["leaver@example.org"].active and found["leaver@example.org"].deactivated_at
    assert found["admin@example.org"].active and found["stays@example.org"].active
    assert found["gone@example.org"].active is False
    assert {p.id for p in found.values()} == {stays.id, leaver.id, admin.id, gone_already.id}  # nobody deleted


def test_a_lead_cannot_change_an_administrator_through_the_import(app):
    lead = make_user(permission=Permission.LEAD)
    make_user(email="boss@example.org", name="Boss", permission=Permission.ADMIN, start_date=date(2024, 1, 1))
    result = roster.import_roster(HEADER + "boss@example.org,Renamed,staff,2024-01-01\n", actor=lead)
    assert "only an administrator can change boss@example.org" in str(result.errors[0])
    assert people()["boss@example.org"].name == "Boss"


def test_invite_emails_the_new_active_people(runner, tmp_path):
    path = tmp_path / "roster.csv"
    text = "Email,Name,Categories,Start date,Active\nnew@example.org,New,staff,2025-01-01,yes\nold@example.org,Old,staff,2025-01-01,no\n"
    path.write_text(text)
    result = runner.invoke(args=["lms", "import-roster", str(path), "--invite"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "created 2, updated 0, unchanged 0, deactivated 0, errors 0"
    recipients = db.session.scalars(select(OutboxMessage.recipient)).all()
    assert recipients == ["new@example.org"]
    assert "http://localhost/invitation/" in db.session.scalar(select(OutboxMessage.body))


def test_cli_dry_run_and_errors(runner, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(HEADER + "a@example.org,A,staff,2025-01-01\n")
    result = runner.invoke(args=["lms", "import-roster", str(good), "--dry-run"])
    assert result.exit_code == 0
    assert "would create a@example.org (A)" in result.output
    assert result.output.strip().splitlines()[-1] == "created 1, updated 0, unchanged 0, deactivated 0, errors 0"
    assert people() == {}

    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "a@example.org,A,staff,31/02/2025\n")
    result = runner.invoke(args=["lms", "import-roster", str(bad)])
    assert result.exit_code == 1
    assert "Row 2, start date: “31/02/2025” is not a real date" in result.output
    assert result.output.strip().splitlines()[-1] == "created 0, updated 0, unchanged 0, deactivated 0, errors 1"
    assert people() == {}


# --- the upload page -----------------------------------------------------------------------------


def _upload(client, data: bytes, **fields):
    form = {"file": (io.BytesIO(data), "roster.csv"), "invite": "y", **fields}
    return client.post("/admin/people/import", data=form, content_type="multipart/form-data")


def _hidden(html: str, name: str) -> str:
    import re

    return re.search(rf'name="{name}"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="{name}"', html).group(1)


def test_upload_previews_then_imports_and_invites(client, auth):
    auth.login_as("lead")
    response = _upload(client, MESSY.lstrip("\ufeff").encode("cp1252"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Check the roster import" in html and "Zoë Adams" in html and "Siân Jones" in html
    assert "Invitations will be emailed to the 3 new people" in html
    assert "zoe@example.org" not in people()  # the preview saved nothing

    form = {n: _hidden(html, n) for n in ("roster", "filename", "fingerprint", "deactivate_missing", "invite")}
    response = client.post("/admin/people/import/confirm", data=form)
    assert response.status_code == 302
    assert {"zoe@example.org", "sian@example.org", "tom@example.org"} <= set(people())
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 3
    response = client.get("/admin/people")
    assert "Roster imported: created 3, updated 0, unchanged 0, deactivated 0, errors 0" in response.get_data(as_text=True)

    # The same preview confirmed again is now a different plan: it is shown again, not applied.
    response = client.post("/admin/people/import/confirm", data=form)
    assert "changed since the preview" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 3


def test_upload_with_errors_lists_them_and_offers_no_import(client, auth):
    auth.login_as("lead")
    response = _upload(client, (HEADER + "zoe@example.org,Zoë,Trainee therapist,31/02/2025\n").encode())
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Row 2, categories: “Trainee therapist” is not a category" in html
    assert "Row 2, start date: “31/02/2025” is not a real date" in html
    assert "Import the roster" not in html
    assert "zoe@example.org" not in people()


def test_upload_without_a_file_or_with_a_tampered_preview(client, auth):
    auth.login_as("lead")
    response = client.post("/admin/people/import", data={}, content_type="multipart/form-data")
    assert "Choose a CSV file" in response.get_data(as_text=True)
    response = client.post("/admin/people/import/confirm", data={"roster": "!!!", "fingerprint": "x"})
    assert response.status_code == 302
    response = client.post("/admin/people/import/confirm", data={})
    assert response.status_code == 302


def test_learners_and_directors_cannot_import(client, auth):
    auth.login_as("director")
    assert client.get("/admin/people/import").status_code == 403
    assert _upload(client, MESSY.encode()).status_code == 403
    assert client.post("/admin/people/import/confirm", data={}).status_code == 403


# --- what an import writes, in bulk -----------------------------------------------------------------


@pytest.mark.dates
@pytest.mark.usefixtures("pinned_clock")
def test_a_corrected_start_date_moves_the_categories_held_since_the_start(app, today):
    person = make_user(email="zoe@example.org", name="Zoë", categories=("staff",), start_date=date(2024, 1, 1))
    db.session.add(UserCategory(user_id=person.id, category="trainer", added_on=date(2024, 6, 1)))
    db.session.commit()
    version = person.data_version
    result = run(HEADER + "zoe@example.org,Zoë,Staff;Trainer;Volunteer,01/02/2024\n")
    assert result.summary == "created 0, updated 1, unchanged 0, deactivated 0, errors 0"
    db.session.expire_all()
    person = db.session.get(User, person.id)
    assert person.start_date == date(2024, 2, 1)
    assert {r.category: r.added_on for r in person.category_rows} == {
        "staff": date(2024, 2, 1),  # held since the start: moves with it
        "trainer": date(2024, 6, 1),  # added later: keeps its own date
        "volunteer": today,  # added by this import: from today
    }
    assert person.data_version > version  # the triggers saw the bulk writes


def test_a_leaver_in_the_file_is_signed_out_and_their_links_stop_working(app, client, auth):
    leaver = auth.login_as("learner", email="leaver@example.org", name="Leaver", start_date=date(2024, 1, 1))
    assert client.get("/").status_code == 200
    raw = accounts.issue_token(TokenPurpose.RESET, timedelta(hours=1), leaver)
    db.session.commit()
    result = run("Email,Name,Categories,Start date,Active\nleaver@example.org,Leaver,staff,2024-01-01,no\n")
    assert result.summary == "created 0, updated 0, unchanged 0, deactivated 1, errors 0"
    assert client.get("/").status_code == 302  # signed out
    assert accounts.find_token(raw, TokenPurpose.RESET) is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "person.updated"))
    assert event.details["changes"]["active"] == {"before": True, "after": False}
    assert event.target_id == str(leaver.id) and event.details["source"] == "import"


def test_a_leaver_who_returns_is_reactivated_by_the_file(app):
    make_user(email="back@example.org", name="Back", start_date=date(2024, 1, 1), active=False)
    result = run("Email,Name,Categories,Start date,Active\nback@example.org,Back,staff,2024-01-01,yes\n")
    assert result.summary == "created 0, updated 1, unchanged 0, deactivated 0, errors 0"
    back = people()["back@example.org"]
    assert back.active and back.deactivated_at is None


def test_each_created_and_invited_person_is_audited_against_their_own_row(app, runner, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(HEADER + "a@example.org,Ann,staff,2025-01-01\nb@example.org,Bob,trainee,2025-01-02\n")
    assert runner.invoke(args=["lms", "import-roster", str(path), "--invite"]).exit_code == 0
    found = people()
    events = db.session.execute(select(AuditEvent.action, AuditEvent.target_id, AuditEvent.address, AuditEvent.details)).all()
    for email in ("a@example.org", "b@example.org"):
        mine = {action: details for action, target, _, details in events if target == str(found[email].id)}
        assert mine["person.created"]["email"] == email and mine["person.created"]["source"] == "import"
        assert mine["person.invited"]["email"] == email
    assert {address for *_, address, _ in events} == {"cli"}
    # Each invitation link works for its own person.
    body = db.session.scalar(select(OutboxMessage.body).where(OutboxMessage.recipient == "b@example.org"))
    raw = re.search(r"/invitation/(\S+)", body).group(1)
    assert accounts.find_token(raw, TokenPurpose.INVITE).user_id == found["b@example.org"].id
    assert "Hello Bob," in body


class _SMTPServer(threading.Thread):
    """Just enough SMTP on 127.0.0.1 to receive messages; for each, `on_message` is called
    with the recipient before it is accepted."""

    def __init__(self, on_message):
        super().__init__(daemon=True)
        self.on_message = on_message
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.received: list[str] = []

    def run(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn, conn.makefile("rb") as lines:
                conn.sendall(b"220 test\r\n")
                recipient = ""
                for line in lines:
                    command = line.decode().strip()
                    if command.upper().startswith("RCPT TO:"):
                        recipient = command[8:].strip(" <>")
                    if command.upper() == "DATA":
                        conn.sendall(b"354 go on\r\n")
                        for data in lines:
                            if data == b".\r\n":
                                break
                        self.on_message(recipient)
                        self.received.append(recipient)
                        conn.sendall(b"250 ok\r\n")
                    elif command.upper() == "QUIT":
                        conn.sendall(b"221 bye\r\n")
                        break
                    else:
                        conn.sendall(b"250 ok\r\n")

    def close(self) -> None:
        self.sock.close()


def test_an_import_only_queues_its_invitations_and_the_worker_sends_them_once_saved(app):
    """The import talks to no mail server, even with one set; the delivery worker sends each
    invitation afterwards, when the person it invites is in the database as another
    connection sees it."""
    seen_saved: list[bool] = []
    with create_engine(app.config["SQLALCHEMY_DATABASE_URI"]).connect() as other:

        def check(recipient: str) -> None:
            saved = other.execute(text('SELECT count(*) FROM "user" WHERE email = :e'), {"e": recipient}).scalar()
            other.rollback()
            seen_saved.append(saved == 1)

        server = _SMTPServer(check)
        server.start()
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=server.port, SMTP_STARTTLS=False)
        try:
            result = run(HEADER + "a@example.org,Ann,staff,2025-01-01\nb@example.org,Bob,trainee,2025-01-02\n", invite=True)
            assert server.received == []
            assert set(db.session.scalars(select(OutboxMessage.state))) == {"queued"}
            deliver_queued()
        finally:
            server.close()
    assert result.invited == 2
    assert sorted(server.received) == ["a@example.org", "b@example.org"] and seen_saved == [True, True]
    assert set(db.session.scalars(select(OutboxMessage.state))) == {"sent"}


# --- size: the row limit, and people signing in during a big import ----------------------------------


def _big_roster(rows: int) -> str:
    return HEADER + "".join(f"person{n:05d}@example.org,Person {n},Staff,2025-01-01\n" for n in range(rows))


def test_a_file_of_more_than_20000_rows_is_refused_with_a_clear_message():
    rows, errors, _ = roster.read_roster(_big_roster(20_001))
    assert rows == []
    assert [str(e) for e in errors] == [
        "Row 20002: the file has more than 20,000 people in it, the most one import takes; "
        "split it into smaller files and import each"
    ]
    rows, errors, _ = roster.read_roster(_big_roster(20_000))
    assert errors == [] and len(rows) == 20_000


def test_the_upload_page_states_the_row_limit_and_refuses_a_bigger_file(client, auth):
    auth.login_as("lead")
    assert "up to 20,000 people" in client.get("/admin/people/import").get_data(as_text=True)
    response = _upload(client, _big_roster(20_001).encode())
    html = response.get_data(as_text=True)
    assert "more than 20,000 people in it" in html and "Import the roster" not in html
    assert people().keys() == {u.email for u in db.session.scalars(select(User))}
    assert db.session.scalar(select(func.count()).select_from(User)) == 1  # the lead


@pytest.mark.slow
def test_people_sign_in_while_20000_people_are_imported(tmp_path):
    """A real server on the same SQLite file as the import: every sign-in succeeds, some of them
    while the import's transaction holds the write lock."""
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    importer = make_test_app(url, tmp_path / "importer")
    reset_schema(importer)
    limits = {"LOGIN_LIMIT": "100000 per minute", "LOGIN_ADDRESS_LIMIT": "100000 per minute"}
    served = make_test_app(url, tmp_path / "served", **limits)
    with importer.app_context():
        make_user(email="learner@example.org", password="a long enough password")
    server = make_server("127.0.0.1", 0, served, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    written: dict[str, float] = {}
    with importer.app_context():
        engine = db.engine

    def first_write(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            written.setdefault("start", time.perf_counter())

    def committed(conn):
        if "start" in written:
            written.setdefault("end", time.perf_counter())

    event.listen(engine, "before_cursor_execute", first_write)
    event.listen(engine, "commit", committed)
    signins: list[tuple[float, float, int]] = []
    done = threading.Event()

    def sign_in_again_and_again():
        body = urllib.parse.urlencode({"email": "learner@example.org", "password": "a long enough password"}).encode()
        while not done.is_set():
            started = time.perf_counter()
            request = urllib.request.Request(f"http://127.0.0.1:{server.server_port}/login", data=body)
            try:
                status = urllib.request.build_opener(_NoRedirect).open(request, timeout=60).status
            except urllib.error.HTTPError as exc:
                status = exc.code
            signins.append((started, time.perf_counter(), status))

    signer = threading.Thread(target=sign_in_again_and_again, daemon=True)
    signer.start()
    try:
        with importer.app_context(), importer.test_request_context(environ_overrides={"REMOTE_ADDR": "cli"}):
            result = roster.import_roster(_big_roster(20_000), actor=None)
            db.session.commit()  # as `lms import-roster` does
            db.session.remove()
    finally:
        done.set()
        signer.join(timeout=60)
        server.shutdown()
    assert result.applied and len(result.created) == 20_000
    assert signins and {status for *_, status in signins} == {302}, signins  # each sign-in went through
    during = [s for s in signins if s[0] < written["end"] and s[1] > written["start"]]
    assert during, (written, signins)
    for app_ in (importer, served):
        with app_.app_context():
            db.engine.dispose()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_a_director_imported_gets_director_permission_and_a_later_import_lowers_no_one(app):
    result = run(HEADER + "dee@example.org,Dee,Director,2025-01-01\nlee@example.org,Lee,staff,2025-01-01\n")
    assert result.applied
    people = {u.email: u for u in db.session.scalars(select(User))}
    assert people["dee@example.org"].permission == Permission.DIRECTOR
    assert people["lee@example.org"].permission == Permission.LEARNER
    created = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "person.created").order_by(AuditEvent.id)
    ).all()
    assert [e.details["changes"]["permission"]["after"] for e in created] == ["director", "learner"]

    # A lead who is also a Director, and the Director dropped from the category: no one is
    # lowered and no permission is taken away.
    people["lee@example.org"].permission = Permission.LEAD
    db.session.commit()
    again = run(HEADER + "dee@example.org,Dee,staff,2025-01-01\nlee@example.org,Lee,Director,2025-01-01\n")
    assert again.applied
    db.session.expire_all()
    people = {u.email: u for u in db.session.scalars(select(User))}
    assert people["dee@example.org"].permission == Permission.DIRECTOR
    assert people["lee@example.org"].permission == Permission.LEAD


def test_a_later_import_naming_a_learner_a_director_raises_them_audited(app):
    assert run(HEADER + "kim@example.org,Kim,staff,2025-01-01\n").applied
    result = run(HEADER + "kim@example.org,Kim,staff|director,2025-01-01\n")
    assert result.applied
    db.session.expire_all()
    kim = db.session.scalar(select(User).where(User.email == "kim@example.org"))
    assert kim.permission == Permission.DIRECTOR
    updated = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "person.updated")).all()
    assert [e.details["changes"]["permission"] for e in updated] == [{"before": "learner", "after": "director"}]


# --- line managers -------------------------------------------------------------------------------

MANAGED = "Email,Name,Categories,Start date,Line manager\n"


def _manager_of(email: str) -> str | None:
    db.session.expire_all()
    person = db.session.scalar(select(User).where(User.email == email))
    return person.manager.email if person.manager else None


def test_a_manager_column_links_people_in_the_file_whatever_the_order(app):
    result = run(
        MANAGED
        + "ann@example.org,Ann,staff,2025-01-01,BOSS@example.org\n"
        + "boss@example.org,Boss,staff,2025-01-01,\n"
    )
    assert result.applied and not result.errors
    assert _manager_of("ann@example.org") == "boss@example.org"
    assert _manager_of("boss@example.org") is None
    created = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "person.created")).all()
    (ann,) = [e for e in created if e.details["email"] == "ann@example.org"]
    assert ann.details["changes"]["manager"] == {"before": None, "after": "boss@example.org"}

    # The same file again changes nothing; an empty cell clears; no column leaves it alone.
    assert not run(MANAGED + "ann@example.org,Ann,staff,2025-01-01,boss@example.org\nboss@example.org,Boss,staff,2025-01-01,\n").updated
    run(HEADER + "ann@example.org,Ann,staff,2025-01-01\n")
    assert _manager_of("ann@example.org") == "boss@example.org"
    again = run("Email,Name,Categories,Start date,Manager email\nann@example.org,Ann,staff,2025-01-01,\n")
    assert [c.changes for c in again.updated] == [{"manager": {"before": "boss@example.org", "after": None}}]
    assert _manager_of("ann@example.org") is None


def test_a_manager_already_in_the_lms_and_one_who_has_left(app):
    make_user(email="old@example.org", active=False)
    result = run("Email,Name,Categories,Start date,Manager\nann@example.org,Ann,staff,2025-01-01,old@example.org\n")
    assert result.applied
    assert _manager_of("ann@example.org") == "old@example.org"  # a leaver keeps their reports


@pytest.mark.parametrize(
    "rows, message",
    [
        ("ann@example.org,Ann,staff,2025-01-01,ghost@example.org\n", "Row 2, manager email: ghost@example.org is not in the LMS or in this file"),
        ("ann@example.org,Ann,staff,2025-01-01,ann@example.org\n", "Row 2, manager email: a person cannot be their own line manager"),
        ("ann@example.org,Ann,staff,2025-01-01,not an email\n", "Row 2, manager email: “not an email” is not an email address"),
        (
            "ann@example.org,Ann,staff,2025-01-01,bob@example.org\nbob@example.org,Bob,staff,2025-01-01,cat@example.org\n"
            "cat@example.org,Cat,staff,2025-01-01,ann@example.org\n",
            "Row 2, manager email: this would make a loop",
        ),
        ("dan@example.org,Dan,staff,2025-01-01,eve@example.org\n", "Row 2, manager email: this would make a loop"),
    ],
)
def test_an_unknown_manager_oneself_or_a_loop_is_a_row_error_and_nothing_is_saved(app, rows, message):
    dan = make_user(email="dan@example.org", name="Dan", start_date=date(2025, 1, 1))
    eve = make_user(email="eve@example.org", name="Eve", start_date=date(2025, 1, 1))
    eve.manager_id = dan.id  # in the LMS already: Dan manages Eve
    db.session.commit()
    before = db.session.scalar(select(func.count()).select_from(User))
    result = run(MANAGED + rows)
    assert not result.applied
    assert any(str(e).startswith(message) for e in result.errors), [str(e) for e in result.errors]
    assert db.session.scalar(select(func.count()).select_from(User)) == before
    assert _manager_of("dan@example.org") is None
