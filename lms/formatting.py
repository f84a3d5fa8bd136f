"""How dates and counts read, everywhere: pages (as the `date`, `datetime` and `plural`
template filters), emails, PDFs and flash messages.

- A date reads "2 December 2026". A moment reads "2 December 2026, 14:05" in the
  organisation's time zone. A date kept as ISO text (in a snapshot or a certificate's items)
  reads the same as a date.
- A count reads "1 day", "3 days", "1 person", "2 people": never "1 days".
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo

IRREGULAR = {"person": "people"}


def long_date(value: date | datetime | str | None, tz: tzinfo | None = None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    if isinstance(value, datetime) and tz is not None:
        value = value.astimezone(tz)
    return f"{value.day} {value:%B %Y}"


def date_time(value: datetime | None, tz: tzinfo, at: str = ", ") -> str:
    if value is None:
        return ""
    local = value.astimezone(tz)
    return f"{local.day} {local:%B %Y}{at}{local:%H:%M}"


def plural(count: int, one: str, many: str | None = None) -> str:
    """The count and the noun that agrees with it: plural(1, "day") is "1 day"."""
    if count == 1:
        return f"{count} {one}"
    return f"{count} {many or IRREGULAR.get(one) or one + 's'}"


def noun(count: int, one: str, many: str | None = None) -> str:
    """Only the noun that agrees with the count: noun(2, "message") is "messages"."""
    return plural(count, one, many).split(" ", 1)[1]
