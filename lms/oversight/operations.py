"""Compliance across the organisation: summaries, the matrix, the overdue list and the CSV."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from ..csvexport import CsvWriter
from ..models import CATEGORIES
from ..plan.compliance import Facts, Item, Key, Person, items_for, load_facts, report_rows_for, statuses_for
from ..plan.plan import Plan
from ..plan.status import Status

CSV_HEADER = ["email", "name", "categories", "requirement", "kind", "status", "completed_on", "valid_until", "deadline"]


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
    rows: list[PersonRow] = field(default_factory=list)  # after filters


def overview(plan: Plan, today: date, filters: Filters) -> Overview:
    """Statuses for every person (fixed number of queries), summarised, then filtered."""
    facts = load_facts(today, include_inactive=filters.include_inactive)
    wanted_key = filters.requirement_key
    wanted_status = Status(filters.status) if filters.status in Status.__members__.values() else None
    needle = filters.q.strip().lower()
    result = Overview(today=today, columns=_columns(plan, facts))
    result.by_requirement = {key: Counter() for key, _ in result.columns}
    totals, by_requirement = result.totals, result.by_requirement
    by_category = {c: Counter() for c in CATEGORIES}
    for person in facts.people:
        result.people_count += 1
        pairs = statuses_for(plan, facts, person)
        statuses = [status for _, status in pairs]
        totals.update(statuses)
        for key, status in pairs:
            by_requirement[key][status] += 1
        categories = person.categories
        for category in categories:
            by_category[category].update(statuses)
        if filters.category and filters.category not in categories:
            continue
        if needle and needle not in person.name.lower() and needle not in person.email:
            continue
        by_key = dict(pairs)
        if wanted_key is not None and wanted_key not in by_key:
            continue
        if wanted_status is not None:
            looked_at = [by_key[wanted_key]] if wanted_key else statuses
            if wanted_status not in looked_at:
                continue
        result.rows.append(PersonRow(person, by_key))
    result.by_category = {c: counts for c, counts in by_category.items() if counts}
    return result


def _columns(plan: Plan, facts: Facts) -> list[tuple[Key, str]]:
    return [(key, plan.title_of(key[0], key[1], facts.titles)) for key in plan.keys()]


@dataclass(frozen=True)
class OverdueEntry:
    person: Person
    item: Item
    days: int


def overdue(plan: Plan, today: date, include_inactive: bool = False) -> list[OverdueEntry]:
    """Every overdue or expired item, the longest overdue first."""
    facts = load_facts(today, include_inactive=include_inactive)
    entries = []
    for person in facts.people:
        # The kept lean statuses say who has anything to list; only they get full items.
        if not any(status.needs_action for _, status in statuses_for(plan, facts, person)):
            continue
        for item in items_for(plan, facts, person):
            if item.status is Status.OVERDUE:
                entries.append(OverdueEntry(person, item, (today - item.result.deadline).days))
            elif item.status is Status.EXPIRED:
                entries.append(OverdueEntry(person, item, (today - item.result.valid_until).days))
    entries.sort(key=lambda e: (-e.days, e.person.email, e.item.ref, e.item.kind))
    return entries


def csv_lines(plan: Plan, today: date, include_inactive: bool = False) -> Iterator[str]:
    """The compliance CSV, one row per person and requirement, sorted by email then requirement.

    Yields text in chunks so a response can stream it; facts are loaded once for everyone.
    """
    facts = load_facts(today, include_inactive=include_inactive)
    writer = CsvWriter()
    writer.row(CSV_HEADER)
    people = sorted(facts.people, key=lambda p: p.email)
    # About 225,000 dates over a few thousand distinct days: each is written out once.
    iso: dict[date | None, str] = {None: ""}

    def text(day: date | None) -> str:
        written = iso.get(day)
        if written is None:
            written = iso[day] = day.isoformat()
        return written

    for n, person in enumerate(people, start=1):
        email, name, categories = person.email, person.name, ";".join(sorted(person.categories))
        writer.rows(
            [email, name, categories, ref, kind, status.value, text(completed_on), text(valid_until), text(deadline)]
            for ref, kind, status, completed_on, valid_until, deadline in report_rows_for(plan, facts, person)
        )
        if n % 200 == 0:
            yield writer.take()
    yield writer.take()
