"""The clock for tests that depend on the date.

The LMS's "today" is the organisation's (LMS_TIMEZONE, Europe/London by default), never the
machine's. A test that depends on the date runs on a clock pinned (time-machine) to a moment
at which the machine's own date, in its own time zone (TZ), is not London's, whenever that
zone allows one: half past eleven at night in London on a machine ahead of it, half past
midnight on one behind. A test that took the machine's date for the organisation's fails
there. CI runs these tests (marked `dates`) again under TZ=Etc/GMT-14 and TZ=Etc/GMT+12.

A test module uses it with

    from .clock import pinned_clock  # noqa: F401  (a fixture)

    @pytest.mark.dates
    @pytest.mark.usefixtures("pinned_clock")
    def test_...
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine

LONDON = ZoneInfo("Europe/London")
DAY = date(2027, 1, 13)  # a Wednesday in winter, when London keeps UTC


def pinned_moment(day: date = DAY) -> datetime:
    """A moment on `day` in London when the machine's date is another day, if any is."""
    noon = datetime.combine(day, time(12), LONDON)
    ahead = noon.astimezone().utcoffset() - noon.utcoffset()  # the machine's zone against London's
    at = time(0, 30) if ahead.total_seconds() < 0 else time(23, 30)
    return datetime.combine(day, at, LONDON)


@pytest.fixture
def pinned_clock():
    """The clock pinned to `pinned_moment()`, moving on from there as the test runs."""
    with time_machine.travel(pinned_moment(), tick=True) as traveller:
        yield traveller
