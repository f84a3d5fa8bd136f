"""Today is the organisation's today (LMS_TIMEZONE), never the machine's.

These tests set the organisation far ahead of the machine: on Kiritimati, 14 hours ahead of
UTC, midday on 13 January in UTC is already the 14th.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from flask import render_template_string

from lms.auth import operations as accounts
from lms.models import TokenPurpose

from .clock import pinned_clock, pinned_moment  # noqa: F401  (a fixture)
from .factories import make_user

pytestmark = pytest.mark.dates

MIDDAY_UTC = datetime(2027, 1, 13, 12, 0, tzinfo=UTC)
ORG_DAY = date(2027, 1, 14)  # on Kiritimati at that moment


@pytest.fixture
def app_overrides():
    return {"TIMEZONE": "Pacific/Kiritimati"}


@pytest.fixture
def far_ahead():
    with time_machine.travel(MIDDAY_UTC, tick=False):
        yield


@pytest.mark.usefixtures("far_ahead")
def test_templates_are_given_the_organisations_today(app):
    with app.test_request_context():
        assert render_template_string("{{ today() }}") == ORG_DAY.isoformat()


@pytest.mark.usefixtures("far_ahead")
def test_the_first_administrator_starts_on_the_organisations_today(app):
    raw = accounts.issue_token(TokenPurpose.SETUP, timedelta(hours=1))
    token = accounts.find_token(raw, TokenPurpose.SETUP)
    admin = accounts.create_first_admin(
        token, name="Ada Admin", email="ada@example.org", password="a long enough password", categories=["staff"]
    )
    assert admin.start_date == ORG_DAY
    assert [(r.category, r.added_on) for r in admin.category_rows] == [("staff", ORG_DAY)]


@pytest.mark.usefixtures("far_ahead")
def test_a_category_added_later_applies_from_the_organisations_today(app):
    person = make_user(categories=("staff",), start_date=date(2026, 1, 5))
    accounts.set_categories(person, ["staff", "trainer"])
    assert {r.category: r.added_on for r in person.category_rows} == {"staff": date(2026, 1, 5), "trainer": ORG_DAY}


@pytest.mark.usefixtures("far_ahead")
def test_the_today_fixture_is_the_organisations(today):
    assert today == ORG_DAY


@pytest.mark.usefixtures("pinned_clock")
def test_the_pinned_clock_puts_the_machine_on_another_day_when_its_zone_allows():
    """What the `dates` tests rely on: in London it is DAY; on the machine, unless its zone is
    London's in winter (UTC), it is the day before or after."""
    moment = pinned_moment()
    london, machine = moment.date(), datetime.now().date()
    assert datetime.now(moment.tzinfo).date() == london
    if moment.astimezone().utcoffset() != moment.utcoffset():
        assert machine != london
    else:
        assert machine == london
