import re
from datetime import timedelta

from sqlalchemy import func, select

from lms.auth import operations
from lms.dates import local_today
from lms.extensions import db
from lms.models import AuditEvent, OutboxMessage, Permission, Token, User, utcnow

from . import second_factor_helpers
from .factories import date_parts, make_user

GOOD = "a long enough passphrase"


def setup_path(app):
    link = operations.setup_link()
    db.session.commit()  # as `lms setup-link` does
    return link.removeprefix("http://localhost")


def setup_data(**changes):
    data = {
        "name": "Alex Admin",
        "email": "alex@example.org",
        "categories": ["staff", "director"],
        "password": GOOD,
        "confirm": GOOD,
    }
    data.update(changes)
    return data


def test_setup_link_creates_the_first_administrator_once(app, client):
    path = setup_path(app)
    assert client.get(path).status_code == 200
    response = client.post(path, data=setup_data())
    assert response.status_code == 302
    admin = db.session.scalar(select(User))
    assert admin.perm is Permission.ADMIN
    assert sorted(admin.categories) == ["director", "staff"]
    # Signed in, and an administrator: the second factor is set up first.
    assert client.get("/").headers["Location"].startswith("/login/second-factor/set-up")
    second_factor_helpers.complete(client, admin.id)
    assert client.get("/").status_code == 200
    # Every setup URL is now 404, the used one and fresh ones alike.
    other = app.test_client()
    assert other.get(path).status_code == 404
    raw = operations.issue_token(operations.TokenPurpose.SETUP, timedelta(hours=1))
    db.session.commit()
    assert other.get(f"/setup/{raw}").status_code == 404
    assert other.post(f"/setup/{raw}", data=setup_data(email="b@example.org")).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_setup_link_is_valid_for_24_hours(app, client):
    path = setup_path(app)
    token = db.session.scalar(select(Token))
    assert token.expires_at - token.created_at == timedelta(hours=24)
    token.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert client.get(path).status_code == 404


def test_unknown_setup_token_is_404(client):
    assert client.get("/setup/not-a-real-token").status_code == 404


def test_setup_bad_input_saves_nothing(app, client):
    path = setup_path(app)
    cases = [
        (setup_data(email="not an email"), b"Enter an email address in the correct format"),
        (setup_data(password="short", confirm="short"), b"Password must be at least 12 characters"),
        (setup_data(confirm="something else entirely"), b"The passwords do not match"),
        (setup_data(categories=[]), b"Select at least one category"),
        (setup_data(name=""), b"Enter a name"),
    ]
    for data, message in cases:
        response = client.post(path, data=data)
        assert response.status_code == 200
        assert message in response.data
        assert b"There is a problem" in response.data
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
    assert client.get(path).status_code == 200  # the link still works


def invite_data(**changes):
    data = {
        "name": "Nia Newstarter",
        "email": "nia@example.org",
        "categories": ["staff"],
        **date_parts("start_date", local_today()),
        "permission": "learner",
    }
    data.update(changes)
    return data


def invitation_path():
    body = db.session.scalars(select(OutboxMessage.body).order_by(OutboxMessage.id.desc())).first()
    return re.search(r"http://localhost(/invitation/\S+)", body).group(1)


def test_lead_invites_a_learner_who_sets_a_password(app, client, auth):
    lead = auth.login_as("lead")
    response = client.post("/admin/people/invite", data=invite_data())
    assert response.status_code == 302
    person = operations.find_user("nia@example.org")
    assert person.perm is Permission.LEARNER and not person.has_password
    message = db.session.scalars(select(OutboxMessage)).one()
    assert message.recipient == "nia@example.org"
    audit = db.session.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == lead.id)).all()
    assert "person.created" in audit and "person.invited" in audit

    newcomer = app.test_client()
    path = invitation_path()
    token = db.session.scalar(select(Token).where(Token.user_id == person.id))
    assert token.expires_at - token.created_at == timedelta(days=14)
    assert b"Welcome, Nia Newstarter" in newcomer.get(path).data
    response = newcomer.post(path, data={"password": GOOD, "confirm": GOOD})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert b"Nia Newstarter" in newcomer.get("/").data
    # The link works once.
    assert app.test_client().get(path).status_code == 404


def test_invitation_link_expires(app, client, auth):
    auth.login_as("lead")
    client.post("/admin/people/invite", data=invite_data())
    path = invitation_path()
    token = db.session.scalar(select(Token))
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert app.test_client().get(path).status_code == 404


def test_only_an_admin_grants_lead_or_admin(client, auth):
    auth.login_as("lead")
    for permission in ("lead", "admin"):
        response = client.post("/admin/people/invite", data=invite_data(permission=permission))
        assert response.status_code == 200
        assert operations.find_user("nia@example.org") is None
    client.post("/logout")
    auth.login_as("admin")
    response = client.post("/admin/people/invite", data=invite_data(permission="lead"))
    assert response.status_code == 302
    assert operations.find_user("nia@example.org").perm is Permission.LEAD


def test_invitation_bad_input_saves_nothing(client, auth):
    auth.login_as("admin")
    make_user(email="taken@example.org")
    cases = [
        (invite_data(email="TAKEN@example.org"), b"A person with this email address already exists"),
        (invite_data(email="nope"), b"Enter an email address in the correct format"),
        (invite_data(categories=[]), b"Select at least one category"),
        (invite_data(categories=["wizard"]), b"Select only options from the list"),
        (invite_data(**{"start_date-day": "31", "start_date-month": "2"}), b"Start date must be a real date"),
        (invite_data(**{"start_date-month": ""}), b"Start date must include a month"),
        (invite_data(**{"start_date-day": "", "start_date-month": "", "start_date-year": ""}), b"Enter a start date"),
        (invite_data(permission="emperor"), b"Select a permission from the list"),
    ]
    before = db.session.scalar(select(func.count()).select_from(User))
    for data, message in cases:
        response = client.post("/admin/people/invite", data=data)
        assert response.status_code == 200, data
        assert message in response.data, data
    assert db.session.scalar(select(func.count()).select_from(User)) == before
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_learner_and_director_cannot_invite(client, auth):
    auth.login_as("director")
    assert client.get("/admin/people/invite").status_code == 403
    assert client.post("/admin/people/invite", data=invite_data()).status_code == 403
    assert operations.find_user("nia@example.org") is None
