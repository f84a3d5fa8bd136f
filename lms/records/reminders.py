"""Reminders on a schedule, escalating (lms/records/schedule.py says when each is due).

The daily run (`lms send-reminders`, from cron) reads everyone's standing in one query and,
for each active person, the reminder point each item has reached: days before a deadline or
an expiry, then weekly once overdue or expired. It sends

- each person at most one email, of their own items whose point has not been sent;
- each line manager at most one, of their reports' items overdue for the settings' number
  of days (weekly after that); a report whose manager has left, or who has none, goes to
  the Safeguarding Lead's digest instead;
- each Lead the digest of the overdue list, daily or weekly as set.

Every reminder is a `reminder_log` row whose point is unique for the person and item, so a
point is never sent twice, and a day the run did not happen is caught up once by the next.
Each person's email and log rows, each manager's and each lead's, are one unit of work:
`unit_done` commits it, so a run stopped part-way never sends anyone the same point again.
A lead can also remind chosen people at once (`remind_people`), as can a line manager.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import render_template
from sqlalchemy import and_, or_, select

from ..extensions import db
from ..formatting import long_date, plural
from ..links import external_url
from ..mail import send_email
from ..models import Permission, User
from ..models.records import ReminderLog
from ..oversight.operations import OverdueEntry, columns, overdue
from ..plan import standing
from ..plan.compliance import Item, Person, evaluate_all, load_facts
from ..plan.plan import Plan
from ..plan.status import Status
from ..plan.views import date_phrase
from . import schedule as schedules
from .schedule import Point, Schedule

DUE_WITHIN_DAYS = 14  # a lead's reminder by hand also names items due within this many days
# How far back the log is read for points already sent: further than any point can lie
# (a point is reached at most MAX_DAYS before its date, and once overdue it changes weekly).
_LOOKBACK_DAYS = schedules.MAX_DAYS + 8


@dataclass(frozen=True)
class Due:
    """One item of one person that a reminder is due about on the run's day."""

    kind: str
    ref: str
    title: str
    status: Status
    point: Point

    @property
    def phrase(self) -> str:
        """The date that matters, in words, as My training says it."""
        p = self.point
        if p.stage == "deadline":
            when = "today" if p.days == 0 else "tomorrow" if p.days == 1 else f"in {plural(p.days, 'day')}"
            return f"due {long_date(p.about)}, {when}"
        if p.stage == "expiry":
            return f"valid until {long_date(p.about)}, renew within {plural(p.days, 'day')}"
        if p.stage == "overdue":
            return f"overdue by {plural(p.days, 'day')} (was due {long_date(p.about)})"
        return f"expired {long_date(p.about)}"


@dataclass
class ReminderRun:
    people: list[tuple[Person, list[Item | Due]]] = field(default_factory=list)
    managers: list[tuple[str, int]] = field(default_factory=list)  # (manager email, items)
    digests: list[tuple[str, int]] = field(default_factory=list)  # (lead email, overdue count)
    already_today: list[Person] = field(default_factory=list)  # skipped: reminded by hand today

    @property
    def already_phrase(self) -> str:
        """For the flash message: who was skipped because someone reminded them today."""
        names = sorted(p.name for p in self.already_today)
        if not names:
            return ""
        if len(names) > 3:
            return f"{plural(len(names), 'person')} were already reminded today."
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        return f"{listed} {'was' if len(names) == 1 else 'were'} already reminded today."

    @property
    def summary(self) -> str:
        items = sum(len(items) for _, items in self.people)
        return (
            f"reminded {plural(len(self.people), 'person')} about {plural(items, 'item')}; "
            f"told {plural(len(self.managers), 'line manager')}; "
            f"sent {plural(len(self.digests), 'lead digest')}"
        )


def needs_reminder(item: Item, today: date) -> bool:
    if item.status in (Status.OVERDUE, Status.EXPIRED, Status.EXPIRING):
        return True
    return item.status is Status.DUE and (item.result.deadline - today).days <= DUE_WITHIN_DAYS


def _email_person(person: Person, lines: list[str]) -> None:
    body = render_template("email/reminder.txt", person=person, lines=lines, link=external_url("main.home"))
    count = len(lines)
    send_email(person.email, f"Training reminder: {plural(count, 'item')} need{'' if count != 1 else 's'} your attention", body)


def _log(person_id: int, items: Iterable[Item], today: date, by: User | None) -> None:
    for item in items:
        db.session.add(ReminderLog(user_id=person_id, kind=item.kind, ref=item.ref, sent_on=today, sent_by_id=by.id if by else None))


@dataclass
class _Report:
    """A report's missed item for their line manager (or, with none to tell, the Lead)."""

    person: Person
    due: Due
    point: str


def _candidates(plan: Plan, today: date, settings: Schedule):
    """Every active person's standing rows that may have reached a reminder point, by person."""
    table = standing.table_for(today, plan)
    t = table.c
    people = User.__table__.c
    status = standing.status_on(table, today, plan.warning_days).label("status")
    overrides = [plan.reminder_days(kind, ref) for kind, ref in plan.keys()]
    most_before = max([*settings.deadline_days, *(d for b, _ in overrides if b for d in b)])
    most_expiry = max([*settings.expiry_days, *(d for _, e in overrides if e for d in e)])
    q = (
        select(t.user_id, t.kind, t.ref, t.deadline, t.valid_until, status, people.name, people.email, people.manager_id)
        .select_from(table.join(User.__table__, people.id == t.user_id))
        .where(
            people.active.is_(True),
            people.anonymised_at.is_(None),
            or_(
                status.in_([Status.OVERDUE.value, Status.EXPIRED.value]),
                and_(status == Status.DUE.value, t.deadline <= today + timedelta(days=most_before)),
                and_(
                    status.in_([Status.COMPLETE.value, Status.EXPIRING.value]),
                    t.valid_until <= today + timedelta(days=most_expiry),
                ),
            ),
        )
        .order_by(t.user_id, t.kind, t.ref)
    )
    return db.session.execute(q).all()


def _sent(today: date) -> set[tuple[int, str, str, str]]:
    since = today - timedelta(days=_LOOKBACK_DAYS)
    return set(
        db.session.execute(
            select(ReminderLog.user_id, ReminderLog.kind, ReminderLog.ref, ReminderLog.point).where(
                ReminderLog.point.is_not(None), ReminderLog.sent_on >= since
            )
        ).all()
    )


def send_reminders(
    plan: Plan,
    today: date,
    *,
    dry_run: bool = False,
    unit_done: Callable[[], None] = db.session.flush,
    settings: Schedule | None = None,
) -> ReminderRun:
    """The daily run: safe to run twice a day (the second sends nothing new) and to miss a day
    (the next run sends what was due, once). `unit_done` is called after each person's, each
    manager's and each lead's email with its log rows; `lms send-reminders` commits there."""
    settings = settings or schedules.load()
    run = ReminderRun()
    sent = _sent(today)
    titles = dict(columns(plan))  # in the plan's order, as My training lists them
    order = {key: number for number, key in enumerate(titles)}
    days_for = {key: plan.reminder_days(*key) for key in plan.keys()}
    by_person: dict[int, list] = defaultdict(list)
    for row in _candidates(plan, today, settings):
        by_person[row.user_id].append(row)

    for_managers: dict[int, list[_Report]] = defaultdict(list)
    for_lead: list[_Report] = []
    manager_ids = {rows[0].manager_id for rows in by_person.values() if rows[0].manager_id}
    managers = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(manager_ids)))} if manager_ids else {}

    for user_id, rows in by_person.items():
        rows.sort(key=lambda r: order.get((r.kind, r.ref), len(order)))
        first = rows[0]
        person = Person(user_id, first.name, first.email, today, True, ())
        own: list[Due] = []
        for r in rows:
            key = (r.kind, r.ref)
            if key not in titles:
                continue  # a requirement the plan in force no longer names
            before, expiry = days_for.get(key, (None, None))
            status = Status(r.status)
            point = schedules.point_for(
                status, r.deadline, r.valid_until, today, before or settings.deadline_days, expiry or settings.expiry_days
            )
            if point is None:
                continue
            due = Due(r.kind, r.ref, titles[key], status, point)
            if (user_id, r.kind, r.ref, point.key) not in sent:
                own.append(due)
            if point.stage in ("overdue", "expired"):
                told = schedules.manager_point(point.stage, point.about, today, settings.manager_after_days)
                if told is not None and (user_id, r.kind, r.ref, told) not in sent:
                    manager = managers.get(first.manager_id)
                    if manager is not None and manager.active:
                        for_managers[manager.id].append(_Report(person, due, told))
                    else:
                        for_lead.append(_Report(person, due, told))
        if not own:
            continue
        run.people.append((person, own))
        if not dry_run:
            _email_person(person, [f"- {d.title}: {d.phrase}" for d in own])
            for d in own:
                db.session.add(ReminderLog(user_id=user_id, kind=d.kind, ref=d.ref, sent_on=today, point=d.point.key))
            unit_done()

    for manager_id, reports in for_managers.items():
        manager = managers[manager_id]
        run.managers.append((manager.email, len(reports)))
        if not dry_run:
            _email_manager(manager, reports, settings)
            for r in reports:
                db.session.add(ReminderLog(
                    user_id=r.person.id, kind=r.due.kind, ref=r.due.ref, sent_on=today, point=r.point, recipient_id=manager.id
                ))
            unit_done()

    _send_digests(plan, today, settings, for_lead, sent, run, dry_run=dry_run, unit_done=unit_done)
    return run


def _email_manager(manager: User, reports: list[_Report], settings: Schedule) -> None:
    body = render_template(
        "email/team_overdue.txt",
        manager=manager,
        days=settings.manager_after_days,
        lines=[f"- {r.person.name}: {r.due.title}, {r.due.phrase}" for r in reports],
        link=external_url("team.show_team"),
    )
    people = len({r.person.id for r in reports})
    send_email(manager.email, f"Training overdue in your team: {plural(people, 'person')}", body)


def _send_digests(plan, today, settings, for_lead, sent, run, *, dry_run, unit_done) -> None:
    """Each active lead's digest of the overdue list, once per day or week as set; with the
    items no line manager was told of (none, or one who has left) named first."""
    entries = overdue(plan, today)
    if not entries:
        return
    point = schedules.digest_point(today, settings)
    leads = db.session.scalars(
        select(User).where(User.active.is_(True), User.permission >= Permission.LEAD).order_by(User.email)
    ).all()
    for lead in leads:
        if (lead.id, "digest", "overdue", point) in sent:
            continue
        run.digests.append((lead.email, len(entries)))
        if not dry_run:
            _email_digest(lead, entries, today, for_lead, settings)
            db.session.add(ReminderLog(user_id=lead.id, kind="digest", ref="overdue", sent_on=today, point=point))
            unit_done()


def _email_digest(
    lead: User, entries: list[OverdueEntry], today: date, unmanaged: list[_Report] = (), settings: Schedule | None = None
) -> None:
    shown = entries[:200]
    body = render_template(
        "email/overdue_digest.txt",
        lead=lead,
        today=today,
        lines=[f"- {e.person.name} <{e.person.email}>: {e.item.title}, {e.item.status.label.lower()}, {plural(e.days, 'day')}" for e in shown],
        more=len(entries) - len(shown),
        unmanaged=[f"- {r.person.name} <{r.person.email}>: {r.due.title}, {r.due.phrase}" for r in unmanaged[:200]],
        manager_days=settings.manager_after_days if settings else None,
        link=external_url("oversight.list_overdue"),
    )
    send_email(lead.email, f"Overdue Prevent training: {plural(len(entries), 'item')}", body)


def remind_people(plan: Plan, today: date, user_ids: Iterable[int], sender: User) -> ReminderRun:
    """A lead's (or a line manager's) reminder to chosen people about every item that needs
    action, sent now: at most one a day by hand to each person, however many ask."""
    run = ReminderRun()
    user_ids = list(user_ids)
    reminded = set(
        db.session.scalars(
            select(ReminderLog.user_id).where(
                ReminderLog.user_id.in_(user_ids),
                ReminderLog.sent_on == today,
                ReminderLog.sent_by_id.is_not(None),
            )
        )
    )
    facts = load_facts(today, user_ids=user_ids)
    for person, items in evaluate_all(plan, facts):
        if person.id in reminded:
            run.already_today.append(person)
            continue
        wanted = [i for i in items if needs_reminder(i, today) or i.status is Status.DUE]
        if not wanted:
            continue
        run.people.append((person, wanted))
        _email_person(person, [f"- {i.title}: {date_phrase(i, today)}" for i in wanted])
        _log(person.id, wanted, today, sender)
    db.session.flush()
    return run
