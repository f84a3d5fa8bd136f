"""The organisation's calendar: "today" is a date in its time zone (Europe/London by default)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app


def local_today(zone: str | None = None) -> date:
    """The organisation's today, in its time zone (LMS_TIMEZONE, or `zone`): every "today" the
    LMS uses, whatever the machine's own time zone."""
    return datetime.now(ZoneInfo(zone or current_app.config["TIMEZONE"])).date()


def day_start_utc(day: date) -> datetime:
    """The moment the organisation's `day` begins, in UTC: stored times (UTC) before it are
    earlier days."""
    return datetime.combine(day, time(0), ZoneInfo(current_app.config["TIMEZONE"])).astimezone(UTC)


def parse_iso_date(value: str | None) -> date | None:
    """YYYY-MM-DD from a query string or option; None when absent or unreadable."""
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def month_start(day: date) -> date:
    """The first day of the month `day` is in."""
    return day.replace(day=1)


def next_month_start(day: date) -> date:
    """The first day of the month after `day`'s."""
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)
