"""People pages: list, person, add, edit, invitations, leavers, bulk actions and the rules."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.models import AuditEvent, OutboxMessage, Permission, Token, User
from lms.people import operations

from .clock import pinned_clock  # noqa: F401  (a fixture)
from .factories import date_parts, make_user


def fresh(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def outbox_count() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage))


def edit_data(person: User, **changes):
    data = {
        "name": person.name,
        "email": person.email,
        "categories": person.categories,
        **date_parts("start_date", person.start_date),
        "permission": person.perm.name.lower(),
    }
    data.update(changes)
    return data


# --- the list ----------------------------------------------------------------------------------


def test_list_searches_filters_and_pages(app, client, auth):
    auth.login_as("lead", name="Lena Lead")
    make_user(name="Zoë Adams", email="zoe@example.org", categories=("director",))
    make_user(name="Siân Jones", email="sian@example.org", categories=("trainee",))
    make_user(name="Gone Person", email="gone@example.org", active=False)
    html = client.get("/admin/people?q=ZOË").get_data(as_text=True)
    assert "Zoë Adams" in html and "Siân Jones" not in html
    html = client.get("/admin/people?q=sian@").get_data(as_text=True)
    assert "Siân Jones" in html and "Zoë Adams" not in html
    html = client.get("/admin/people?category=trainee").get_data(as_text=True)
    assert "Siân Jones" in html and "Zoë Adams" not in html
    html = client.get("/admin/people?permission=lead").get_data(as_text=True)
    assert "Lena Lead" in html and "Zoë Adams" not in html
    html = client.get("/admin/people").get_data(as_text=True)
    assert "Gone Person" not in html  # active people by default
    html = client.get("/admin/people?status=left").get_data(as_text=True)
    assert "Gone Person" in html and "Zoë Adams" not in html
    html = client.get("/admin/people?status=invited").get_data(as_text=True)
    assert "Zoë Adams" in html
    # nonsense filters are ignored, not a 500
    assert client.get("/admin/people?permission=emperor&category=x&status=y").status_code == 200

    app.config["PAGE_SIZE"] = 2
    html = client.get("/admin/people?status=all").get_data(as_text=True)
    assert "4 people match" in html and "page 1 of 2" in html
    assert "status=all" in html.split('rel="next"')[1].split(">")[0] or "status=all" in html


def test_only_leads_and_admins_see_people(client, auth):
    for role in ("learner", "director"):
        auth.login_as(role)
        assert client.get("/admin/people").status_code == 403
        assert client.get("/admin/audit").status_code == 403
    person = make_user()
    assert client.get(f"/admin/people/{person.id}").status_code == 403


# --- a person ----------------------------------------------------------------------------------


def test_person_page_shows_details_and_invitation_state(client, auth):
    auth.login_as("lead")
    person = make_user(name="Zoë Adams", categories=("staff", "trainer"), start_date=date(2025, 3, 3))
    html = client.get(f"/admin/people/{person.id}").get_data(as_text=True)
    assert "Zoë Adams" in html and "Trainer" in html and "3 March 2025" in html
    assert "Not invited yet" in html and "Send an invitation" in html
    assert f"/dashboard/people/{person.id}" in html  # the transcript
    assert "Download personal data" not in html  # admins only
    assert client.get("/admin/people/999999").status_code == 404


def test_add_a_person_sends_an_invitation_and_audits(client, auth):
    lead = auth.login_as("lead")
    response = client.post(
        "/admin/people/invite",
        data={"name": "  Nia  New ", "email": "NIA@example.org", "categories": ["trainee"], **date_parts("start_date", date(2026, 1, 5)), "permission": "learner"},
    )
    assert response.status_code == 302
    nia = db.session.scalar(select(User).where(User.email == "nia@example.org"))
    assert nia.name == "Nia New"
    assert outbox_count() == 1
    created = events("person.created")[0]
    assert created.actor_id == lead.id and created.details["changes"]["categories"]["after"] == ["trainee"]


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"name": ""}, "Enter a name"),
        ({"email": "nope"}, "Enter an email address in the correct format"),
        ({"categories": []}, "Select at least one category"),
        ({"categories": ["wizard"]}, "Select only options from the list"),
        ({"start_date-day": "31", "start_date-month": "2"}, "Start date must be a real date, like 27 3 2026"),
        ({"start_date-year": ""}, "Start date must include a year"),
        ({"start_date-day": "", "start_date-month": "", "start_date-year": ""}, "Enter a start date"),
        ({"permission": "lead"}, "Only an administrator can grant lead or administrator permission"),
    ],
)
def test_edit_rejects_bad_input_and_saves_nothing(client, auth, changes, message):
    auth.login_as("lead")
    person = make_user(name="Zoë Adams")
    response = client.post(f"/admin/people/{person.id}/edit", data=edit_data(person, **changes))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in html and message in html
    assert fresh(person).name == "Zoë Adams" and fresh(person).permission == Permission.LEARNER
    assert events("person.updated") == []


def test_a_start_date_is_three_boxes_and_a_missing_part_is_linked_and_kept(client, auth):
    """GOV.UK's date input: day, month and year boxes; the error summary links to the box
    that is missing, and what was typed is shown again."""
    auth.login_as("lead")
    person = make_user(name="Zoë Adams", start_date=date(2025, 9, 1))
    form = client.get(f"/admin/people/{person.id}/edit").get_data(as_text=True)
    for part, value in (("day", "1"), ("month", "9"), ("year", "2025")):
        assert f'id="start_date-{part}" name="start_date-{part}" type="text" inputmode="numeric" value="{value}"' in form
    data = edit_data(person, **{"start_date-day": "14", "start_date-month": "10", "start_date-year": ""})
    html = client.post(f"/admin/people/{person.id}/edit", data=data).get_data(as_text=True)
    assert '<a href="#start_date-year">Start date must include a year</a>' in html
    assert 'name="start_date-day" type="text" inputmode="numeric" value="14"' in html
    assert fresh(person).start_date == date(2025, 9, 1)
    data["start_date-year"] = "2025"
    assert client.post(f"/admin/people/{person.id}/edit", data=data).status_code == 302
    assert fresh(person).start_date == date(2025, 10, 14)


def test_edit_email_must_be_unique(client, auth):
    auth.login_as("lead")
    make_user(email="taken@example.org")
    person = make_user()
    response = client.post(f"/admin/people/{person.id}/edit", data=edit_data(person, email="Taken@example.org"))
    assert "A person with this email address already exists" in response.get_data(as_text=True)


@pytest.mark.dates
@pytest.mark.usefixtures("pinned_clock")
def test_edit_saves_and_audits_before_and_after(client, auth, today):
    lead = auth.login_as("lead")
    person = make_user(name="Zoe Adams", categories=("staff",), start_date=date(2024, 1, 1))
    assert client.get(f"/admin/people/{person.id}/edit").status_code == 200
    response = client.post(
        f"/admin/people/{person.id}/edit",
        data=edit_data(person, name="Zoë Adams", categories=["staff", "director"], permission="director"),
    )
    assert response.status_code == 302
    person = fresh(person)
    assert person.name == "Zoë Adams" and person.perm == Permission.DIRECTOR
    added = {r.category: r.added_on for r in person.category_rows}
    assert added == {"staff": date(2024, 1, 1), "director": today}
    (event,) = events("person.updated")
    assert event.actor_id == lead.id and event.address == "127.0.0.1"
    assert event.details["changes"] == {
        "name": {"before": "Zoe Adams", "after": "Zoë Adams"},
        "categories": {"before": ["staff"], "after": ["director", "staff"]},
        "permission": {"before": "learner", "after": "director"},
    }
    # Saving again without changes records nothing.
    client.post(f"/admin/people/{person.id}/edit", data=edit_data(person))
    assert len(events("person.updated")) == 1


def test_only_an_admin_changes_leads_and_admins(client, auth):
    auth.login_as("lead")
    other_lead = make_user(permission=Permission.LEAD)
    admin = make_user(permission=Permission.ADMIN)
    for person in (other_lead, admin):
        assert client.get(f"/admin/people/{person.id}/edit").status_code == 403
        assert client.post(f"/admin/people/{person.id}/edit", data=edit_data(person, name="X")).status_code == 403
        assert client.post(f"/admin/people/{person.id}/deactivate", data={}).status_code == 403
        assert fresh(person).active and fresh(person).name != "X"
    learner = make_user()
    response = client.post(f"/admin/people/{learner.id}/edit", data=edit_data(learner, permission="admin"))
    assert "Only an administrator can grant" in response.get_data(as_text=True)
    assert fresh(learner).permission == Permission.LEARNER


def test_an_admin_grants_and_removes_lead(client, auth):
    auth.login_as("admin")
    person = make_user()
    client.post(f"/admin/people/{person.id}/edit", data=edit_data(person, permission="lead"))
    assert fresh(person).perm == Permission.LEAD
    client.post(f"/admin/people/{person.id}/edit", data=edit_data(fresh(person), permission="learner"))
    assert fresh(person).perm == Permission.LEARNER
    assert [e.details["changes"]["permission"]["after"] for e in events("person.updated")] == ["lead", "learner"]


def test_nobody_removes_the_last_admin(client, auth):
    admin = auth.login_as("admin")
    response = client.post(f"/admin/people/{admin.id}/edit", data=edit_data(admin, permission="lead"))
    assert "at least one active administrator" in response.get_data(as_text=True)
    assert fresh(admin).perm == Permission.ADMIN
    response = client.post(f"/admin/people/{admin.id}/deactivate", data={"submit": "Deactivate"})
    assert fresh(admin).active
    with pytest.raises(operations.NotAllowed):
        operations.deactivate(None, fresh(admin))
    db.session.rollback()
    # With a second admin, one may step down.
    make_user(permission=Permission.ADMIN)
    client.post(f"/admin/people/{admin.id}/edit", data=edit_data(fresh(admin), permission="lead"))
    assert fresh(admin).perm == Permission.LEAD


def test_last_admin_counts_only_active_admins(app):
    admin = make_user(permission=Permission.ADMIN)
    make_user(permission=Permission.ADMIN, active=False)
    with pytest.raises(operations.NotAllowed):
        operations.update_person(
            None, admin, name=admin.name, email=admin.email, categories=admin.categories,
            start_date=admin.start_date, permission=Permission.LEARNER,
        )
    db.session.rollback()


def test_invite_again_voids_the_earlier_link(client, auth):
    auth.login_as("lead")
    client.post(
        "/admin/people/invite",
        data={"name": "Nia", "email": "nia@example.org", "categories": ["staff"], **date_parts("start_date", date(2026, 1, 5)), "permission": "learner"},
    )
    nia = db.session.scalar(select(User).where(User.email == "nia@example.org"))
    assert "Invited" in client.get(f"/admin/people/{nia.id}").get_data(as_text=True)
    response = client.post(f"/admin/people/{nia.id}/invite", data={})
    assert response.status_code == 302
    tokens = db.session.scalars(select(Token).where(Token.user_id == nia.id).order_by(Token.id)).all()
    assert len(tokens) == 2 and tokens[0].used_at is not None and tokens[1].used_at is None
    assert outbox_count() == 2
    assert len(events("person.invited")) == 2


def test_no_invitation_for_someone_with_a_password_or_who_left(client, auth):
    auth.login_as("lead")
    has_password = make_user(password="a long enough password")
    left = make_user(active=False)
    for person in (has_password, left):
        client.post(f"/admin/people/{person.id}/invite", data={})
    assert outbox_count() == 0
    html = client.get(f"/admin/people/{has_password.id}", follow_redirects=True).get_data(as_text=True)
    assert "Send an invitation" not in html


def test_deactivate_and_reactivate(client, auth):
    lead = auth.login_as("lead")
    person = make_user(name="Leaver", password="a long enough password")
    old_session = person.session_token
    page = client.get(f"/admin/people/{person.id}/deactivate").get_data(as_text=True)
    assert "Deactivate Leaver?" in page and "records of their training is kept" not in page
    response = client.post(f"/admin/people/{person.id}/deactivate", data={"submit": "Deactivate"})
    assert response.status_code == 302
    person = fresh(person)
    assert not person.active and person.deactivated_at is not None
    assert person.session_token != old_session  # signed out everywhere
    (event,) = events("person.deactivated")
    assert event.actor_id == lead.id and event.details["changes"]["active"] == {"before": True, "after": False}
    # A leaver cannot sign in.
    response = client.post("/logout")
    response = client.post("/login", data={"email": person.email, "password": "a long enough password"})
    assert "/login" in response.headers.get("Location", "/login") or response.status_code == 200

    auth.login(lead)
    client.post(f"/admin/people/{person.id}/reactivate", data={})
    assert fresh(person).active and fresh(person).deactivated_at is None
    assert len(events("person.reactivated")) == 1


# --- bulk actions --------------------------------------------------------------------------------


def test_bulk_deactivate_asks_for_confirmation_with_a_count(client, auth):
    lead = auth.login_as("lead")
    a, b = make_user(name="Ann"), make_user(name="Bob")
    admin = make_user(name="Ada Admin", permission=Permission.ADMIN)
    ids = [a.id, b.id, admin.id, lead.id]
    response = client.post("/admin/people/bulk", data={"action": "deactivate", "user_id": ids})
    html = response.get_data(as_text=True)
    assert "Deactivate 2 people?" in html
    assert "Ada Admin: only an administrator" in html and "you cannot deactivate yourself" in html
    assert fresh(a).active and fresh(b).active  # nothing yet
    response = client.post("/admin/people/bulk", data={"action": "deactivate", "confirm": "yes", "user_id": ids})
    assert response.status_code == 302
    assert not fresh(a).active and not fresh(b).active
    assert fresh(admin).active and fresh(lead).active
    assert len(events("person.deactivated")) == 2


def test_bulk_invite(client, auth):
    auth.login_as("lead")
    new1, new2 = make_user(), make_user()
    signed_up = make_user(password="a long enough password")
    ids = [new1.id, new2.id, signed_up.id]
    html = client.post("/admin/people/bulk", data={"action": "invite", "user_id": ids}).get_data(as_text=True)
    assert "Send invitations to 2 people?" in html and "has an account already" in html
    client.post("/admin/people/bulk", data={"action": "invite", "confirm": "yes", "user_id": ids})
    assert sorted(db.session.scalars(select(OutboxMessage.recipient))) == sorted([new1.email, new2.email])


def test_bulk_remind_uses_the_training_plan(client, auth):
    auth.login_as("lead")
    person = make_user(start_date=date(2020, 1, 1), categories=("staff",))
    html = client.post("/admin/people/bulk", data={"action": "remind", "user_id": [person.id]}).get_data(as_text=True)
    assert "Send reminders to 1 person?" in html
    client.post("/admin/people/bulk", data={"action": "remind", "confirm": "yes", "user_id": [person.id]})
    assert db.session.scalars(select(OutboxMessage.recipient)).all() == [person.email]


def test_bulk_without_action_or_people_changes_nothing(client, auth):
    auth.login_as("lead")
    person = make_user()
    response = client.post("/admin/people/bulk", data={"user_id": [person.id]}, follow_redirects=True)
    assert "Choose what to do with the people selected" in response.get_data(as_text=True)
    response = client.post("/admin/people/bulk", data={"action": "deactivate", "confirm": "yes"}, follow_redirects=True)
    assert "Select at least one person" in response.get_data(as_text=True)
    response = client.post("/admin/people/bulk", data={"action": "explode", "user_id": [person.id]}, follow_redirects=True)
    assert response.status_code == 200
    assert fresh(person).active and outbox_count() == 0


def test_bulk_never_deactivates_the_last_admin(app):
    admin = make_user(permission=Permission.ADMIN)
    other = make_user(permission=Permission.ADMIN)
    selection = operations.select_for_bulk(other, "deactivate", [admin, other])
    # the actor is skipped as themself; the other admin may go
    assert [p.id for p in selection.people] == [admin.id]
    make_user(permission=Permission.ADMIN, active=False)
    operations.run_bulk_deactivate(other, selection.people)
    selection = operations.select_for_bulk(make_user(permission=Permission.ADMIN), "deactivate", [other])
    assert selection.people == [other]


# --- an invitation link a lead can pass on when the email cannot reach someone -------------------


def _link_in(page: str) -> str:
    import re

    return re.search(r'id="invitation-link" type="text" readonly value="([^"]+)"', page).group(1)


def test_a_lead_gets_a_new_invitation_link_once_and_the_old_one_stops_working(client, auth):
    lead = auth.login_as("lead")
    nia = make_user(name="Nia", email="nia@example.org")
    first = operations.send_invitation(lead, nia)
    db.session.commit()
    page = client.get(f"/admin/people/{nia.id}").get_data(as_text=True)
    assert "Send a new invitation link" in page

    response = client.post(f"/admin/people/{nia.id}/invitation-link", data={})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    link = _link_in(body)
    assert link.startswith("http://localhost/invitation/") and link != first
    assert "No mail server is set up" in body and "Earlier invitation links for Nia no longer work" in body
    assert response.headers["Cache-Control"].startswith("no-store") or "no-store" in response.headers["Cache-Control"]
    # The link is shown on that response only, never on the person's page.
    assert link not in client.get(f"/admin/people/{nia.id}").get_data(as_text=True)
    [shown] = events("person.invitation_link_shown")
    assert shown.actor_id == lead.id
    auth.client.post("/logout")
    assert client.get(first.removeprefix("http://localhost")).status_code == 404
    assert client.get(link.removeprefix("http://localhost")).status_code == 200


def test_no_invitation_link_for_anyone_at_the_viewers_own_permission(client, auth):
    admin = auth.login_as("admin")
    other_admin = make_user(name="Ola", permission=Permission.ADMIN)
    director = make_user(name="Dee", permission=Permission.DIRECTOR)
    assert "Send a new invitation link" not in client.get(f"/admin/people/{other_admin.id}").get_data(as_text=True)
    response = client.post(f"/admin/people/{other_admin.id}/invitation-link", data={})
    assert response.status_code == 302
    assert "only the email can carry their link" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert events("person.invitation_link_shown") == []
    assert db.session.scalar(select(func.count()).select_from(Token).where(Token.user_id == other_admin.id)) == 0
    # Below the viewer's permission, the link is offered.
    assert "Send a new invitation link" in client.get(f"/admin/people/{director.id}").get_data(as_text=True)
    assert admin.permission > director.permission


def test_a_lead_cannot_get_a_link_for_another_lead_and_a_director_cannot_at_all(client, auth):
    auth.login_as("lead")
    other_lead = make_user(name="Lou", permission=Permission.LEAD)
    assert client.post(f"/admin/people/{other_lead.id}/invitation-link", data={}).status_code == 403
    auth.login_as("director")
    learner = make_user(name="Lee")
    assert client.post(f"/admin/people/{learner.id}/invitation-link", data={}).status_code == 403
    assert events("person.invitation_link_shown") == []


def test_no_invitation_link_for_someone_who_has_a_password(client, auth):
    auth.login_as("lead")
    ann = make_user(name="Ann", password="a long enough password")
    assert "Send a new invitation link" not in client.get(f"/admin/people/{ann.id}").get_data(as_text=True)
    response = client.post(f"/admin/people/{ann.id}/invitation-link", data={})
    assert response.status_code == 302
    assert events("person.invitation_link_shown") == []
