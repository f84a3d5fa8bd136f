"""Both imports read a spreadsheet the same way (lms/csvintake.py): a date, a header spelling,
an encoding or a delimiter that the roster import takes, the records import takes too."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.models import Completion, User
from lms.people import roster
from lms.plan.loader import current_plan
from lms.records import importing
from lms.records.importing import import_records

from .factories import make_user
from .test_compliance import PLAN

DATES = {
    "2025-01-31": date(2025, 1, 31),
    "31/01/2025": date(2025, 1, 31),
    "31/1/2025": date(2025, 1, 31),
    "31-01-2025": date(2025, 1, 31),
    "31 January 2025": date(2025, 1, 31),
    "31st Jan 2025": date(2025, 1, 31),
    "31 Jan. 2025": date(2025, 1, 31),
    "31 January, 2025": date(2025, 1, 31),
    "31/01/2025 00:00": date(2025, 1, 31),
    "2025-01-31 00:00:00": date(2025, 1, 31),
    "5/3/2025": date(2025, 3, 5),  # day first: 5 March, never 3 May
}


@pytest.fixture
def app_overrides(tmp_path):
    path = tmp_path / "plan.toml"
    path.write_text(PLAN)
    return {"TRAINING_PLAN": str(path)}


def records(text: str, encoding: str = "utf-8"):
    result = import_records(text.encode(encoding), current_plan(), date(2026, 11, 25), actor=None, filename="r.csv", dry_run=False)
    db.session.commit()
    return result


def people(text: str, encoding: str = "utf-8"):
    result = roster.import_roster(text.encode(encoding), actor=None)
    db.session.commit()
    return result


@pytest.mark.parametrize("written", DATES)
def test_both_imports_take_the_same_dates(app, written):
    started = people(f"Email,Name,Categories,Start date\nann@example.org,Ann,staff,\"{written}\"\n")
    assert not started.errors, started.errors
    ann = db.session.scalar(select(User).where(User.email == "ann@example.org"))
    assert ann.start_date == DATES[written]

    done = records(f"email,requirement,completed_on\nann@example.org,course:prevent-awareness,\"{written}\"\n")
    assert not done.errors, done.errors
    assert db.session.scalar(select(Completion.completed_on).where(Completion.user_id == ann.id)) == DATES[written]


@pytest.mark.parametrize("written", ["01/31/2025", "31/02/2025", "2025/01/31", "yesterday"])
def test_both_imports_refuse_the_same_dates_and_name_the_row(app, written):
    make_user(email="ann@example.org")
    started = people(f"Email,Name,Categories,Start date\n\nbob@example.org,Bob,staff,{written}\n")
    assert [str(e).split(": ")[0] for e in started.errors] == ["Row 3, start date"]
    done = records(f"email,requirement,completed_on\n\nann@example.org,course:prevent-awareness,{written}\n")
    assert len(done.errors) == 1 and done.errors[0].startswith("Row 3: completed_on: ")
    assert db.session.scalar(select(Completion.id)) is None


def test_both_imports_take_headers_spelt_as_spreadsheets_spell_them(app):
    started = people("\ufeffE-mail Address;Full name;Staff category;Date started\nann@example.org;Ann;staff;01/02/2025\n")
    assert not started.errors, started.errors
    done = records("\ufeffE-mail Address;Training;Date completed\nann@example.org;course:prevent-awareness;01/02/2025\n")
    assert not done.errors, done.errors
    assert db.session.scalar(select(Completion.completed_on)) == date(2025, 2, 1)


def test_both_imports_read_windows_1252(app):
    started = people("Email,Name,Categories,Start date\nzoe@example.org,Zoë Brontë,staff,01/02/2025\n", "cp1252")
    assert not started.errors
    assert db.session.scalar(select(User.name).where(User.email == "zoe@example.org")) == "Zoë Brontë"
    done = records("email,requirement,completed_on,note\nzoe@example.org,course:prevent-awareness,01/02/2025,Café session\n", "cp1252")
    assert not done.errors
    assert db.session.scalar(select(Completion.note)) == "Café session"


@pytest.mark.parametrize("spelt", ["Email", "EMAIL", "E-mail Address", "email_addr", " Email address "])
def test_both_imports_take_the_same_spellings_of_the_email_header(app, spelt):
    started = people(f"{spelt},Name,Categories,Start date\nann@example.org,Ann,staff,01/02/2025\n")
    assert not started.errors, started.errors
    done = records(f"{spelt},requirement,completed_on\nann@example.org,course:prevent-awareness,01/02/2025\n")
    assert not done.errors, done.errors


def test_both_imports_refuse_two_columns_for_one_field_in_the_header_row(app):
    make_user(email="ann@example.org")
    started = people("Email,Name,Categories,Start date,Date started\nbob@example.org,Bob,staff,01/02/2025,02/02/2025\n")
    assert [str(e) for e in started.errors] == [
        "Row 1, start date: columns “Start date” and “Date started” both give the start date"
    ]
    done = records("email,requirement,completed_on,Date\nann@example.org,course:prevent-awareness,01/02/2025,02/02/2025\n")
    assert done.errors == ["Row 1, completed_on: columns “completed_on” and “Date” both give the completed_on"]
    assert db.session.scalar(select(Completion.id)) is None
    assert db.session.scalar(select(User.id).where(User.email == "bob@example.org")) is None


def test_both_imports_count_rows_to_their_limit_the_same_way(app, monkeypatch):
    """Blank lines are not rows; the error names the first row past the limit."""
    monkeypatch.setattr(roster, "MAX_ROWS", 2)
    monkeypatch.setattr(importing, "MAX_ROWS", 2)
    for n in range(3):
        make_user(email=f"p{n}@example.org")
    two = "".join(f"p{n}@example.org,P{n},staff,01/02/2025\n\n" for n in range(2))
    assert not people("Email,Name,Categories,Start date\n" + two).errors
    three = two + "p2@example.org,P2,staff,01/02/2025\n"
    assert [str(e) for e in people("Email,Name,Categories,Start date\n" + three).errors] == [
        "Row 6: the file has more than 2 people in it, the most one import takes; split it into smaller files and import each"
    ]

    lines = "".join(f"p{n}@example.org,course:prevent-awareness,01/02/2025\n\n" for n in range(3))
    done = records("email,requirement,completed_on\n" + lines)
    assert done.errors == [
        "Row 6: the file has more than 2 records in it, the most one import takes; split it into smaller files and import each"
    ]
    assert db.session.scalar(select(Completion.id)) is None
    assert not records("email,requirement,completed_on\n" + lines[: lines.index("p2@")]).errors
