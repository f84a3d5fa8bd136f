"""Line managers: set on the person's page, and My team, opened by the MANAGER relation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.models import AuditEvent, OutboxMessage, Permission, User
from lms.permissions import declared_relation

from .clock import pinned_clock  # noqa: F401  (a fixture)
from .factories import make_user
from .route_matrix import RELATIONS


def _manage(manager: User, *reports: User) -> None:
    for person in reports:
        person.manager_id = manager.id
    db.session.commit()


# --- the authorisation -------------------------------------------------------------------


def test_the_matrix_lists_every_relation_a_view_declares(app):
    declared = {
        endpoint: relation.value
        for endpoint, view in app.view_functions.items()
        if (relation := declared_relation(view)) is not None
    }
    assert declared == RELATIONS


@pytest.mark.parametrize("role", ["learner", "director", "lead", "admin"])
def test_without_reports_my_team_answers_404_whatever_the_permission(client, auth, role):
    auth.login_as(role)
    stranger = make_user()
    assert client.get("/team").status_code == 404
    assert client.post(f"/team/{stranger.id}/remind").status_code == 404
    assert "My team" not in client.get("/").get_data(as_text=True)


def test_a_manager_sees_their_reports_and_no_one_else(client, auth, today):
    manager = auth.login_as("learner", name="Mo Manager")
    ada = make_user(name="Ada Report", start_date=today - timedelta(days=60))
    bea = make_user(name="Bea Report", start_date=today)
    other = make_user(name="Cy Elsewhere", start_date=today - timedelta(days=60))
    _manage(manager, ada, bea)
    left = make_user(name="Dee Left", active=False)
    _manage(manager, left)

    home = client.get("/").get_data(as_text=True)
    assert 'href="/team"' in home and "My team" in home
    page = client.get("/team")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Ada Report" in html and "Bea Report" in html
    assert "Cy Elsewhere" not in html and "Dee Left" not in html  # not theirs; and a leaver
    assert "Overdue" in html and "Due by" in html
    assert ada.email not in html  # status and deadlines only, nothing else about them

    # Someone else's id, a leaver's or one that does not exist: 404, and nothing is sent.
    for person_id in (other.id, left.id, manager.id, 999999):
        assert client.post(f"/team/{person_id}/remind").status_code == 404
    assert db.session.scalar(select(OutboxMessage.id)) is None

    sent = client.post(f"/team/{ada.id}/remind", follow_redirects=True)
    assert "Reminder sent to Ada Report" in sent.get_data(as_text=True)
    assert db.session.scalars(select(OutboxMessage.recipient)).all() == [ada.email]
    # One reminder by hand a day: a second click sends nothing and says why.
    again = client.post(f"/team/{ada.id}/remind", follow_redirects=True)
    assert "Ada Report was already reminded today. No reminder was sent." in again.get_data(as_text=True)
    assert db.session.scalars(select(OutboxMessage.recipient)).all() == [ada.email]


def test_my_team_is_paginated(app, client, auth):
    app.config["PAGE_SIZE"] = 2
    manager = auth.login_as("learner")
    people = [make_user(name=f"Report {n}") for n in range(3)]
    _manage(manager, *people)
    first = client.get("/team").get_data(as_text=True)
    second = client.get("/team?page=2").get_data(as_text=True)
    assert "Report 0" in first and "Report 1" in first and "Report 2" not in first
    assert "Report 2" in second and "Report 0" not in second
    assert client.get("/team?page=x").status_code == 404


def test_the_my_team_link_appears_when_someone_first_reports_to_them(client, auth):
    manager = auth.login_as("learner")
    first = client.get("/")
    assert "My team" not in first.get_data(as_text=True)
    _manage(manager, make_user())
    again = client.get("/", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200 and "My team" in again.get_data(as_text=True)


# --- the person page -------------------------------------------------------------------------


def _edit(client, person, **changes):
    data = {
        "name": person.name,
        "email": person.email,
        "categories": person.categories,
        "start_date-day": person.start_date.day,
        "start_date-month": person.start_date.month,
        "start_date-year": person.start_date.year,
        "permission": person.perm.name.lower(),
        "manager_email": "",
    }
    data.update(changes)
    return client.post(f"/admin/people/{person.id}/edit", data=data)


def test_a_lead_sets_a_manager_on_the_person_page_and_it_is_audited(client, auth):
    lead = auth.login_as("lead")
    person = make_user(name="Pat")
    manager = make_user(name="Mo", email="mo@example.org")
    response = _edit(client, person, manager_email="MO@example.org")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, person.id).manager_id == manager.id
    page = client.get(f"/admin/people/{person.id}").get_data(as_text=True)
    assert "Line manager" in page and "Mo" in page
    assert "Manages" in client.get(f"/admin/people/{manager.id}").get_data(as_text=True)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "person.updated")).all()[-1]
    assert event.actor_id == lead.id and event.details["changes"]["manager"] == {"before": None, "after": "mo@example.org"}

    # A manager who leaves keeps the link, and the page says where escalation goes.
    manager.active = False
    db.session.commit()
    assert "has left" in client.get(f"/admin/people/{person.id}").get_data(as_text=True)

    # Cleared.
    assert _edit(client, person, manager_email="").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, person.id).manager_id is None


@pytest.mark.parametrize(
    "who, message",
    [
        ("nobody@example.org", "There is nobody with this email address in the LMS"),
        ("self", "A person cannot be their own line manager"),
        ("loop", "This would make a loop"),
        ("not an email", "There is nobody with this email address"),
    ],
)
def test_an_unknown_manager_oneself_or_a_loop_is_refused_and_nothing_saved(client, auth, who, message):
    auth.login_as("lead")
    person = make_user(email="pat@example.org")
    boss = make_user(email="boss@example.org")
    _manage(person, boss)  # pat manages boss
    email = {"self": "pat@example.org", "loop": "boss@example.org"}.get(who, who)
    response = _edit(client, person, manager_email=email, name="Changed Name")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in html and 'href="#manager_email"' in html  # in the error summary, linked
    db.session.expire_all()
    saved = db.session.get(User, person.id)
    assert saved.manager_id is None and saved.name != "Changed Name"


def test_a_person_invited_with_a_manager_has_them(client, auth, today):
    auth.login_as("lead")
    manager = make_user(email="mo@example.org")
    response = client.post(
        "/admin/people/invite",
        data={
            "name": "New Person",
            "email": "new@example.org",
            "categories": ["staff"],
            "start_date-day": today.day,
            "start_date-month": today.month,
            "start_date-year": today.year,
            "permission": "learner",
            "manager_email": "mo@example.org",
        },
    )
    assert response.status_code == 302
    assert db.session.scalar(select(User.manager_id).where(User.email == "new@example.org")) == manager.id


def test_a_manager_cannot_open_their_reports_people_pages(client, auth):
    manager = auth.login_as("learner")
    report = make_user()
    _manage(manager, report)
    assert client.get(f"/admin/people/{report.id}").status_code == 403
    assert client.get(f"/dashboard/people/{report.id}").status_code == 403
    assert client.get("/team").status_code == 200
    assert manager.perm == Permission.LEARNER
