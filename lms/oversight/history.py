"""Compliance over time: a daily snapshot of each requirement's counts by status, and the
share up to date month by month that the dashboard, its chart and the PDF report show.

A snapshot counts, for one day, the items that applied that day (`applies_from` on or before
it) to the people active that day (active now, or deactivated after it), by the status the
SQL rule gives them (`standing.status_on`) over that day's standing (`standing.table_for`:
the stored rows for today, the ledger worked out for an earlier day). So there is one rule
and one projection, whichever day is counted.

It is taken once per day: by the daily run (`lms send-reminders`), or by the day's first
dashboard view when the run has not happened yet. A day's snapshot is never rewritten: a
completion recorded later moves today's figures and those of days to come, not the history.
When the feature is installed, `lms init` (or `lms sync-content`) rebuilds the last day of
each of the past twelve months from the ledger, once (`rebuild`); those snapshots count what
the ledger now says of those days, so an earlier record imported later counts from its date.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import click
from sqlalchemy import distinct, func, insert, or_, select
from sqlalchemy.exc import IntegrityError

from ..dates import day_start_utc, local_today
from ..extensions import db
from ..models import OrgSetting, User
from ..models.history import ComplianceCount, ComplianceSnapshot
from ..plan import standing
from ..plan.compliance import Key
from ..plan.loader import current_plan
from ..plan.plan import Plan
from ..plan.status import Status

MONTHS = 12
REBUILT_KEY = "history.rebuilt"  # set once the past months were rebuilt from the ledger
_STATUS_COLUMNS = tuple(s.value for s in Status)
_people = User.__table__


@dataclass(frozen=True)
class Counts:
    """One day's counts: people counted, and each requirement's counts by status."""

    day: date
    people: int
    by_requirement: dict[Key, Counter]


@dataclass(frozen=True)
class MonthShare:
    """The share of items up to date (complete or expiring soon) in one month: the figures of
    the month's latest snapshot, or none when the month has no snapshot."""

    month: date  # the month's first day
    day: date | None  # the snapshot's day
    up_to_date: int = 0
    items: int = 0

    @property
    def percent(self) -> int | None:
        if self.day is None or not self.items:
            return None
        return round(100 * self.up_to_date / self.items)


def counts_on(plan: Plan, day: date) -> Counts:
    """Each requirement's counts by status on `day`, in one grouped query (and one count of
    people) over that day's standing."""
    table = standing.table_for(day, plan)
    status = standing.status_on(table, day, plan.warning_days).label("status")
    joined = table.join(_people, _people.c.id == table.c.user_id)
    applying = (
        table.c.applies_from <= day,
        or_(_people.c.active.is_(True), _people.c.deactivated_at >= day_start_utc(day + timedelta(days=1))),
    )
    by_requirement: dict[Key, Counter] = {key: Counter() for key in plan.keys()}
    q = select(table.c.kind, table.c.ref, status, func.count()).select_from(joined).where(*applying)
    for kind, ref, value, count in db.session.execute(q.group_by(table.c.kind, table.c.ref, status)):
        if (kind, ref) in by_requirement:  # a requirement the plan in force still names
            by_requirement[(kind, ref)][Status(value)] = count
    people = db.session.scalar(select(func.count(distinct(table.c.user_id))).select_from(joined).where(*applying))
    return Counts(day, people or 0, by_requirement)


def has_snapshot(day: date) -> bool:
    return db.session.scalar(select(ComplianceSnapshot.id).where(ComplianceSnapshot.day == day)) is not None


def take(plan: Plan, day: date, source: str) -> bool:
    """Write `day`'s snapshot unless it has one; True when written. Two takers at once (the
    run and a dashboard view) cannot both write it: the day is unique, the second gives way."""
    if has_snapshot(day):
        return False
    counts = counts_on(plan, day)
    try:
        with db.session.begin_nested():
            snapshot_id = db.session.execute(
                insert(ComplianceSnapshot)
                .values(day=day, source=source, people=counts.people)
                .returning(ComplianceSnapshot.id)
            ).scalar_one()
            rows = [
                {"snapshot_id": snapshot_id, "kind": kind, "ref": ref, **{s: c[Status(s)] for s in _STATUS_COLUMNS}}
                for (kind, ref), c in counts.by_requirement.items()
            ]
            if rows:
                db.session.execute(insert(ComplianceCount), rows)
    except IntegrityError:
        return False
    return True


def take_today(plan: Plan) -> bool:
    """The dashboard's call: today's snapshot, when the daily run has not taken it yet."""
    return take(plan, local_today(), "dashboard")


def rebuild(plan: Plan, today: date, months: int = MONTHS) -> list[date]:
    """Snapshots of the last day of each of the `months` months before today's, from the
    ledger, for the days that have none; returns the days written. Once done it is recorded,
    so a later init does not rebuild again (history taken since is never replaced)."""
    written = [day for day in month_ends_before(today, months) if take(plan, day, "rebuilt")]
    setting = db.session.get(OrgSetting, REBUILT_KEY) or OrgSetting(key=REBUILT_KEY)
    setting.value = today.isoformat()
    db.session.add(setting)
    db.session.flush()
    return written


def rebuilt() -> bool:
    return db.session.get(OrgSetting, REBUILT_KEY) is not None


def month_ends_before(today: date, months: int) -> list[date]:
    """The last day of each of the `months` months before today's, oldest first."""
    ends = []
    end = today.replace(day=1) - timedelta(days=1)
    for _ in range(months):
        ends.append(end)
        end = end.replace(day=1) - timedelta(days=1)
    return ends[::-1]


def months_to(today: date, months: int = MONTHS) -> list[date]:
    """The first day of each of the `months` months up to and including today's, oldest first."""
    firsts = [today.replace(day=1)]
    for _ in range(months - 1):
        firsts.append((firsts[-1] - timedelta(days=1)).replace(day=1))
    return firsts[::-1]


def monthly_shares(today: date, months: int = MONTHS) -> list[MonthShare]:
    """Each of the last `months` months (today's the last) with the share up to date on its
    latest snapshot up to today: one grouped query."""
    firsts = months_to(today, months)
    c = ComplianceCount.__table__.c
    items = sum((c[s] for s in _STATUS_COLUMNS[1:]), c[_STATUS_COLUMNS[0]])
    q = (
        select(ComplianceSnapshot.day, func.sum(c.complete + c.expiring), func.sum(items))
        .join(ComplianceCount.__table__, c.snapshot_id == ComplianceSnapshot.id, isouter=True)
        .where(ComplianceSnapshot.day >= firsts[0], ComplianceSnapshot.day <= today)
        .group_by(ComplianceSnapshot.day)
        .order_by(ComplianceSnapshot.day)
    )
    latest: dict[date, MonthShare] = {}
    for day, up_to_date, total in db.session.execute(q):
        month = day.replace(day=1)
        latest[month] = MonthShare(month, day, int(up_to_date or 0), int(total or 0))  # later days replace earlier
    return [latest.get(month, MonthShare(month, None)) for month in firsts]


def snapshots(days: Iterable[date]) -> dict[date, dict[Key, dict[str, int]]]:
    """The stored counts of these days' snapshots, by requirement and status (for tests and
    checks: what was written is what is read back)."""
    c = ComplianceCount.__table__.c
    q = (
        select(ComplianceSnapshot.day, c.kind, c.ref, *(c[s] for s in _STATUS_COLUMNS))
        .join(ComplianceCount.__table__, c.snapshot_id == ComplianceSnapshot.id)
        .where(ComplianceSnapshot.day.in_(list(days)))
    )
    found: dict[date, dict[Key, dict[str, int]]] = {}
    for day, kind, ref, *values in db.session.execute(q):
        found.setdefault(day, {})[(kind, ref)] = dict(zip(_STATUS_COLUMNS, values, strict=True))
    return found


def snapshot_job(today: date, dry_run: bool) -> None:
    """The daily run's job: today's snapshot, once. A day after today is never taken (a run
    with --as-of in the future only looks ahead); an earlier day is, when it has none."""
    if today > local_today():
        click.echo(f"Compliance snapshot: {today.isoformat()} is after today; none taken.")
        return
    if dry_run:
        click.echo(f"Compliance snapshot: would take {today.isoformat()}'s, unless taken already.")
        return
    taken = take(current_plan(), today, "daily")
    db.session.commit()
    click.echo(f"Compliance snapshot of {today.isoformat()}: {'taken' if taken else 'taken already'}.")
