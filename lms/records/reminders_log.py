"""The reminders sent about a person's training, as their page lists them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..formatting import long_date, plural
from ..models import User
from ..models.records import ReminderLog
from ..oversight.operations import columns
from ..plan.loader import current_plan
from ..plan.plan import PlanError

SHOWN = 50


@dataclass(frozen=True)
class Sent:
    sent_on: date
    title: str
    reason: str
    recipient: str


def reason(point: str | None, sender: User | None) -> str:
    """A reminder point (lms/records/schedule.py) in words."""
    if point is None:
        return f"Sent by {sender.name}" if sender else "Sent by hand"
    stage, _, rest = point.partition(":")
    about, _, number = rest.rpartition(":")
    try:
        when = long_date(about)
        n = int(number)
    except ValueError:
        return point
    if stage == "deadline":
        return f"{plural(n, 'day')} before the deadline, {when}"
    if stage == "expiry":
        return f"{plural(n, 'day')} before it expires, {when}"
    if stage == "overdue":
        return f"Overdue (was due {when}), week {n + 1}"
    if stage == "expired":
        return f"Expired {when}, week {n + 1}"
    if stage == "manager":
        return f"Overdue since {when}: line manager told, week {n + 1}"
    return point


def for_person(person: User) -> list[Sent]:
    """The latest reminders about this person's items, latest first."""
    sender = aliased(User)
    recipient = aliased(User)
    rows = db.session.execute(
        select(ReminderLog, sender, recipient)
        .outerjoin(sender, sender.id == ReminderLog.sent_by_id)
        .outerjoin(recipient, recipient.id == ReminderLog.recipient_id)
        .where(ReminderLog.user_id == person.id, ReminderLog.kind != "digest")
        .order_by(ReminderLog.sent_on.desc(), ReminderLog.id.desc())
        .limit(SHOWN)
    ).all()
    if not rows:
        return []
    try:
        titles = dict(columns(current_plan()))
    except PlanError:  # an unusable plan file: the page still lists the refs
        titles = {}
    return [
        Sent(
            log.sent_on,
            titles.get((log.kind, log.ref), log.ref),
            reason(log.point, by),
            f"Line manager, {to.name}" if to else person.name,
        )
        for log, by, to in rows
    ]
