"""When reminders go: the organisation's reminder settings, and the reminder points of an item.

An administrator sets (Settings, Reminders; stored as organisation settings rows):

- the days before a deadline on which a person is reminded (30, 7 and 1 unless set);
- the days before a completion expires (60, 30 and 7);
- how many days overdue an item is before the person's line manager hears (7);
- whether the Safeguarding Lead's digest of overdue training goes daily or weekly (daily).

A plan entry may give its own days before a deadline or an expiry (`remind_days`,
`remind_expiry_days` in the plan file), which replace the settings for that item.

Each reminder is a **point**, a short text unique for the person and item (the reminder log
refuses a second row with it): "deadline:2027-02-12:7" is 7 days before that deadline,
"expiry:2028-01-31:30" 30 days before that expiry, "overdue:2027-02-12:2" the third week
after that deadline, "expired:2028-01-31:0" the first week after that expiry,
"manager:2027-02-12:0" the first week the line manager hears of it. The point due on a day
is the latest one reached: a day the run did not happen is caught up by the next run, once,
and points already passed by a later one are not sent late.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy import select

from .. import audit
from ..extensions import db
from ..models import OrgSetting, utcnow
from ..plan.status import Status

DIGEST_DAILY = "daily"
DIGEST_WEEKLY = "weekly"
MAX_DAYS = 365
MAX_POINTS = 6

_KEYS = {
    "deadline_days": "reminders.deadline_days",
    "expiry_days": "reminders.expiry_days",
    "manager_after_days": "reminders.manager_after_days",
    "lead_digest": "reminders.lead_digest",
}


@dataclass(frozen=True)
class Schedule:
    deadline_days: tuple[int, ...] = (30, 7, 1)
    expiry_days: tuple[int, ...] = (60, 30, 7)
    manager_after_days: int = 7
    lead_digest: str = DIGEST_DAILY

    def as_text(self) -> dict[str, str]:
        return {
            "deadline_days": days_text(self.deadline_days),
            "expiry_days": days_text(self.expiry_days),
            "manager_after_days": str(self.manager_after_days),
            "lead_digest": self.lead_digest,
        }


def days_text(days: tuple[int, ...]) -> str:
    return ", ".join(str(d) for d in days)


def parse_days(text: str) -> tuple[int, ...]:
    """"30, 7, 1" as (30, 7, 1), largest first; ValueError saying what is wrong."""
    words = [w for w in text.replace(";", ",").replace(" ", ",").split(",") if w]
    if not words:
        raise ValueError("Enter at least one number of days, like 30, 7, 1")
    try:
        days = {int(w) for w in words}
    except ValueError:
        raise ValueError("Enter whole numbers of days separated by commas, like 30, 7, 1") from None
    if any(d < 1 or d > MAX_DAYS for d in days):
        raise ValueError(f"Each number of days must be between 1 and {MAX_DAYS}")
    if len(days) > MAX_POINTS:
        raise ValueError(f"Enter {MAX_POINTS} numbers of days or fewer")
    return tuple(sorted(days, reverse=True))


def load() -> Schedule:
    """The settings in force (the defaults where none is saved, or a saved one is unreadable)."""
    stored = dict(
        db.session.execute(select(OrgSetting.key, OrgSetting.value).where(OrgSetting.key.in_(_KEYS.values()))).all()
    )
    schedule = Schedule()
    try:
        if _KEYS["deadline_days"] in stored:
            schedule = replace(schedule, deadline_days=parse_days(stored[_KEYS["deadline_days"]]))
        if _KEYS["expiry_days"] in stored:
            schedule = replace(schedule, expiry_days=parse_days(stored[_KEYS["expiry_days"]]))
        if _KEYS["manager_after_days"] in stored:
            schedule = replace(schedule, manager_after_days=int(stored[_KEYS["manager_after_days"]]))
    except ValueError:
        pass
    if stored.get(_KEYS["lead_digest"]) in (DIGEST_DAILY, DIGEST_WEEKLY):
        schedule = replace(schedule, lead_digest=stored[_KEYS["lead_digest"]])
    return schedule


def save(schedule: Schedule, actor) -> dict[str, dict[str, str]]:
    """Store the settings that changed, with one audit row; returns the changes."""
    before = load().as_text()
    after = schedule.as_text()
    changes = {k: {"before": before[k], "after": after[k]} for k in after if before[k] != after[k]}
    for name in changes:
        row = db.session.get(OrgSetting, _KEYS[name])
        if row is None:
            row = OrgSetting(key=_KEYS[name])
            db.session.add(row)
        row.value = after[name]
        row.updated_at = utcnow()
        row.updated_by_id = actor.id if actor else None
    if changes:
        audit.record("settings.reminders_changed", actor=actor, changes=changes)
    db.session.flush()
    return changes


@dataclass(frozen=True)
class Point:
    """The reminder an item is due on a day: its key, and the date it is about."""

    key: str
    stage: str  # deadline | expiry | overdue | expired
    about: date  # the deadline or the expiry
    days: int  # days left (deadline, expiry), or days overdue (overdue, expired)


def point_for(
    status: Status,
    deadline: date | None,
    valid_until: date | None,
    today: date,
    deadline_days: tuple[int, ...],
    expiry_days: tuple[int, ...],
) -> Point | None:
    """The person's own reminder point for an item on `today`, if one is reached."""
    if status is Status.DUE and deadline is not None:
        left = (deadline - today).days
        reached = [d for d in deadline_days if left <= d]
        return Point(f"deadline:{deadline.isoformat()}:{min(reached)}", "deadline", deadline, left) if reached else None
    if status in (Status.COMPLETE, Status.EXPIRING) and valid_until is not None:
        left = (valid_until - today).days
        reached = [d for d in expiry_days if left <= d]
        return Point(f"expiry:{valid_until.isoformat()}:{min(reached)}", "expiry", valid_until, left) if reached else None
    missed = missed_since(status, deadline, valid_until)
    if missed is None:
        return None
    stage, about = missed
    first_day = about + timedelta(days=1) if stage == "overdue" else about
    week = (today - first_day).days // 7
    return Point(f"{stage}:{about.isoformat()}:{week}", stage, about, days_missed(stage, about, today))


def missed_since(status: Status, deadline: date | None, valid_until: date | None) -> tuple[str, date] | None:
    """("overdue", deadline) or ("expired", valid_until) for a missed item, else None."""
    if status is Status.OVERDUE and deadline is not None:
        return ("overdue", deadline)
    if status is Status.EXPIRED and valid_until is not None:
        return ("expired", valid_until)
    return None


def days_missed(stage: str, about: date, today: date) -> int:
    """Days overdue as the overdue list counts them: from the deadline, or the expiry."""
    return (today - about).days


def manager_point(stage: str, about: date, today: date, after_days: int) -> str | None:
    """The line manager's weekly point for a missed item, from `after_days` overdue on."""
    days = days_missed(stage, about, today)
    if days < after_days:
        return None
    return f"manager:{about.isoformat()}:{(days - after_days) // 7}"


def digest_point(today: date, schedule: Schedule) -> str:
    """The Lead's digest: one a day, or one an ISO week (the first run of the week)."""
    if schedule.lead_digest == DIGEST_WEEKLY:
        year, week, _ = today.isocalendar()
        return f"digest:{year}-W{week:02d}"
    return f"digest:{today.isoformat()}"
