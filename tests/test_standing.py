"""Standing in the database: the SQL status equals the rule, and every kind of change moves
a person's stored standing in the same transaction."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, insert, select

from lms.dates import local_today
from lms.extensions import db
from lms.models import Completion, OrgSetting, Standing
from lms.people import operations as people
from lms.plan import standing
from lms.plan.loader import current_plan
from lms.plan.status import evaluate_latest

from .evidence_helpers import PLAN, pdf_bytes, upload
from .factories import make_user


@pytest.fixture
def app_overrides(tmp_path):
    path = tmp_path / "plan.toml"
    path.write_text(PLAN)
    return {"TRAINING_PLAN": str(path)}


def stored(user) -> dict[tuple[str, str], tuple]:
    rows = db.session.execute(select(Standing).where(Standing.user_id == user.id)).scalars()
    return {(r.kind, r.ref): (r.applies_from, r.deadline, r.completed_on, r.valid_until, r.pending) for r in rows}


def worked_out_afresh() -> set[tuple]:
    """Everyone's standing worked out from their records now, as rows."""
    from lms.plan.compliance import load_facts

    facts = load_facts(local_today(), include_inactive=True)
    return {tuple(r.values()) for r in standing._rows(current_plan(), facts)}


def kept() -> set[tuple]:
    c = Standing.__table__.c
    q = select(c.user_id, c.kind, c.ref, c.applies_from, c.deadline, c.completed_on, c.valid_until, c.pending)
    return {tuple(r) for r in db.session.execute(q)}


# --- the SQL status is the rule --------------------------------------------------------------

case = st.fixed_dictionaries(
    {
        "applies_from": st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
        "due": st.integers(0, 400),
        "renew": st.one_of(st.none(), st.integers(1, 36)),
        "done_days_before": st.one_of(st.none(), st.integers(0, 1500)),
        "pending": st.booleans(),
        "later": st.integers(0, 1200),  # the day asked about, this many days after the write
    }
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cases=st.lists(case, min_size=1, max_size=40), written=st.dates(date(2022, 1, 1), date(2030, 1, 1)),
       warning=st.integers(0, 90))
def test_the_status_worked_out_in_sql_is_the_rule(app, cases, written, warning):
    """Rows written on one day, asked about on any later day, on SQLite and PostgreSQL."""
    db.session.execute(Standing.__table__.delete())
    person = db.session.scalar(select(Standing.user_id).limit(1)) or make_user().id
    expected = {}
    rows = []
    for n, c in enumerate(cases):
        latest = written - timedelta(days=c["done_days_before"]) if c["done_days_before"] is not None else None
        at_write = evaluate_latest(c["applies_from"], c["due"], c["renew"], latest, c["pending"], written, warning)
        rows.append({"user_id": person, "kind": "course", "ref": f"r{n}", "applies_from": c["applies_from"],
                     "deadline": at_write.deadline, "completed_on": at_write.completed_on,
                     "valid_until": at_write.valid_until, "pending": c["pending"]})
        day = written + timedelta(days=c["later"])
        expected[f"r{n}"] = (day, evaluate_latest(c["applies_from"], c["due"], c["renew"], latest, c["pending"], day, warning).status)
    db.session.execute(insert(Standing), rows)
    table = Standing.__table__
    for ref, (day, status) in expected.items():
        got = db.session.scalar(select(standing.status_on(table, day, warning)).where(table.c.ref == ref))
        assert got == status.value, (ref, rows, day)
    db.session.rollback()


# --- every change moves standing, in the same transaction ------------------------------------


def test_a_new_person_has_standing_from_their_start(app):
    ada = make_user(categories=("staff",), start_date=date(2026, 3, 2))
    assert stored(ada) == {("certificate", "ho-awareness"): (date(2026, 3, 2), date(2026, 3, 30), None, None, False)}


def test_categories_and_start_date_move_standing(app):
    ada = make_user(categories=("staff",), start_date=date(2026, 3, 2))
    people.update_person(None, ada, name=ada.name, email=ada.email, categories=["staff", "director"],
                         start_date=date(2026, 3, 9), today=date(2026, 4, 1))
    db.session.commit()
    rows = stored(ada)
    assert rows[("certificate", "ho-awareness")][:2] == (date(2026, 3, 9), date(2026, 4, 6))
    assert rows[("attestation", "director-self-certification")][:2] == (date(2026, 4, 1), date(2026, 5, 31))
    people.update_person(None, ada, name=ada.name, email=ada.email, categories=["director"], start_date=date(2026, 3, 9))
    db.session.commit()
    assert set(stored(ada)) == {("certificate", "ho-awareness"), ("attestation", "director-self-certification")}
    assert kept() == worked_out_afresh()


def test_evidence_submitted_verified_and_rejected_move_standing(client, auth):
    lee = auth.login_as("learner", categories=("staff",))
    assert upload(client, pdf_bytes(), "lee.pdf", on=date(2026, 2, 3)).status_code == 302
    assert stored(lee)[("certificate", "ho-awareness")][4] is True  # pending
    auth.login_as("lead")
    from lms.models import Evidence

    evidence = db.session.scalar(select(Evidence))
    assert client.post(f"/evidence/{evidence.id}/verify").status_code == 302
    _, _, done, valid_until, pending = stored(lee)[("certificate", "ho-awareness")]
    assert (done, valid_until, pending) == (date(2026, 2, 3), date(2029, 2, 3), False)
    auth.login(lee)
    upload(client, pdf_bytes("another"), "again.pdf", on=date(2026, 5, 1))
    assert stored(lee)[("certificate", "ho-awareness")][4] is True
    auth.login_as("lead")
    second = db.session.scalars(select(Evidence).order_by(Evidence.id.desc())).first()
    client.post(f"/evidence/{second.id}/reject", data={"reason": "The name is not readable"})
    assert stored(lee)[("certificate", "ho-awareness")][2:] == (date(2026, 2, 3), date(2029, 2, 3), False)
    assert kept() == worked_out_afresh()


def test_a_records_import_moves_standing(app, runner, tmp_path):
    ada = make_user(email="ada@example.org", categories=("staff",), start_date=date(2026, 1, 5))
    records = tmp_path / "records.csv"
    records.write_text("email,requirement,completed_on\nada@example.org,ho-awareness,2026-01-20\n")
    result = runner.invoke(args=["lms", "import-records", str(records)])
    assert result.exit_code == 0, result.output
    assert stored(ada)[("certificate", "ho-awareness")][2] == date(2026, 1, 20)


def test_a_roster_import_gives_everyone_it_creates_or_changes_standing(app, runner, tmp_path):
    ben = make_user(email="ben@example.org", categories=("staff",), start_date=date(2026, 1, 5))
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "Email,Name,Categories,Start date\n"
        "new@example.org,New Starter,director,2026-02-02\n"
        "ben@example.org,Ben Jonson,staff;director,2026-01-05\n"
    )
    result = runner.invoke(args=["lms", "import-roster", str(roster)])
    assert result.exit_code == 0, result.output
    assert ("attestation", "director-self-certification") in stored(ben)
    assert kept() == worked_out_afresh()


def test_leaving_and_returning_keep_standing_and_reports_follow(client, auth):
    ada = make_user(name="Ada Leaver", categories=("staff",), start_date=local_today() - timedelta(days=90))
    auth.login_as("lead", categories=("visitor",))
    assert "Ada Leaver" in client.get("/dashboard").get_data(as_text=True)
    people.deactivate(None, ada)
    db.session.commit()
    assert stored(ada)  # a leaver's record stays
    assert "Ada Leaver" not in client.get("/dashboard").get_data(as_text=True)
    assert "Ada Leaver" in client.get("/dashboard?include_inactive=y").get_data(as_text=True)
    people.reactivate(None, ada)
    db.session.commit()
    assert "Ada Leaver" in client.get("/dashboard/overdue").get_data(as_text=True)


def test_a_change_rolled_back_leaves_standing_as_it_was(app):
    ada = make_user(categories=("staff",), start_date=date(2026, 3, 2))
    before = stored(ada)
    db.session.add(Completion(user_id=ada.id, kind="certificate", ref="ho-awareness", completed_on=date(2026, 3, 5), source="lms"))
    standing.refresh([ada.id])
    db.session.rollback()
    assert stored(ada) == before


# --- a changed plan is applied to everyone -----------------------------------------------------


def test_sync_content_applies_a_changed_plan_and_records_its_hash(app, runner, app_overrides):
    ada = make_user(categories=("staff",), start_date=date(2026, 3, 2))
    plan_file = app.config["TRAINING_PLAN"]
    changed = PLAN.replace("due_days = 28", "due_days = 10", 1)
    with open(plan_file, "w") as fh:
        fh.write(changed)
    assert not standing.plan_is_applied()
    result = runner.invoke(args=["lms", "sync-content"])
    assert result.exit_code == 0, result.output
    assert "Training plan applied" in result.output
    assert stored(ada)[("certificate", "ho-awareness")][1] == date(2026, 3, 12)
    assert standing.plan_is_applied()
    assert db.session.get(OrgSetting, standing.APPLIED_PLAN_KEY).value == standing.current_plan_hash()
    again = runner.invoke(args=["lms", "sync-content"])
    assert "Training plan applied" not in again.output  # nothing to do the second time


def test_a_plan_file_not_yet_applied_is_named_on_the_plan_page_and_in_the_log(client, auth, app, caplog):
    standing.apply_plan()
    db.session.commit()
    auth.login_as("admin")
    assert "not been applied" not in client.get("/admin/training-plan").get_data(as_text=True)
    with open(app.config["TRAINING_PLAN"], "a") as fh:
        fh.write("\n# a comment changes the file\n")
    page = client.get("/admin/training-plan").get_data(as_text=True)
    assert "not been applied" in page and "lms sync-content" in page
    with caplog.at_level(logging.WARNING):
        standing.warn_if_not_applied(app)
    assert "run `lms sync-content`" in caplog.text


# --- reports are queries ----------------------------------------------------------------------


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


def test_report_query_counts_do_not_grow_with_the_number_of_people(client, auth):
    auth.login_as("lead", categories=("visitor",))
    start = local_today() - timedelta(days=40)
    for _ in range(3):
        make_user(categories=("staff", "director"), start_date=start)
    client.get("/dashboard")  # the day's first view also takes the day's snapshot, once
    few = {url: count_queries(client, url) for url in ("/dashboard", "/dashboard/overdue", "/dashboard/compliance.csv")}
    for _ in range(40):
        make_user(categories=("staff",), start_date=start)
    many = {url: count_queries(client, url) for url in few}
    assert many == few
