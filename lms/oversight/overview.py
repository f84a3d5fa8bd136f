"""The overview a Lead, an administrator or a Director lands on after signing in: what needs
attention this week, each figure one click from the list behind it.

Every figure is one small query over the standing table, the evidence queue or the people
table; nothing is kept between requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import distinct, func, select

from ..dates import month_start, next_month_start
from ..extensions import db
from ..models import Evidence, EvidenceStatus, User
from ..plan.plan import Plan
from ..plan.status import Status
from .operations import _Counted


@dataclass(frozen=True)
class Figure:
    """A count of items and of the people they belong to."""

    items: int = 0
    people: int = 0


@dataclass(frozen=True)
class Overview:
    today: date
    warning_days: int
    evidence: Figure  # uploads awaiting a Lead's decision
    oldest_evidence_at: datetime | None
    overdue: Figure  # overdue or expired items
    expiring: Figure  # complete but lapsing within the plan's warning days
    never_signed_in: int  # active people who have never signed in
    new_starters: int  # active people starting in the organisation's current month
    own_to_do: int  # the viewer's own requirements not yet met (a Director's too)
    own_late: int  # of which overdue or expired


def overview(plan: Plan, today: date, viewer: User) -> Overview:
    rows = _Counted(plan, today, include_inactive=False)
    person = rows.table.c.user_id
    missed = rows.status.in_([Status.OVERDUE.value, Status.EXPIRED.value])
    expiring = rows.status == Status.EXPIRING.value
    mine = person == viewer.id
    standing = db.session.execute(
        select(
            func.count().filter(missed),
            func.count(distinct(person)).filter(missed),
            func.count().filter(expiring),
            func.count(distinct(person)).filter(expiring),
            func.count().filter(mine, rows.status.not_in([Status.COMPLETE.value, Status.EXPIRING.value])),
            func.count().filter(mine, missed),
        )
        .select_from(rows.joined)
        .where(rows.active)
    ).one()
    evidence = db.session.execute(
        select(func.count(), func.count(distinct(Evidence.user_id)), func.min(Evidence.uploaded_at))
        .join(User, User.id == Evidence.user_id)
        .where(Evidence.status == EvidenceStatus.PENDING, User.active.is_(True))
    ).one()
    people = db.session.execute(
        select(
            func.count().filter(User.last_login_at.is_(None)),
            func.count().filter(User.start_date >= month_start(today), User.start_date < next_month_start(today)),
        ).where(User.active.is_(True), User.anonymised_at.is_(None))
    ).one()
    return Overview(
        today=today,
        warning_days=plan.warning_days,
        evidence=Figure(evidence[0], evidence[1]),
        oldest_evidence_at=evidence[2],
        overdue=Figure(standing[0], standing[1]),
        expiring=Figure(standing[2], standing[3]),
        never_signed_in=people[0],
        new_starters=people[1],
        own_to_do=standing[4],
        own_late=standing[5],
    )
