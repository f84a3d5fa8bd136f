"""My team in a real browser: a line manager finds it in the navigation, reads their reports'
training and reminds one, at desktop width and at 375 px, axe-core clean at both."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lms.dates import local_today
from lms.extensions import db
from lms.models import OutboxMessage

from ..clock import pinned_clock  # noqa: F401  (a fixture)
from ..factories import make_user, sync_content
from .journey_helpers import no_sideways_scroll
from .test_accessibility import PASSWORD, serious_violations, sign_in

pytestmark = [pytest.mark.dates, pytest.mark.usefixtures("pinned_clock")]


@pytest.fixture
def team(live_server):
    sync_content()
    today = local_today()
    manager = make_user(name="Mo Manager", email="mo@example.org", categories=("staff",), password=PASSWORD)
    ada = make_user(name="Ada Late", email="ada@example.org", categories=("contractor",), start_date=today - timedelta(days=40))
    bea = make_user(name="Bea New", email="bea@example.org", categories=("staff",), start_date=today)
    make_user(name="Cy Elsewhere", email="cy@example.org", categories=("staff",))
    for person in (ada, bea):
        person.manager_id = manager.id
    db.session.commit()
    return {"manager": manager, "ada": ada, "bea": bea}



@pytest.mark.parametrize("width", [1280, 375])
def test_a_manager_reads_my_team_and_reminds_a_report(live_server, team, page, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server.url, "mo@example.org")
    nav = page.get_by_role("navigation", name="Main")
    if width < 640 and nav.get_by_role("link", name="My team").is_hidden():
        nav.get_by_role("button").first.click()  # a collapsed menu, where there is one
    nav.get_by_role("link", name="My team").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My team")
    expect(page.get_by_role("heading", name="Ada Late")).to_be_visible()
    expect(page.get_by_role("heading", name="Bea New")).to_be_visible()
    expect(page.get_by_text("Cy Elsewhere")).to_have_count(0)
    ada = page.get_by_role("region", name="Ada Late")
    expect(ada.get_by_role("table")).to_contain_text("Overdue")
    expect(ada.get_by_role("table")).to_contain_text(re.compile(r"Due by \d+ \w+ \d{4}"))
    assert serious_violations(page) == []
    assert no_sideways_scroll(page)

    ada.get_by_role("button", name="Send Ada Late a reminder").click()
    expect(page.get_by_role("status").first).to_contain_text("Reminder sent to Ada Late")
    assert serious_violations(page) == []
    assert no_sideways_scroll(page)
    db.session.expire_all()
    assert db.session.scalars(select(OutboxMessage.recipient)).all() == ["ada@example.org"]


def test_the_reminder_settings_page_with_its_errors_is_axe_clean(live_server, page):
    from lms.models import Permission

    make_user(name="Ada Admin", email="admin@example.org", permission=Permission.ADMIN, password=PASSWORD)
    sign_in(page, live_server.url, "admin@example.org")
    page.goto(f"{live_server.url}/admin/settings/reminders")
    expect(page.get_by_label("Days before a deadline")).to_have_value("30, 7, 1")
    assert serious_violations(page) == []
    page.get_by_label("Days before a deadline").fill("soon")
    page.get_by_role("button", name="Save reminder settings").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter whole numbers of days separated by commas")
    assert serious_violations(page) == []
    page.get_by_label("Days before a deadline").fill("14, 3")
    page.get_by_role("button", name="Save reminder settings").click()
    expect(page.get_by_role("status").first).to_contain_text("Reminder settings saved.")
