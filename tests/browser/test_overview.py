"""The overview in a real browser: a Lead signs in (with their second factor) and lands on it,
reads each figure at 1280 and 375 px without sideways scrolling, axe-core clean at both, and
follows a figure to its list; a Director lands there too and reaches their own training."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from lms.dates import local_today
from lms.extensions import db
from lms.models import Evidence, Permission

from ..clock import pinned_clock  # noqa: F401  (a fixture)
from ..factories import make_user, sync_content
from .journey_helpers import no_sideways_scroll
from .test_accessibility import PASSWORD, serious_violations, sign_in

pytestmark = [pytest.mark.dates, pytest.mark.usefixtures("pinned_clock")]


@pytest.fixture
def organisation(live_server):
    sync_content()
    today = local_today()
    late = make_user(name="Lena Late", email="lena@example.org", categories=("staff",), start_date=today - timedelta(days=200))
    make_user(name="Nia New", email="nia@example.org", categories=("staff",), start_date=today)
    data = b"%PDF-1.4 a certificate"
    db.session.add(Evidence(user_id=late.id, certificate_ref="home-office-prevent-awareness", filename="cert.pdf",
                            mime="application/pdf", size=len(data), sha256=hashlib.sha256(data).hexdigest(), data=data,
                            certificate_date=today - timedelta(days=3), status="pending"))
    make_user(name="Lou Lead", email="lou@example.org", permission=Permission.LEAD, categories=("staff",),
              start_date=today - timedelta(days=500), password=PASSWORD)
    make_user(name="Dee Director", email="dee@example.org", permission=Permission.DIRECTOR, categories=("director",),
              start_date=today - timedelta(days=10), password=PASSWORD)
    db.session.commit()



@pytest.mark.parametrize("width", [1280, 375])
def test_a_lead_lands_on_the_overview_and_follows_a_figure(live_server, organisation, page, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server.url, "lou@example.org")
    expect(page.get_by_role("heading", level=1)).to_have_text("Overview")
    evidence = page.locator("li.figure", has=page.get_by_role("heading", name="Evidence to check"))
    expect(evidence).to_contain_text("1 upload from 1 person")
    overdue = page.locator("li.figure", has=page.get_by_role("heading", name="Overdue"))
    expect(overdue).to_contain_text("for 2 people")  # Lena, and the Lead themself
    starters = page.locator("li.figure", has=page.get_by_role("heading", name="New starters this month"))
    expect(starters.locator(".figure-number")).not_to_have_text("0")
    assert serious_violations(page) == []
    assert no_sideways_scroll(page)

    overdue.get_by_role("link", name="See what is overdue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Overdue training")
    expect(page.get_by_role("table")).to_contain_text("Lena Late")
    page.go_back()
    evidence.get_by_role("link", name="See the evidence to check").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Evidence to check")
    expect(page.get_by_role("link", name="Review Lena Late’s certificate")).to_be_visible()


def test_a_director_lands_on_the_overview_and_reaches_their_own_training(live_server, organisation, page):
    sign_in(page, live_server.url, "dee@example.org")
    expect(page.get_by_role("heading", level=1)).to_have_text("Overview")
    expect(page.get_by_role("link", name="See the evidence to check")).to_have_count(0)  # the Lead's to open
    expect(page.get_by_text("Your own training:")).to_be_visible()
    assert serious_violations(page) == []
    page.get_by_role("link", name="Go to My training").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My training")
