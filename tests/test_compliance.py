"""My training, the dashboard, the overdue list, transcripts and the CSV, on a small plan."""

from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select

from lms.extensions import db
from lms.models.content import Completion
from lms.plan import add_months, standing

from .clock import pinned_clock  # noqa: F401  (a fixture)
from .factories import make_user

PLAN = """
warning_days = 30

[[requirements]]
ref = "prevent-awareness"
kind = "course"
title = "Prevent awareness"
categories = ["staff", "trainee"]
due_days = 28
renew_months = 36

[[requirements]]
ref = "prevent-awareness"
kind = "quiz"
title = "Prevent awareness quiz"
categories = ["staff", "trainee"]
due_days = 28
renew_months = 12

[[requirements]]
ref = "prevent-refresher"
kind = "course"
title = "Prevent refresher"
categories = ["contractor"]
due_days = 14
renew_months = 12

[[requirements]]
ref = "home-office-prevent-awareness"
kind = "certificate"
categories = ["staff"]
due_days = 60

[[certificate_types]]
ref = "home-office-prevent-awareness"
title = "Home Office Prevent awareness"
provider = "Home Office"
url = "https://www.support-people-susceptible-to-radicalisation.service.gov.uk/portal"
evidence = "Upload the certificate showing your name and the date."
"""

TODAY = date(2026, 11, 25)


@pytest.fixture
def app_overrides(tmp_path):
    path = tmp_path / "plan.toml"
    path.write_text(PLAN)
    return {"TRAINING_PLAN": str(path)}


def complete(user, kind, ref, on, source="lms"):
    db.session.add(Completion(user_id=user.id, kind=kind, ref=ref, completed_on=on, source=source))
    standing.refresh([user.id])
    db.session.commit()


@pytest.mark.dates
@pytest.mark.usefixtures("pinned_clock")
def test_my_training_shows_each_requirement_with_words_dates_and_actions(client, auth, today):
    me = auth.login_as("learner", categories=("staff",), start_date=today - timedelta(days=19))
    page = client.get("/").get_data(as_text=True)
    assert "Your progress: 0 of 3 complete" in page
    deadline = today + timedelta(days=9)
    assert f"Due {deadline.day} {deadline:%B %Y}, in 9 days" in page
    assert "Prevent awareness quiz" in page and "Home Office Prevent awareness" in page
    assert "To do" in page  # status in words, not colour alone
    assert "Take the course on the Home Office site" in page
    assert "https://www.support-people-susceptible-to-radicalisation.service.gov.uk/portal" in page
    assert "Prevent refresher" not in page  # not in a staff member's plan

    complete(me, "course", "prevent-awareness", today)
    page = client.get("/").get_data(as_text=True)
    assert "Your progress: 1 of 3 complete" in page
    valid = add_months(today, 36)
    assert f"Valid until {valid.day} {valid:%B %Y}" in page
    assert "You are up to date" not in page

    for kind, ref in (("quiz", "prevent-awareness"), ("certificate", "home-office-prevent-awareness")):
        complete(me, kind, ref, today)
    page = client.get("/").get_data(as_text=True)
    assert "Your progress: 3 of 3 complete" in page
    assert "You are up to date" in page


@pytest.mark.dates
@pytest.mark.usefixtures("pinned_clock")
def test_all_done_state(client, auth, today):
    me = auth.login_as("learner", categories=("contractor",), start_date=today - timedelta(days=3))
    complete(me, "course", "prevent-refresher", today)
    page = client.get("/").get_data(as_text=True)
    assert "Your progress: 1 of 1 complete" in page
    assert "You are up to date" in page


@pytest.mark.dates
@pytest.mark.usefixtures("pinned_clock")
def test_overdue_and_expired_in_words(client, auth, today):
    me = auth.login_as("learner", categories=("contractor",), start_date=today - timedelta(days=18))
    page = client.get("/").get_data(as_text=True)
    assert "Overdue by 4 days" in page
    complete(me, "course", "prevent-refresher", today - timedelta(days=400))
    page = client.get("/").get_data(as_text=True)
    assert "Expired" in page and "Take the course again" in page


def org(today=TODAY):
    """A small organisation with known statuses on TODAY."""
    ada = make_user(name="Ada Overdue", email="ada@example.org", categories=("staff",), start_date=date(2026, 9, 1))
    ben = make_user(name="Ben Done", email="ben@example.org", categories=("contractor",), start_date=date(2026, 9, 1))
    complete(ben, "course", "prevent-refresher", date(2026, 9, 10))
    cat = make_user(name="Cat New", email="cat@example.org", categories=("trainee",), start_date=date(2026, 11, 20))
    dan = make_user(name="Dan Left", email="dan@example.org", categories=("staff",), start_date=date(2025, 1, 1), active=False)
    eve = make_user(name="Eve Expired", email="eve@example.org", categories=("contractor",), start_date=date(2024, 1, 1))
    complete(eve, "course", "prevent-refresher", date(2025, 1, 5))
    return ada, ben, cat, dan, eve


def test_dashboard_summary_filters_and_leavers(client, auth):
    org()
    auth.login_as("lead", categories=("visitor",))
    page = client.get("/dashboard?as_of=2026-11-25").get_data(as_text=True)
    assert "5 people" in page  # four in the organisation and the lead; the leaver is hidden
    for name in ("Ada Overdue", "Ben Done", "Cat New", "Eve Expired"):
        assert name in page
    assert "Dan Left" not in page

    page = client.get("/dashboard?as_of=2026-11-25&status=overdue").get_data(as_text=True)
    assert "Ada Overdue" in page and "Ben Done" not in page and "Cat New" not in page

    page = client.get("/dashboard?as_of=2026-11-25&category=contractor").get_data(as_text=True)
    assert "Ben Done" in page and "Eve Expired" in page and "Ada Overdue" not in page

    page = client.get("/dashboard?as_of=2026-11-25&requirement=course:prevent-refresher&status=expired").get_data(as_text=True)
    assert "Eve Expired" in page and "Ben Done" not in page

    page = client.get("/dashboard?as_of=2026-11-25&q=CAT").get_data(as_text=True)
    assert "Cat New" in page and "Ada Overdue" not in page

    page = client.get("/dashboard?as_of=2026-11-25&include_inactive=y").get_data(as_text=True)
    assert "Dan Left" in page


def test_bad_filters_are_ignored_not_500(client, auth):
    auth.login_as("director")
    for query in ("status=nonsense", "category=wizard", "requirement=zzz", "as_of=2026-13-45", "page=999"):
        response = client.get(f"/dashboard?{query}")
        assert response.status_code in (200, 404), query


def test_overdue_list_longest_first(client, auth):
    org()
    auth.login_as("director")
    page = client.get("/dashboard/overdue?as_of=2026-11-25").get_data(as_text=True)
    assert page.index("Eve Expired") < page.index("Ada Overdue")
    assert "Ben Done" not in page and "Cat New" not in page


def test_transcript_for_oversight_only(client, auth):
    ada, ben, *_ = org()
    auth.login_as("learner")
    assert client.get(f"/dashboard/people/{ben.id}").status_code == 403
    client.post("/logout")
    auth.login_as("director")
    page = client.get(f"/dashboard/people/{ben.id}?as_of=2026-11-25").get_data(as_text=True)
    assert "Ben Done" in page and "10 September 2026" in page and "Prevent refresher" in page
    assert client.get("/dashboard/people/999999").status_code == 404


def test_director_sees_but_cannot_export(client, auth):
    org()
    auth.login_as("director")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Download CSV" not in page
    assert client.get("/dashboard/compliance.csv").status_code == 403


def test_compliance_csv(client, auth):
    org()
    auth.login_as("lead", categories=("visitor",))
    response = client.get("/dashboard/compliance.csv?as_of=2026-11-25")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "email,name,categories,requirement,kind,status,completed_on,valid_until,deadline"
    assert lines[1:] == [
        "ada@example.org,Ada Overdue,staff,home-office-prevent-awareness,certificate,overdue,,,2026-10-31",
        "ada@example.org,Ada Overdue,staff,prevent-awareness,course,overdue,,,2026-09-29",
        "ada@example.org,Ada Overdue,staff,prevent-awareness,quiz,overdue,,,2026-09-29",
        "ben@example.org,Ben Done,contractor,prevent-refresher,course,complete,2026-09-10,2027-09-10,2026-09-15",
        "cat@example.org,Cat New,trainee,prevent-awareness,course,due,,,2026-12-18",
        "cat@example.org,Cat New,trainee,prevent-awareness,quiz,due,,,2026-12-18",
        "eve@example.org,Eve Expired,contractor,prevent-refresher,course,expired,2025-01-05,2026-01-05,2024-01-15",
    ]
    with_leavers = client.get("/dashboard/compliance.csv?as_of=2026-11-25&include_inactive=y").get_data(as_text=True)
    assert "dan@example.org" in with_leavers


def test_report_csv_command(app, runner, tmp_path):
    org()
    out = tmp_path / "report.csv"
    result = runner.invoke(args=["lms", "report", "csv", "--as-of", "2026-11-25", "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert text.splitlines()[0].startswith("email,name,categories")
    assert "eve@example.org,Eve Expired,contractor,prevent-refresher,course,expired" in text
    result = runner.invoke(args=["lms", "report", "csv", "--as-of", "not-a-date"])
    assert result.exit_code != 0 and "not-a-date" in result.output


def test_dashboard_query_count_does_not_grow_with_people(app, client, auth):
    auth.login_as("lead", categories=("visitor",))

    def count_queries():
        client.get("/dashboard?as_of=2026-11-25")  # content lookups are cached per process: warm them
        counter = {"n": 0}

        def before(*args, **kwargs):
            counter["n"] += 1

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            assert client.get("/dashboard?as_of=2026-11-25").status_code == 200
            assert client.get("/dashboard/compliance.csv?as_of=2026-11-25").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", before)
        return counter["n"]

    def add_people(n, offset):
        for i in range(n):
            user = make_user(email=f"p{offset + i}@example.org", categories=("staff", "contractor") if i % 2 else ("trainee",),
                             start_date=date(2026, 1, 1) + timedelta(days=i % 300))
            if i % 3 == 0:
                complete(user, "course", "prevent-awareness", date(2026, 5, 1))

    add_people(10, 0)
    small = count_queries()
    add_people(290, 10)
    large = count_queries()
    assert small == large


def test_pdf_report(client, auth, runner, tmp_path):
    org()
    make_user(name="Siân Zoë Łukasz", email="sian@example.org", categories=("staff",), start_date=date(2026, 1, 1))
    auth.login_as("lead", categories=("visitor",))
    response = client.get("/dashboard/report.pdf?as_of=2026-11-25")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    out = tmp_path / "report.pdf"
    result = runner.invoke(args=["lms", "report", "pdf", "--as-of", "2026-11-25", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")
    from pypdf import PdfReader

    text = "\n".join(page.extract_text() for page in PdfReader(out).pages)
    assert "Prevent training compliance report" in text
    assert "Ellesmere Centre for Psychotherapy Training" in text
    assert "25 November 2026" in text
    assert "Siân Zoë Łukasz" in text and "Eve Expired" in text
    assert "Page 1 of" in text


def test_check_plan_and_sync_refuse_a_plan_naming_missing_content(app, runner, tmp_path):
    good = runner.invoke(args=["lms", "check-plan"])
    assert good.exit_code == 0, good.output
    assert "4 requirements, 1 certificate types: OK" in good.output
    bad = tmp_path / "bad-plan.toml"
    bad.write_text(PLAN.replace('ref = "prevent-refresher"', 'ref = "no-such-course"'))
    app.config["TRAINING_PLAN"] = str(bad)
    result = runner.invoke(args=["lms", "check-plan"])
    assert result.exit_code == 1
    assert "'no-such-course' (course): no course with this ref" in result.output
    result = runner.invoke(args=["lms", "sync-content"])
    assert result.exit_code == 1 and "nothing was synced" in result.output
    from lms.models.content import Course

    assert db.session.scalar(select(func.count()).select_from(Course)) == 0
