"""The status rule: one pure function, no database, the heart of every report.

For one person, one requirement and a date `today`:
- `c` is the latest completion dated on or before `today`;
- deadline = applies_from + due_days; valid_until = c + renew_months calendar months
  (the day clamped to the month's end);
- with `c`: no renewal -> complete; today < valid_until - warning_days -> complete;
  today < valid_until -> expiring; otherwise pending when evidence awaits verification,
  else expired;
- without `c`: pending when evidence awaits verification; today <= deadline -> due;
  otherwise overdue.
"""

from __future__ import annotations

import calendar
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache


class Status(enum.StrEnum):
    COMPLETE = "complete"
    EXPIRING = "expiring"
    PENDING = "pending"
    DUE = "due"
    OVERDUE = "overdue"
    EXPIRED = "expired"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def is_done(self) -> bool:
        """Valid today: counts as met for compliance."""
        return self in (Status.COMPLETE, Status.EXPIRING)

    @property
    def needs_action(self) -> bool:
        return self in (Status.OVERDUE, Status.EXPIRED)


_LABELS = {
    Status.COMPLETE: "Complete",
    Status.EXPIRING: "Expiring soon",
    Status.PENDING: "Awaiting verification",
    Status.DUE: "To do",
    Status.OVERDUE: "Overdue",
    Status.EXPIRED: "Expired",
}

# Order of display and of "how bad": most urgent first.
STATUS_ORDER = (
    Status.OVERDUE,
    Status.EXPIRED,
    Status.PENDING,
    Status.DUE,
    Status.EXPIRING,
    Status.COMPLETE,
)


@lru_cache(maxsize=65536)
def add_months(start: date, months: int) -> date:
    """Calendar months later, the day clamped to the month's end (31 Jan + 1 = 28/29 Feb)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True, slots=True)
class Result:
    status: Status
    deadline: date
    completed_on: date | None = None
    valid_until: date | None = None

    @property
    def date_that_matters(self) -> date | None:
        """The deadline until first done, then the expiry (None: never lapses)."""
        return self.deadline if self.completed_on is None else self.valid_until


def evaluate(
    *,
    applies_from: date,
    due_days: int,
    renew_months: int | None,
    completions: Iterable[date],
    pending: bool,
    today: date,
    warning_days: int = 30,
) -> Result:
    """The status of one requirement for one person on `today`."""
    latest = max((d for d in completions if d <= today), default=None)
    return evaluate_latest(applies_from, due_days, renew_months, latest, pending, today, warning_days)


def evaluate_latest(
    applies_from: date,
    due_days: int,
    renew_months: int | None,
    latest: date | None,
    pending: bool,
    today: date,
    warning_days: int,
) -> Result:
    """`evaluate` given the latest completion on or before `today` (None: none).

    Reports call this directly for every person and requirement, so it stays small.
    """
    deadline = applies_from + timedelta(days=due_days)
    if latest is not None:
        if renew_months is None:
            return Result(Status.COMPLETE, deadline, latest, None)
        valid_until = add_months(latest, renew_months)
        if today < valid_until - timedelta(days=warning_days):
            status = Status.COMPLETE
        elif today < valid_until:
            status = Status.EXPIRING
        elif pending:
            status = Status.PENDING
        else:
            status = Status.EXPIRED
        return Result(status, deadline, latest, valid_until)
    if pending:
        return Result(Status.PENDING, deadline)
    return Result(Status.DUE if today <= deadline else Status.OVERDUE, deadline)
