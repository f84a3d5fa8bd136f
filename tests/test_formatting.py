"""One way to write dates and counts: pages, emails and messages never say "1 days"."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from lms.formatting import date_time, long_date, noun, plural


@pytest.mark.parametrize(
    ("count", "one", "expected"),
    [(0, "day", "0 days"), (1, "day", "1 day"), (2, "day", "2 days"), (1, "person", "1 person"),
     (3, "person", "3 people"), (1, "new record", "1 new record"), (2, "new record", "2 new records")],
)
def test_a_count_agrees_with_its_noun(count, one, expected):
    assert plural(count, one) == expected


def test_the_noun_alone_agrees_too():
    assert noun(1, "column") == "column" and noun(2, "column") == "columns"


def test_a_date_reads_the_same_from_a_date_a_moment_or_iso_text():
    assert long_date(date(2026, 3, 1)) == "1 March 2026"
    assert long_date("2026-03-01") == "1 March 2026"
    assert long_date(None) == "" and long_date("") == ""
    # A moment is shown on the organisation's day: late on 28 February in UTC is already
    # 1 March in Kiritimati.
    late = datetime(2026, 2, 28, 20, 30, tzinfo=UTC)
    assert long_date(late, ZoneInfo("Pacific/Kiritimati")) == "1 March 2026"
    assert date_time(late, ZoneInfo("Europe/London")) == "28 February 2026, 20:30"


def test_pages_use_the_filters(app):
    with app.test_request_context():
        from flask import render_template_string

        assert render_template_string("{{ 1|plural('day') }}, {{ 2|plural('day') }}") == "1 day, 2 days"
        assert render_template_string("{{ '2026-12-02'|date }}") == "2 December 2026"


def test_an_invitation_for_one_day_says_one_day(app):
    from flask import render_template

    from tests.factories import make_user

    person = make_user(name="Ann")
    with app.test_request_context():
        body = render_template("email/invitation.txt", user=person, link="http://localhost/x", days=1, invited_by=None)
    assert "for 1 day)" in body and "1 days" not in body
