"""The kept ledger behind the dashboard, the overdue list and the CSV: each report sees every
change made since the last one, whoever made it, and nothing that was rolled back."""

from __future__ import annotations

import os
import time
from datetime import date

import pytest
from sqlalchemy import event, insert, text

from lms.extensions import db
from lms.models import Completion, UserCategory
from lms.plan import ledger_cache
from lms.plan.compliance import load_facts
from lms.plan.status import Status

from .conftest import make_test_app, reset_schema
from .test_compliance import PLAN, TODAY, complete, org


@pytest.fixture
def app_overrides(tmp_path):
    path = tmp_path / "plan.toml"
    path.write_text(PLAN)
    return {"TRAINING_PLAN": str(path)}


def overdue_names(client) -> str:
    return client.get("/dashboard?as_of=2026-11-25&status=overdue").get_data(as_text=True)


def count_queries(client, url: str) -> int:
    counter = {"n": 0}

    def before(*args, **kwargs):
        counter["n"] += 1

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    return counter["n"]


def test_a_view_reads_again_only_for_people_whose_records_changed(client, auth):
    ada, *_ = org()
    auth.login_as("lead", categories=("visitor",))
    client.get("/dashboard?as_of=2026-11-25")  # the first view reads everyone
    unchanged = count_queries(client, "/dashboard?as_of=2026-11-25")
    complete(ada, "course", "prevent-awareness", date(2026, 11, 1))
    changed = count_queries(client, "/dashboard?as_of=2026-11-25")
    assert changed == unchanged + 3  # Ada's categories, completions and pending evidence


def test_the_dashboard_shows_each_change_made_since_the_last_view(client, auth):
    ada, ben, *_ = org()
    auth.login_as("lead", categories=("visitor",))
    assert "Ada Overdue" in overdue_names(client)
    # Through the ORM: Ada completes her course and quiz and gets a certificate verified.
    for kind, ref in (("course", "prevent-awareness"), ("quiz", "prevent-awareness"),
                      ("certificate", "home-office-prevent-awareness")):
        complete(ada, kind, ref, date(2026, 11, 1))
    assert "Ada Overdue" not in overdue_names(client)
    # By hand in SQL: Ben becomes staff too, so the staff items now apply to him (overdue).
    db.session.execute(insert(UserCategory).values(user_id=ben.id, category="staff", added_on=date(2026, 9, 1)))
    db.session.commit()
    assert "Ben Done" in overdue_names(client)
    # A hand-run fix that deletes rows.
    db.session.execute(text("DELETE FROM user_category WHERE user_id = :id AND category = 'staff'"), {"id": ben.id})
    db.session.commit()
    assert "Ben Done" not in overdue_names(client)


def test_the_csv_and_the_overdue_list_see_changes_too(client, auth):
    ada, *_ = org()
    auth.login_as("lead", categories=("visitor",))
    assert "Ada Overdue" in client.get("/dashboard/overdue?as_of=2026-11-25").get_data(as_text=True)
    csv_before = client.get("/dashboard/compliance.csv?as_of=2026-11-25").get_data(as_text=True)
    assert "ada@example.org,Ada Overdue,staff,prevent-awareness,course,overdue,,," in csv_before
    complete(ada, "course", "prevent-awareness", date(2026, 11, 2))
    csv_after = client.get("/dashboard/compliance.csv?as_of=2026-11-25").get_data(as_text=True)
    assert "ada@example.org,Ada Overdue,staff,prevent-awareness,course,complete,2026-11-02,2029-11-02," in csv_after
    complete(ada, "quiz", "prevent-awareness", date(2026, 11, 2))
    complete(ada, "certificate", "home-office-prevent-awareness", date(2026, 11, 2))
    assert "Ada Overdue" not in client.get("/dashboard/overdue?as_of=2026-11-25").get_data(as_text=True)


def test_another_day_is_worked_out_again(client, auth):
    ada, *_ = org()
    complete(ada, "course", "prevent-awareness", date(2026, 12, 1))  # recorded ahead of the day
    auth.login_as("lead", categories=("visitor",))
    assert "prevent-awareness,course,overdue" in client.get("/dashboard/compliance.csv?as_of=2026-11-25").get_data(as_text=True)
    assert "prevent-awareness,course,complete,2026-12-01" in client.get(
        "/dashboard/compliance.csv?as_of=2026-12-02").get_data(as_text=True)


def status_of(user_id: int, kind: str, ref: str, plan) -> Status:
    from lms.plan.compliance import statuses_for

    facts = load_facts(TODAY)
    person = next(p for p in facts.people if p.id == user_id)
    return dict(statuses_for(plan, facts, person))[(kind, ref)]


def test_nothing_read_inside_a_transaction_that_rolled_back_is_kept(app):
    from lms.plan.loader import current_plan

    ada, *_ = org()
    ada_id = ada.id
    with app.app_context():  # a fresh context: a request's
        assert status_of(ada_id, "course", "prevent-awareness", current_plan()) is Status.OVERDUE
    with app.app_context():
        db.session.add(Completion(user_id=ada_id, kind="course", ref="prevent-awareness",
                                  completed_on=date(2026, 11, 1), source="lms"))
        db.session.flush()
        assert status_of(ada_id, "course", "prevent-awareness", current_plan()) is Status.COMPLETE
        db.session.rollback()
    with app.app_context():
        assert status_of(ada_id, "course", "prevent-awareness", current_plan()) is Status.OVERDUE
        # The same version number, now reached by a different change, is not mistaken for it.
        complete(db.session.get(type(ada), ada_id), "quiz", "prevent-awareness", date(2026, 11, 1))
    with app.app_context():
        plan = current_plan()
        assert status_of(ada_id, "course", "prevent-awareness", plan) is Status.OVERDUE
        assert status_of(ada_id, "quiz", "prevent-awareness", plan) is Status.COMPLETE


def test_a_change_through_one_app_process_shows_in_the_others_report(tmp_path, database_url, app_overrides):
    """Two app processes (two servers) with their own kept ledgers over one database."""
    apps = [make_test_app(database_url, tmp_path, **app_overrides) for _ in range(2)]
    reset_schema(apps[0])
    with apps[0].app_context():
        ada, *_ = org()
        ada_id = ada.id
        db.session.remove()
    for app in apps:
        with app.app_context():
            assert "Ada Overdue" in words_of_overdue(app)
    with apps[0].app_context():
        for kind, ref in (("course", "prevent-awareness"), ("quiz", "prevent-awareness"),
                          ("certificate", "home-office-prevent-awareness")):
            db.session.add(Completion(user_id=ada_id, kind=kind, ref=ref, completed_on=date(2026, 11, 1), source="lms"))
        db.session.commit()
        db.session.remove()
    with apps[1].app_context():
        assert ledger_cache.kept(next(iter(apps[1].extensions[ledger_cache.EXTENSION]))).versions  # it kept one
        assert "Ada Overdue" not in words_of_overdue(apps[1])
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def words_of_overdue(app) -> str:
    from lms.oversight import operations
    from lms.plan.loader import current_plan

    with app.app_context():
        return " ".join(entry.person.name for entry in operations.overdue(current_plan(), TODAY))


def test_a_new_plan_file_shows_in_the_next_report(client, auth, app):
    org()
    auth.login_as("lead", categories=("visitor",))
    assert "ada@example.org,Ada Overdue,staff,prevent-awareness,quiz,overdue" in client.get(
        "/dashboard/compliance.csv?as_of=2026-11-25").get_data(as_text=True)
    assert "Ada Overdue" in overdue_names(client)
    plan_file = app.config["TRAINING_PLAN"]
    without_staff_items = PLAN.replace('categories = ["staff", "trainee"]', 'categories = ["trainee"]').replace(
        'categories = ["staff"]', 'categories = ["trainee"]')
    with open(plan_file, "w") as f:
        f.write(without_staff_items)
    os.utime(plan_file, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))  # a later stamp, whatever the clock
    csv_after = client.get("/dashboard/compliance.csv?as_of=2026-11-25").get_data(as_text=True)
    assert "ada@example.org" not in csv_after  # nothing in the new plan asks staff for anything
    assert "ben@example.org,Ben Done,contractor,prevent-refresher,course,complete" in csv_after
    assert "Ada Overdue" not in overdue_names(client)


def test_a_person_whose_last_completion_is_moved_away_by_hand_is_read_again_later(client, auth):
    """A hand-run SQL fix moves Ben's only completion to Ada; Ben trains afterwards."""
    ada, ben, *_ = org()
    auth.login_as("lead", categories=("visitor",))
    assert "Ben Done" not in overdue_names(client)
    db.session.execute(text("UPDATE completion SET user_id = :ada WHERE user_id = :ben"), {"ada": ada.id, "ben": ben.id})
    db.session.commit()
    csv = client.get("/dashboard/compliance.csv?as_of=2026-11-25").get_data(as_text=True)
    assert "ben@example.org,Ben Done,contractor,prevent-refresher,course,overdue" in csv
    complete(ben, "course", "prevent-refresher", date(2026, 11, 20))
    csv = client.get("/dashboard/compliance.csv?as_of=2026-11-25").get_data(as_text=True)
    assert "ben@example.org,Ben Done,contractor,prevent-refresher,course,complete,2026-11-20" in csv


def test_correcting_a_start_date_moves_the_induction_deadlines(client, auth):
    ada, *_ = org()  # staff since 1 September 2026: overdue on 25 November
    auth.login_as("lead", categories=("visitor",))
    assert "ada@example.org,Ada Overdue,staff,prevent-awareness,course,overdue,,,2026-09-29" in client.get(
        "/dashboard/compliance.csv?as_of=2026-11-25").get_data(as_text=True)
    data = {"name": ada.name, "email": ada.email, "categories": ["staff"], "permission": "learner",
            "start_date-day": "10", "start_date-month": "11", "start_date-year": "2026"}
    assert client.post(f"/admin/people/{ada.id}/edit", data=data).status_code == 302
    csv = client.get("/dashboard/compliance.csv?as_of=2026-11-25").get_data(as_text=True)
    assert "ada@example.org,Ada Overdue,staff,prevent-awareness,course,due,,,2026-12-08" in csv
