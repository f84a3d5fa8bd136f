"""Reminders: a daily run emails each person about items due within 14 days, expiring,
overdue or expired (at most once a week per item), and each lead a digest of the overdue
list; a lead can also remind chosen people at once."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import render_template
from sqlalchemy import select

from ..extensions import db
from ..formatting import plural
from ..links import external_url
from ..mail import send_email
from ..models import Permission, User
from ..models.records import ReminderLog
from ..oversight.operations import OverdueEntry, overdue
from ..plan.compliance import Item, Person, evaluate_all, load_facts
from ..plan.plan import Plan
from ..plan.status import Status
from ..plan.views import date_phrase

DUE_WITHIN_DAYS = 14
REPEAT_AFTER_DAYS = 7


@dataclass
class ReminderRun:
    people: list[tuple[Person, list[Item]]] = field(default_factory=list)
    digests: list[tuple[str, int]] = field(default_factory=list)  # (lead email, overdue count)

    @property
    def summary(self) -> str:
        items = sum(len(items) for _, items in self.people)
        return (
            f"reminded {plural(len(self.people), 'person')} about {plural(items, 'item')}; "
            f"sent {plural(len(self.digests), 'lead digest')}"
        )


def needs_reminder(item: Item, today: date) -> bool:
    if item.status in (Status.OVERDUE, Status.EXPIRED, Status.EXPIRING):
        return True
    return item.status is Status.DUE and (item.result.deadline - today).days <= DUE_WITHIN_DAYS


def _email_person(person: Person, items: list[Item], today: date) -> None:
    body = render_template(
        "email/reminder.txt",
        person=person,
        lines=[f"- {i.title}: {date_phrase(i, today)}" for i in items],
        link=external_url("main.home"),
    )
    count = len(items)
    send_email(person.email, f"Training reminder: {plural(count, 'item')} need{'' if count != 1 else 's'} your attention", body)


def _log(person_id: int, items: Iterable[Item], today: date, by: User | None) -> None:
    for item in items:
        db.session.add(ReminderLog(user_id=person_id, kind=item.kind, ref=item.ref, sent_on=today, sent_by_id=by.id if by else None))


def send_reminders(
    plan: Plan, today: date, *, dry_run: bool = False, unit_done: Callable[[], None] = db.session.flush
) -> ReminderRun:
    """The daily run (cron): safe to run twice a day, the second run sends nothing new.

    Each person's reminders, and each lead's digest, is one unit of work: `unit_done` is
    called after each. `lms send-reminders` passes the session's commit, so a run stopped
    part-way never reminds anyone twice."""
    run = ReminderRun()
    since = today - timedelta(days=REPEAT_AFTER_DAYS - 1)
    recent = set(
        db.session.execute(
            select(ReminderLog.user_id, ReminderLog.kind, ReminderLog.ref).where(ReminderLog.sent_on >= since)
        ).all()
    )
    facts = load_facts(today)
    for person, items in evaluate_all(plan, facts):
        wanted = [i for i in items if needs_reminder(i, today) and (person.id, i.kind, i.ref) not in recent]
        if not wanted:
            continue
        run.people.append((person, wanted))
        if not dry_run:
            _email_person(person, wanted, today)
            _log(person.id, wanted, today, None)
            unit_done()

    entries = overdue(plan, today)
    if entries:
        digested_today = set(
            db.session.scalars(
                select(ReminderLog.user_id).where(ReminderLog.kind == "digest", ReminderLog.sent_on == today)
            )
        )
        leads = db.session.scalars(
            select(User).where(User.active.is_(True), User.permission >= Permission.LEAD).order_by(User.email)
        ).all()
        for lead in leads:
            if lead.id in digested_today:
                continue
            run.digests.append((lead.email, len(entries)))
            if not dry_run:
                _email_digest(lead, entries, today)
                db.session.add(ReminderLog(user_id=lead.id, kind="digest", ref="overdue", sent_on=today))
                unit_done()
    return run


def _email_digest(lead: User, entries: list[OverdueEntry], today: date) -> None:
    shown = entries[:200]
    body = render_template(
        "email/overdue_digest.txt",
        lead=lead,
        today=today,
        lines=[f"- {e.person.name} <{e.person.email}>: {e.item.title}, {e.item.status.label.lower()}, {plural(e.days, 'day')}" for e in shown],
        more=len(entries) - len(shown),
        link=external_url("oversight.list_overdue"),
    )
    send_email(lead.email, f"Overdue Prevent training: {plural(len(entries), 'item')}", body)


def remind_people(plan: Plan, today: date, user_ids: Iterable[int], sender: User) -> ReminderRun:
    """A lead's reminder to chosen people about every item that needs action, sent now."""
    run = ReminderRun()
    facts = load_facts(today, user_ids=list(user_ids))
    for person, items in evaluate_all(plan, facts):
        wanted = [i for i in items if needs_reminder(i, today) or i.status is Status.DUE]
        if not wanted:
            continue
        run.people.append((person, wanted))
        _email_person(person, wanted, today)
        _log(person.id, wanted, today, sender)
    db.session.flush()
    return run
