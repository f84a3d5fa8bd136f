"""What pages show about a requirement: words, dates and the tag colour (never colour alone)."""

from __future__ import annotations

from datetime import date

from ..formatting import long_date, plural
from .compliance import Item
from .status import Status

TAG = {
    Status.COMPLETE: "tag-green",
    Status.EXPIRING: "tag-yellow",
    Status.PENDING: "tag-blue",
    Status.DUE: "tag-grey",
    Status.OVERDUE: "tag-red",
    Status.EXPIRED: "tag-orange",
}

KIND_LABELS = {
    "course": "Course",
    "quiz": "Quiz",
    "certificate": "External certificate",
    "attestation": "Self-certification",
    "policy": "Policy acknowledgement",
}


def _days(n: int) -> str:
    return plural(n, "day")


def date_phrase(item: Item, today: date) -> str:
    """The date that matters, in words: 'due 12 March 2027, in 9 days', 'overdue by 4 days'..."""
    r = item.result
    if item.status is Status.OVERDUE:
        return f"overdue by {_days((today - r.deadline).days)} (was due {long_date(r.deadline)})"
    if item.status is Status.DUE:
        left = (r.deadline - today).days
        when = "today" if left == 0 else "tomorrow" if left == 1 else f"in {_days(left)}"
        return f"due {long_date(r.deadline)}, {when}"
    if item.status is Status.PENDING:
        return "your evidence is waiting to be checked"
    if r.valid_until is None:
        return f"completed {long_date(r.completed_on)}; does not need renewing"
    if item.status is Status.EXPIRED:
        return f"expired {long_date(r.valid_until)} (completed {long_date(r.completed_on)})"
    left = (r.valid_until - today).days
    if item.status is Status.EXPIRING:
        return f"valid until {long_date(r.valid_until)}, renew within {_days(left)}"
    return f"valid until {long_date(r.valid_until)}"
