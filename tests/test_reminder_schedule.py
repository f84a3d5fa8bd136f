"""Reminders on a schedule over simulated weeks: points before a deadline, weekly once
overdue, the line manager after a week, the Lead's digest, a missed day caught up once."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.dates import local_today
from lms.extensions import db
from lms.models import AuditEvent, OrgSetting, OutboxMessage, Permission
from lms.models.records import ReminderLog

from .clock import pinned_clock  # noqa: F401  (a fixture)
from .factories import make_user
from .test_mail_delivery import Recorder, start_server

PLAN = """
warning_days = 30

[[requirements]]
ref = "prevent-refresher"
kind = "course"
title = "Prevent refresher"
categories = ["contractor"]
due_days = 14
renew_months = 12

[[requirements]]
ref = "volunteer-briefing"
kind = "course"
title = "Volunteer briefing"
categories = ["volunteer"]
due_days = 20
remind_days = [3]
"""


@pytest.fixture
def clock(pinned_clock):  # noqa: F811  (the fixture imported above)
    """The pinned clock (tests/clock.py), moved on a day at a time by these tests."""
    return pinned_clock


@pytest.fixture
def app_overrides(tmp_path):
    path = tmp_path / "plan.toml"
    path.write_text(PLAN)
    return {"TRAINING_PLAN": str(path)}


def _run(runner) -> str:
    result = runner.invoke(args=["lms", "send-reminders"])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.dates
def test_six_weeks_of_reminders_escalating_with_a_day_missed(app, runner, clock):
    start = local_today()
    lead = make_user(email="lee@example.org", name="Lee Lead", permission=Permission.LEAD, categories=("visitor",))
    manager = make_user(email="mo@example.org", name="Mo Manager", categories=("visitor",))
    cal = make_user(email="cal@example.org", name="Cal Contractor", categories=("contractor",), start_date=start)
    cal.manager_id = manager.id
    db.session.commit()
    deadline = start + timedelta(days=14)

    mail: dict[str, list[int]] = defaultdict(list)
    bodies: dict[str, list[str]] = defaultdict(list)
    seen = 0
    for day in range(36):
        if day == 7:  # the job did not run on day 7
            clock.shift(timedelta(days=1))
            continue
        if day == 30:  # the manager leaves
            manager.active = False
            db.session.commit()
        _run(runner)
        if day == 8:
            assert "reminded 0 people" in _run(runner)  # a second run that day sends nothing
        new = db.session.execute(
            select(OutboxMessage.recipient, OutboxMessage.body).order_by(OutboxMessage.id).offset(seen)
        ).all()
        seen += len(new)
        for recipient, body in new:
            mail[recipient].append(day)
            bodies[recipient].append(body)
        clock.shift(timedelta(days=1))

    # Cal: 30 days before (day 0: 14 left), the 7-day point caught up on day 8, once, the day
    # before, then weekly from the first day overdue.
    assert mail["cal@example.org"] == [0, 8, 13, 15, 22, 29]
    assert "due " in bodies["cal@example.org"][0] and "in 14 days" in bodies["cal@example.org"][0]
    assert f"was due {deadline.day} " in bodies["cal@example.org"][3]  # the email says the date
    # Mo: after 7 days overdue, weekly, until Mo leaves on day 30.
    assert mail["mo@example.org"] == [21, 28]
    assert "Cal Contractor: Prevent refresher, overdue by 7 days" in bodies["mo@example.org"][0]
    # Lee: a daily digest while anything is overdue (day 15 on), one a day.
    assert mail["lee@example.org"] == list(range(15, 36))
    # From day 35 the manager's week is the Lead's to hear of: Mo has left.
    assert "No line manager could be told" in bodies["lee@example.org"][-1]
    assert "Cal Contractor <cal@example.org>" in bodies["lee@example.org"][-1]
    assert "No line manager could be told" not in bodies["lee@example.org"][-8]

    # Every reminder is logged once, and shown on Cal's page.
    points = db.session.scalars(select(ReminderLog.point).where(ReminderLog.user_id == cal.id)).all()
    assert len(points) == len(set(points)) == 8
    assert lead.id and manager.id


@pytest.mark.dates
def test_the_person_page_lists_the_reminders_sent(app, runner, client, auth, clock):
    start = local_today()
    manager = make_user(email="mo@example.org", name="Mo Manager", categories=("visitor",))
    cal = make_user(email="cal@example.org", categories=("contractor",), start_date=start - timedelta(days=30))
    cal.manager_id = manager.id
    db.session.commit()
    _run(runner)
    auth.login_as("lead")
    page = client.get(f"/admin/people/{cal.id}").get_data(as_text=True)
    assert "Reminders" in page and "Prevent refresher" in page
    assert "Overdue (was due" in page and "week 3" in page  # 16 days overdue: the third week
    assert "Line manager, Mo Manager" in page


@pytest.mark.dates
def test_a_weekly_lead_digest_goes_once_an_iso_week(app, runner, client, auth, clock):
    start = local_today()
    make_user(email="late@example.org", categories=("contractor",), start_date=start - timedelta(days=60))
    admin = auth.login_as("admin", email="admin@example.org")
    response = client.post(
        "/admin/settings/reminders",
        data={"deadline_days": "30, 7, 1", "expiry_days": "60, 30, 7", "manager_after_days": "7", "lead_digest": "weekly"},
    )
    assert response.status_code == 302
    digests = []
    for day in range(14):
        _run(runner)
        digests.append(db.session.scalar(
            select(db.func.count()).select_from(OutboxMessage).where(OutboxMessage.recipient == admin.email)
        ))
        clock.shift(timedelta(days=1))
    weeks = {(start + timedelta(days=d)).isocalendar()[:2] for d in range(14)}
    assert digests[-1] == len(weeks)
    firsts = [d for d in range(14) if d == 0 or (start + timedelta(days=d)).weekday() == 0]
    assert [d for d in range(14) if digests[d] > (digests[d - 1] if d else 0)] == firsts


@pytest.mark.dates
def test_a_plan_entry_gives_its_own_days(app, runner, clock):
    start = local_today()
    make_user(email="val@example.org", categories=("volunteer",), start_date=start)  # due in 20 days
    sent = []
    for day in range(21):
        if "val@example.org" in _run(runner):
            sent.append(day)
        clock.shift(timedelta(days=1))
    assert sent == [17]  # only 3 days before, not the settings' 30, 7 and 1


@pytest.mark.dates
def test_settings_change_the_schedule(app, runner, client, auth, clock):
    start = local_today()
    auth.login_as("admin")
    client.post(
        "/admin/settings/reminders",
        data={"deadline_days": "10", "expiry_days": "60", "manager_after_days": "3", "lead_digest": "daily"},
    )
    make_user(email="cal@example.org", categories=("contractor",), start_date=start)  # due in 14 days
    sent = []
    for day in range(14):
        if "cal@example.org" in _run(runner):
            sent.append(day)
        clock.shift(timedelta(days=1))
    assert sent == [4]


def test_the_settings_page_checks_what_it_is_given_and_audits_changes(client, auth):
    auth.login_as("admin")
    page = client.get("/admin/settings/reminders").get_data(as_text=True)
    assert 'value="30, 7, 1"' in page and 'value="60, 30, 7"' in page
    bad = client.post(
        "/admin/settings/reminders",
        data={"deadline_days": "thirty", "expiry_days": "0, 400", "manager_after_days": "", "lead_digest": "hourly"},
    )
    assert bad.status_code == 200
    html = bad.get_data(as_text=True)
    assert "Enter whole numbers of days separated by commas" in html
    assert "Each number of days must be between 1 and 365" in html
    assert "Enter a number of days, like 7" in html
    assert "Select how often the digest is sent" in html
    assert 'href="#deadline_days"' in html
    assert db.session.scalar(select(OrgSetting).where(OrgSetting.key.like("reminders.%"))) is None

    good = client.post(
        "/admin/settings/reminders",
        data={"deadline_days": "14 7", "expiry_days": "30", "manager_after_days": "10", "lead_digest": "weekly"},
        follow_redirects=True,
    )
    assert "Reminder settings saved." in good.get_data(as_text=True)
    assert 'value="14, 7"' in good.get_data(as_text=True)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "settings.reminders_changed"))
    assert event.details["changes"]["deadline_days"] == {"before": "30, 7, 1", "after": "14, 7"}


def test_only_an_administrator_changes_reminder_settings(client, auth):
    auth.login_as("lead")
    assert client.get("/admin/settings/reminders").status_code == 403
    assert client.post("/admin/settings/reminders", data={"deadline_days": "1"}).status_code == 403


def test_one_run_delivered_through_a_real_smtp_server(app, runner):
    start = local_today()
    recorder = Recorder()
    controller = start_server(recorder)
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_STARTTLS=False)
    try:
        make_user(email="lee@example.org", name="Lee Lead", permission=Permission.LEAD, categories=("visitor",))
        manager = make_user(email="mo@example.org", name="Mo Manager", categories=("visitor",))
        cal = make_user(email="cal@example.org", name="Cal", categories=("contractor",), start_date=start - timedelta(days=30))
        cal.manager_id = manager.id
        db.session.commit()
        _run(runner)
        delivered = runner.invoke(args=["lms", "deliver-mail", "--once"])
        assert delivered.exit_code == 0, delivered.output
        assert sorted(recorder.recipients) == ["cal@example.org", "lee@example.org", "mo@example.org"]
        by = {recipient: message for _, recipient, message in recorder.received}
        assert by["mo@example.org"]["Subject"] == "Training overdue in your team: 1 person"
        assert "Cal: Prevent refresher, overdue by 16 days" in by["mo@example.org"].get_content()
        assert by["cal@example.org"]["Subject"] == "Training reminder: 1 item needs your attention"
        # The next run sends nothing new: every point is logged.
        assert "reminded 0 people" in _run(runner)
        runner.invoke(args=["lms", "deliver-mail", "--once"])
        assert len(recorder.received) == 3
    finally:
        controller.stop()


def test_a_plan_entry_s_reminder_days_are_checked(tmp_path):
    from lms.plan.plan import PlanError, parse_plan

    plan = parse_plan(PLAN, tmp_path / "plan.toml")
    assert plan.reminder_days("course", "volunteer-briefing") == ((3,), None)
    assert plan.reminder_days("course", "prevent-refresher") == (None, None)
    with pytest.raises(PlanError) as refused:
        parse_plan(PLAN.replace("remind_days = [3]", "remind_days = [0, 400]"), tmp_path / "plan.toml")
    assert "remind_days" in str(refused.value) and "greater than or equal to 1" in str(refused.value)
