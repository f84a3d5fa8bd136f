"""The organisation's calendar: "today" is a date in its time zone (Europe/London by default)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def local_today() -> date:
    return datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).date()


def parse_iso_date(value: str | None) -> date | None:
    """YYYY-MM-DD from a query string or option; None when absent or unreadable."""
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None
