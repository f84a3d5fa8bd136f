"""The dashboard's chart of the last 12 months in a real browser: drawn on the server, named
and described for assistive technology, its figures in a table, at 1280 and 375 px, without
sideways scrolling and axe-core clean at both."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from lms.dates import local_today
from lms.extensions import db
from lms.models import Permission
from lms.models.content import Completion
from lms.oversight import history
from lms.plan import standing
from lms.plan.loader import current_plan

from ..clock import pinned_clock  # noqa: F401  (a fixture)
from ..factories import make_user, sync_content
from .journey_helpers import no_sideways_scroll
from .test_accessibility import PASSWORD, serious_violations, sign_in

pytestmark = [pytest.mark.dates, pytest.mark.usefixtures("pinned_clock")]


@pytest.fixture
def organisation(live_server):
    """Contractors who started over the past year, each doing the refresher a month after
    starting, so the share up to date moves month by month; then the rebuild."""
    sync_content()
    today = local_today()
    for n in range(8):
        start = today - timedelta(days=30 * (n + 2))
        person = make_user(name=f"Con {n}", email=f"con{n}@example.org", categories=("contractor",), start_date=start)
        if n % 3:
            db.session.add(Completion(user_id=person.id, kind="course", ref="prevent-refresher",
                                      completed_on=start + timedelta(days=20), source="import"))
            db.session.add(Completion(user_id=person.id, kind="quiz", ref="prevent-refresher",
                                      completed_on=start + timedelta(days=20), source="import"))
        standing.refresh([person.id])
    make_user(name="Dee Director", email="dee@example.org", categories=("director",), password=PASSWORD,
              permission=Permission.DIRECTOR)
    history.rebuild(current_plan(), today)
    db.session.commit()
    return today



@pytest.mark.parametrize("width", [1280, 375])
def test_the_chart_and_its_table_read_at_desktop_and_phone_widths(live_server, organisation, page, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server.url, "dee@example.org")  # with the Director's second factor
    page.goto(f"{live_server.url}/dashboard")

    expect(page.get_by_role("heading", name="Over the last 12 months")).to_be_visible()
    chart = page.get_by_role("img", name="Share of training up to date, month by month")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box["width"] <= width and box["height"] > 100  # scaled to the page, not clipped
    described = chart.get_attribute("aria-labelledby")
    assert described == "history-chart-title history-chart-desc"
    assert "The table below gives each month's figures." in page.locator("#history-chart-desc").text_content()
    table = page.get_by_role("table", name="Training up to date, month by month")
    expect(table.get_by_role("row")).to_have_count(13)  # the heading row and 12 months
    this_month = organisation.replace(day=1)
    expect(table.get_by_role("row").nth(1)).to_contain_text(f"{this_month:%B %Y}")
    expect(table).to_contain_text("%")
    assert page.locator("svg script").count() == 0
    assert serious_violations(page) == []
    assert no_sideways_scroll(page)
