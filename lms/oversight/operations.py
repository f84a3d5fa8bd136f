"""Compliance across the organisation: summaries, the people grid, the overdue list and the
CSV, each a query over everyone's stored standing (lms/plan/standing.py).

Summaries are GROUP BY queries; the grid works out only the page shown; the overdue list and
the CSV stream rows from one query each. The query count never depends on the number of
people.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, String, and_, cast, exists, func, select, true

from ..csvexport import CsvWriter
from ..extensions import db
from ..models import CATEGORIES, User, UserCategory
from ..plan import standing
from ..plan.compliance import Key, Person, content_titles
from ..plan.plan import Plan
from ..plan.status import Result, Status

CSV_HEADER = ["email", "name", "categories", "requirement", "kind", "status", "completed_on", "valid_until", "deadline"]

_people = User.__table__
_held = UserCategory.__table__


@dataclass
class Filters:
    category: str = ""
    requirement: str = ""  # "kind:ref"
    status: str = ""
    q: str = ""
    include_inactive: bool = False

    @property
    def requirement_key(self) -> Key | None:
        if ":" not in self.requirement:
            return None
        kind, ref = self.requirement.split(":", 1)
        return (kind, ref)

    @property
    def wanted_status(self) -> Status | None:
        return Status(self.status) if self.status in Status.__members__.values() else None

    @property
    def narrows(self) -> bool:
        """Whether these filters choose some people (leavers aside): the summary counts only them."""
        return bool(self.category or self.q.strip() or self.requirement_key or self.wanted_status)


@dataclass
class PersonRow:
    person: Person
    statuses: dict[Key, Status]


@dataclass
class Overview:
    today: date
    columns: list[tuple[Key, str]]  # every requirement in the plan, with its title
    totals: Counter = field(default_factory=Counter)  # status -> count over all items
    by_requirement: dict[Key, Counter] = field(default_factory=dict)
    by_category: dict[str, Counter] = field(default_factory=dict)
    people_count: int = 0


@dataclass(frozen=True)
class ReportItem:
    """One requirement of one person as a report shows it."""

    kind: str
    ref: str
    title: str
    status: Status
    result: Result


@dataclass(frozen=True)
class OverdueEntry:
    person: Person
    item: ReportItem
    days: int


class _Counted:
    """The people a report covers, and their standing rows with a status on the day."""

    def __init__(self, plan: Plan, today: date, include_inactive: bool):
        self.table = standing.table_for(today, plan)
        self.status = standing.status_on(self.table, today, plan.warning_days).label("status")
        self.active = true() if include_inactive else _people.c.active.is_(True)
        self.joined = self.table.join(_people, _people.c.id == self.table.c.user_id)


def columns(plan: Plan) -> list[tuple[Key, str]]:
    titles = content_titles()
    return [(key, plan.title_of(key[0], key[1], titles)) for key in plan.keys()]


def overview(plan: Plan, today: date, filters: Filters, by_category: bool = False) -> Overview:
    """Counts by status per requirement (and so overall) in one grouped query; per category
    in a second, when asked (the inspection report shows them, the dashboard does not). Only
    the people the filters choose are counted, as the grid lists them."""
    rows = _Counted(plan, today, filters.include_inactive)
    result = Overview(today=today, columns=columns(plan))
    result.by_requirement = {key: Counter() for key, _ in result.columns}
    per_requirement = (
        select(rows.table.c.kind, rows.table.c.ref, rows.status, func.count())
        .select_from(rows.joined)
        .where(rows.active)
        .group_by(rows.table.c.kind, rows.table.c.ref, rows.status)
    )
    if filters.narrows:
        chosen = people_query(plan, today, filters).order_by(None).subquery()
        per_requirement = per_requirement.where(rows.table.c.user_id.in_(select(chosen.c.id)))
    for kind, ref, status, count in db.session.execute(per_requirement):
        result.totals[Status(status)] += count
        if (kind, ref) in result.by_requirement:  # not a requirement the plan in force names
            result.by_requirement[(kind, ref)][Status(status)] = count
    if by_category:
        per_category = (
            select(_held.c.category, rows.status, func.count())
            .select_from(rows.joined.join(_held, _held.c.user_id == rows.table.c.user_id))
            .where(rows.active)
            .group_by(_held.c.category, rows.status)
        )
        counts: dict[str, Counter] = defaultdict(Counter)
        for category, status, count in db.session.execute(per_category):
            counts[category][Status(status)] = count
        result.by_category = {c: counts[c] for c in CATEGORIES if c in counts}
    result.people_count = db.session.scalar(select(func.count()).select_from(_people).where(rows.active))
    return result


def people_query(plan: Plan, today: date, filters: Filters) -> Select:
    """The people the grid lists, after the filters, by email."""
    rows = _Counted(plan, today, filters.include_inactive)
    q = select(_people.c.id).where(rows.active).order_by(_people.c.email)
    if filters.category:
        q = q.where(exists().where(_held.c.user_id == _people.c.id, _held.c.category == filters.category))
    needle = filters.q.strip().lower()
    if needle:
        like = f"%{needle}%"
        q = q.where(func.lower(_people.c.name).like(like) | _people.c.email.like(like))
    key, wanted = filters.requirement_key, filters.wanted_status
    if key is not None or wanted is not None:
        conditions = [rows.table.c.user_id == _people.c.id]
        if key is not None:
            conditions += [rows.table.c.kind == key[0], rows.table.c.ref == key[1]]
        if wanted is not None:
            conditions.append(rows.status == wanted.value)
        q = q.where(exists(select(rows.table.c.user_id).where(and_(*conditions))))
    return q


def grid_page(plan: Plan, today: date, filters: Filters, page: Pagination) -> list[PersonRow]:
    """The rows of one page of the grid: those people, their categories and statuses."""
    ids = list(page.items)
    if not ids:
        return []
    rows = _Counted(plan, today, filters.include_inactive)
    people = _people_by_id(ids)
    statuses: dict[int, dict[Key, Status]] = defaultdict(dict)
    q = select(rows.table.c.user_id, rows.table.c.kind, rows.table.c.ref, rows.status).where(rows.table.c.user_id.in_(ids))
    for user_id, kind, ref, status in db.session.execute(q):
        statuses[user_id][(kind, ref)] = Status(status)
    return [PersonRow(people[i], statuses[i]) for i in ids]


def _people_by_id(ids: list[int]) -> dict[int, Person]:
    held: dict[int, list[tuple[str, date]]] = defaultdict(list)
    for user_id, category, added_on in db.session.execute(
        select(_held.c.user_id, _held.c.category, _held.c.added_on).where(_held.c.user_id.in_(ids))
    ):
        held[user_id].append((category, added_on))
    q = select(_people.c.id, _people.c.name, _people.c.email, _people.c.start_date, _people.c.active).where(
        _people.c.id.in_(ids)
    )
    return {r.id: Person(r.id, r.name, r.email, r.start_date, r.active, tuple(sorted(held[r.id]))) for r in db.session.execute(q)}


def overdue(plan: Plan, today: date, include_inactive: bool = False) -> list[OverdueEntry]:
    """Every overdue or expired item, the longest overdue first: one query for the items."""
    rows = _Counted(plan, today, include_inactive)
    t = rows.table.c
    titles = dict(columns(plan))
    q = (
        select(t.user_id, t.kind, t.ref, t.deadline, t.completed_on, t.valid_until, rows.status)
        .select_from(rows.joined)
        .where(rows.active, rows.status.in_([Status.OVERDUE.value, Status.EXPIRED.value]))
    )
    found = db.session.execute(q).all()
    people = _people_by_id(sorted({r.user_id for r in found}))
    entries = []
    for r in found:
        status = Status(r.status)
        since = r.deadline if status is Status.OVERDUE else r.valid_until
        item = ReportItem(
            r.kind, r.ref, titles.get((r.kind, r.ref), r.ref), status, Result(status, r.deadline, r.completed_on, r.valid_until)
        )
        entries.append(OverdueEntry(people[r.user_id], item, (today - since).days))
    entries.sort(key=lambda e: (-e.days, e.person.email, e.item.ref, e.item.kind))
    return entries


def csv_lines(plan: Plan, today: date, include_inactive: bool = False) -> Iterator[str]:
    """The compliance CSV, one row per person and requirement, sorted by email then requirement.

    Streams from one query (a server-side cursor on PostgreSQL), in chunks of text. Dates are
    read as the database's ISO text, which is what the file shows."""
    rows = _Counted(plan, today, include_inactive)
    t = rows.table.c
    categories: dict[int, list[str]] = defaultdict(list)
    for user_id, category in db.session.execute(select(_held.c.user_id, _held.c.category).order_by(_held.c.category)):
        categories[user_id].append(category)
    joined = {user_id: ";".join(held) for user_id, held in categories.items()}
    q = (
        select(
            _people.c.email, _people.c.name, t.user_id, t.ref, t.kind, rows.status,
            cast(t.completed_on, String), cast(t.valid_until, String), cast(t.deadline, String),
        )
        .select_from(rows.joined)
        .where(rows.active)
        .order_by(_people.c.email, t.ref, t.kind)
        .execution_options(yield_per=2000)
    )
    writer = CsvWriter()
    writer.row(CSV_HEADER)
    for part in db.session.execute(q).partitions():
        writer.rows(
            (email, name, joined.get(user_id, ""), ref, kind, status, done or "", valid or "", deadline)
            for email, name, user_id, ref, kind, status, done, valid, deadline in part
        )
        yield writer.take()
    yield writer.take()
