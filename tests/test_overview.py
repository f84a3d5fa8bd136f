"""The overview a Lead, an administrator or a Director lands on: what needs attention, each
figure one click from its list."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest

from lms.dates import month_start
from lms.extensions import db
from lms.models import Completion, Evidence, Permission, User
from lms.plan import standing
from lms.plan.status import add_months

from .factories import make_user, sync_content

PASSWORD = "a long enough passphrase"


def figure(html: str, title: str) -> str:
    """The number under a figure's heading."""
    found = re.search(rf'<h2 class="figure-title">{re.escape(title)}</h2>\s*<p class="figure-number">(\d+)</p>', html)
    assert found, f"no figure {title!r}"
    return found.group(1)


def pending_evidence(person: User) -> None:
    data = f"%PDF-1.4 {person.email}".encode()
    db.session.add(Evidence(user_id=person.id, certificate_ref="home-office-prevent-awareness", filename="cert.pdf",
                            mime="application/pdf", size=len(data), sha256=hashlib.sha256(data).hexdigest(), data=data,
                            certificate_date=person.start_date, status="pending"))


@pytest.fixture
def organisation(app, today):
    """Two people overdue, one with evidence waiting, one renewing soon, one new this month."""
    sync_content()
    late = make_user(name="Lena Late", categories=("staff",), start_date=today - timedelta(days=200))
    later = make_user(name="Leo Later", categories=("staff",), start_date=today - timedelta(days=300))
    renewing = make_user(name="Rita Renews", categories=("contractor",), start_date=today - timedelta(days=400))
    db.session.add(Completion(user_id=renewing.id, kind="course", ref="prevent-refresher", source="lms",
                              completed_on=add_months(today, -12) + timedelta(days=10)))
    new = make_user(name="Nia New", categories=("staff",), start_date=month_start(today))
    make_user(name="Gone Person", categories=("staff",), start_date=today - timedelta(days=300), active=False)
    pending_evidence(late)
    db.session.commit()
    standing.refresh([renewing.id])  # a completion added by hand passes by the operation
    db.session.commit()
    return {"late": late, "later": later, "renewing": renewing, "new": new}


def test_a_lead_sees_each_figure_and_each_opens_its_list(client, auth, organisation, today):
    auth.login_as("lead", start_date=today - timedelta(days=400), categories=("staff",))
    html = client.get("/overview").get_data(as_text=True)
    assert figure(html, "Evidence to check") == "1"
    assert "1 upload from 1 person, waiting since" in html
    assert int(figure(html, "Overdue")) >= 2  # Lena's and Leo's induction, not the one who left
    assert figure(html, "Expiring in 30 days") == "1"
    assert "for 1 person" in html
    # Everyone made here never signed in, except the Lead (signing in is what counts).
    assert figure(html, "Never signed in") == "4"
    assert figure(html, "New starters this month") == "1"

    links = dict((text, href) for href, text in re.findall(r'<a class="figure-link" href="([^"]+)">([^<]+)<', html))
    evidence = client.get(links["See the evidence to check"]).get_data(as_text=True)
    assert "Lena Late" in evidence
    overdue = client.get(links["See what is overdue"]).get_data(as_text=True)
    assert "Lena Late" in overdue and "Leo Later" in overdue and "Gone Person" not in overdue
    renew = client.get(links["See who needs to renew"].replace("&amp;", "&")).get_data(as_text=True)
    assert "Rita Renews" in renew and "Lena Late" not in renew
    never = client.get(links["See who has never signed in"].replace("&amp;", "&")).get_data(as_text=True)
    assert "Nia New" in never and "Rita Renews" in never and "Gone Person" not in never
    starting = client.get(links["See this month's new starters"].replace("&amp;", "&")).get_data(as_text=True)
    assert "Nia New" in starting and "Lena Late" not in starting


def test_a_quiet_week_says_so(client, auth, app, today):
    sync_content()
    auth.login_as("admin", categories=())
    html = client.get("/overview").get_data(as_text=True)
    assert figure(html, "Evidence to check") == "0" and "Nothing is waiting for a decision" in html
    assert "Nothing is overdue" in html and "Everyone has signed in at least once" in html
    assert "Your own training" not in html  # an administrator in no category has none


def test_a_director_sees_the_figures_but_only_links_to_what_they_may_open(client, auth, organisation):
    auth.login_as("director", categories=("director",))
    html = client.get("/overview").get_data(as_text=True)
    # Their own training is one click away: a Director trains too.
    assert re.search(r"Your own training: \d+ requirements to do\. <a href=\"/\">Go to My training</a>", html)
    assert figure(html, "Evidence to check") == "1"
    assert "See what is overdue" in html and "See who needs to renew" in html
    assert "See the evidence to check" not in html and "See who has never signed in" not in html
    assert "the Safeguarding Lead checks evidence" in html


def test_learners_and_strangers_do_not_see_it(client, auth, organisation):
    assert client.get("/overview").status_code == 302  # to sign in
    auth.login_as("learner")
    assert client.get("/overview").status_code == 403


def test_signing_in_lands_on_the_overview_for_those_who_oversee_and_my_training_for_others(client, app):
    sync_content()
    make_user(email="lead@example.org", permission=Permission.LEAD, password=PASSWORD)
    make_user(email="learner@example.org", password=PASSWORD)
    signed = client.post("/login", data={"email": "lead@example.org", "password": PASSWORD})
    assert signed.status_code == 302 and signed.headers["Location"].endswith("/overview")
    client.post("/logout")
    signed = client.post("/login", data={"email": "learner@example.org", "password": PASSWORD})
    assert signed.status_code == 302 and signed.headers["Location"] == "/"
    # A page asked for before signing in still wins.
    client.post("/logout")
    signed = client.post("/login?next=/dashboard/overdue", data={"email": "lead@example.org", "password": PASSWORD})
    assert signed.headers["Location"] == "/dashboard/overdue"


def test_signing_in_by_any_route_counts_as_signed_in(client, app, today):
    sync_content()
    person = make_user(email="sam@example.org", password=PASSWORD)
    assert person.last_login_at is None
    client.post("/login", data={"email": "sam@example.org", "password": PASSWORD})
    db.session.expire_all()
    assert db.session.get(User, person.id).last_login_at is not None
