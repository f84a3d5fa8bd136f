"""Load the facts for many people in a fixed number of queries, then apply the status rule.

Nothing here runs a query per person. Reports read the stored standing instead
(lms/plan/standing.py); this is what standing is worked out from, and what a person's own
pages and a report for a past date use.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import String, select

from ..extensions import db
from ..models import CATEGORY_LABELS, User, UserCategory
from ..models.content import Completion
from .content import content_snapshot
from .plan import Plan, Terms
from .status import Result, Status, evaluate_latest

Key = tuple[str, str]  # (kind, ref)

# Other modules add where pending evidence comes from (certificates awaiting verification):
# each source is called with the date and the people wanted (None: everyone) and returns
# (user_id, kind, ref) triples.
PENDING_SOURCES: list[Callable[[date, list[int] | None], Iterable[tuple[int, str, str]]]] = []


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    name: str
    email: str
    start_date: date
    active: bool
    held: tuple[tuple[str, date], ...]  # (category, applies from), sorted

    @property
    def categories(self) -> list[str]:
        return [c for c, _ in self.held]

    @property
    def category_labels(self) -> str:
        return ", ".join(CATEGORY_LABELS[c] for c, _ in self.held)


@dataclass(frozen=True, slots=True)
class Item:
    """One requirement of one person on one day."""

    kind: str
    ref: str
    title: str
    due_days: int
    renew_months: int | None
    applies_from: date
    result: Result
    key: Key  # (kind, ref)
    status: Status  # result.status, kept at hand: reports read it for every item


@dataclass
class Facts:
    today: date
    people: list[Person]
    latest: dict[tuple[int, str, str], date] = field(default_factory=dict)
    pending: set[tuple[int, str, str]] = field(default_factory=set)
    titles: dict[Key, str] = field(default_factory=dict)
    policy_effective: dict[str, date] = field(default_factory=dict)
    _resolved: dict[Key, str] | None = None

    def resolved_titles(self, plan: Plan) -> dict[Key, str]:
        """The title shown for each item of the plan, worked out once per report."""
        if self._resolved is None:
            self._resolved = {key: plan.title_of(key[0], key[1], self.titles) for key in plan.keys()}
        return self._resolved


# Above this many people, reading the whole tables and skipping the others is cheaper than
# a long `IN` list.
_WHOLE_READ = 500


def load_facts(
    today: date,
    *,
    include_inactive: bool = False,
    user_ids: Iterable[int] | None = None,
) -> Facts:
    """Everything the status rule needs for the chosen people, in a fixed number of queries:
    the people, their categories, their latest completions and the evidence awaiting a lead."""
    people_q = select(User.id, User.name, User.email, User.start_date, User.active).order_by(User.email)
    if not include_inactive:
        people_q = people_q.where(User.active.is_(True))
    if user_ids is not None:
        people_q = people_q.where(User.id.in_(list(user_ids)))
    # Core execution (no ORM row objects): a bulk refresh reads every person.
    conn = db.session.connection()
    rows = conn.execute(people_q).all()
    chosen = {r.id for r in rows}
    narrowed = len(chosen) <= _WHOLE_READ
    content = content_snapshot()
    as_date = _date_reader()

    held: dict[int, list[tuple[str, date]]] = defaultdict(list)
    cat_q = select(UserCategory.user_id, UserCategory.category, UserCategory.added_on)
    if narrowed:
        cat_q = cat_q.where(UserCategory.user_id.in_(chosen))
    for user_id, category, added_on in conn.execute(cat_q):
        if user_id in chosen:
            held[user_id].append((category, added_on))

    # The latest completion of each (person, kind, ref) on or before today; only an
    # acknowledgement of a policy's current version counts.
    current_policy = {ref: version for ref, (version, _) in content.policies.items()}
    latest: dict[tuple[int, str, str], date] = {}
    done_q = select(
        Completion.user_id,
        Completion.kind,
        Completion.ref,
        Completion.completed_on.cast(String) if conn.dialect.name == "sqlite" else Completion.completed_on,
        Completion.content_version,
    ).where(Completion.completed_on <= today)
    if narrowed:
        done_q = done_q.where(Completion.user_id.in_(chosen))
    for user_id, kind, ref, on, version in conn.execute(done_q):
        if user_id not in chosen:
            continue
        if kind == "policy" and current_policy.get(ref) != version:
            continue
        key = (user_id, kind, ref)
        day = as_date(on)
        if key not in latest or day > latest[key]:
            latest[key] = day

    return Facts(
        today=today,
        people=[Person(r.id, r.name, r.email, r.start_date, r.active, tuple(sorted(held.get(r.id, ())))) for r in rows],
        latest=latest,
        pending=_pending(today, list(chosen) if narrowed else None, chosen),
        titles=content.titles,
        policy_effective={ref: effective for ref, (_, effective) in content.policies.items()},
    )


def _pending(today: date, user_ids: list[int] | None, chosen: set[int]) -> set[tuple[int, str, str]]:
    pending: set[tuple[int, str, str]] = set()
    for source in PENDING_SOURCES:
        pending.update(t for t in source(today, user_ids) if t[0] in chosen)
    return pending


def facts_for_person(user: User, today: date) -> tuple[Facts, list[Completion]]:
    """One person's facts, from the signed-in person already loaded and one ledger query;
    also returns their completions, newest first, for the transcript beside the statuses.

    The learner's own pages call this on every view, so it avoids the queries load_facts
    needs for many people."""
    person = Person(
        user.id,
        user.name,
        user.email,
        user.start_date,
        user.active,
        tuple(sorted((row.category, row.added_on) for row in user.category_rows)),
    )
    completions = list(
        db.session.scalars(
            select(Completion)
            .where(Completion.user_id == user.id)
            .order_by(Completion.completed_on.desc(), Completion.id.desc())
        )
    )
    snapshot = content_snapshot()
    latest: dict[tuple[int, str, str], date] = {}
    for c in completions:
        if c.completed_on > today:
            continue
        if c.kind == "policy" and snapshot.policies.get(c.ref, (None,))[0] != c.content_version:
            continue
        key = (user.id, c.kind, c.ref)
        if key not in latest or c.completed_on > latest[key]:
            latest[key] = c.completed_on
    facts = Facts(
        today=today,
        people=[person],
        latest=latest,
        pending=_pending(today, [user.id], {user.id}),
        titles=snapshot.titles,
        policy_effective={ref: effective for ref, (_, effective) in snapshot.policies.items()},
    )
    return facts, completions


def _date_reader():
    """A parser from the ledger's dates (text on SQLite, date on PostgreSQL), memoised."""
    seen: dict[str, date] = {}

    def read(value) -> date:
        if isinstance(value, date):
            return value
        day = seen.get(value)
        if day is None:
            day = seen[value] = date.fromisoformat(value)
        return day

    return read


def _current_policies() -> dict[str, tuple[str, date]]:
    """ref -> (version label, effective date) of each active policy course's current version."""
    return content_snapshot().policies


def content_titles() -> dict[Key, str]:
    return content_snapshot().titles


def items_for(plan: Plan, facts: Facts, person: Person) -> list[Item]:
    """Every requirement in the person's plan with its status on `facts.today`."""
    held = dict(person.held)
    today, warning, latest, pending = facts.today, plan.warning_days, facts.latest, facts.pending
    titles = facts.resolved_titles(plan)
    items = []
    for terms in plan.terms_for(frozenset(held)):
        kind, ref = terms.kind, terms.ref
        applies = _applies_from(terms, held, facts)
        fact = (person.id, kind, ref)
        result = evaluate_latest(
            applies, terms.due_days, terms.renew_months, latest.get(fact), fact in pending, today, warning
        )
        items.append(
            Item(kind, ref, terms.title or titles[terms.key], terms.due_days, terms.renew_months, applies, result, terms.key, result.status)
        )
    return items


def _applies_from(terms: Terms, held: dict[str, date], facts: Facts) -> date:
    """The day an item starts to apply: the earliest its asking categories were held, and for
    a policy not before its current version took effect."""
    applies = min(held[c] for c in terms.asking)
    if terms.kind == "policy" and terms.ref in facts.policy_effective:
        applies = max(applies, facts.policy_effective[terms.ref])
    return applies


def evaluate_all(plan: Plan, facts: Facts) -> Iterator[tuple[Person, list[Item]]]:
    for person in facts.people:
        yield person, items_for(plan, facts, person)
