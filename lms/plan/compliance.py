"""Load the facts for many people in a fixed number of queries, then apply the status rule.

Nothing here runs a query per person: the dashboard, the CSV and the reminders for 10,000
people cost the same handful of queries as for ten.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import wraps

from sqlalchemy import String, func, select

from ..extensions import db
from ..models import CATEGORY_LABELS, User, UserCategory
from ..models.content import Completion
from . import ledger_cache
from .content_cache import content_snapshot
from .ledger_cache import Ledger
from .plan import Plan, Terms
from .status import Result, Status, evaluate_latest

Key = tuple[str, str]  # (kind, ref)
_NEVER_LAPSES = (Status.COMPLETE, None)

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
    pending: set[tuple[int, str, str]] | frozenset[tuple[int, str, str]] = field(default_factory=set)
    titles: dict[Key, str] = field(default_factory=dict)
    policy_effective: dict[str, date] = field(default_factory=dict)
    _resolved: dict[Key, str] | None = None
    # The kept ledger's store of per-person results (lms/plan/ledger_cache.py), when the
    # facts came from one.
    worked_out: dict[tuple[str, int], tuple] | None = None
    # (latest completion, renew_months, warning_days) -> (status, valid until), for the lean
    # paths: the ledger holds a few thousand distinct days, the dashboard asks about 200,000
    # items.
    _renewals: dict[tuple[date, int, int], tuple[Status, date]] = field(default_factory=dict)

    def status_when_done(
        self, fact: tuple[int, str, str], done: date, months: int | None, warning: int
    ) -> tuple[Status, date | None]:
        """The status and expiry of an item last completed on `done`: the rule of
        `evaluate_latest` for a completed item, with a renewal's status worked out once per
        distinct day (pending evidence only matters once it has expired)."""
        if months is None:
            return _NEVER_LAPSES
        memo = (done, months, warning)
        known = self._renewals.get(memo)
        if known is None:
            result = evaluate_latest(done, 0, months, done, False, self.today, warning)
            known = self._renewals[memo] = (result.status, result.valid_until)
        if known[0] is Status.EXPIRED and fact in self.pending:
            return Status.PENDING, known[1]
        return known

    def resolved_titles(self, plan: Plan) -> dict[Key, str]:
        """The title shown for each item of the plan, worked out once per report."""
        if self._resolved is None:
            self._resolved = {key: plan.title_of(key[0], key[1], self.titles) for key in plan.keys()}
        return self._resolved


def load_facts(
    today: date,
    *,
    include_inactive: bool = False,
    user_ids: Iterable[int] | None = None,
    search: str | None = None,
) -> Facts:
    """Everything the status rule needs for the chosen people, in a fixed number of queries.

    The people are read every time; their categories, completions and pending evidence come
    from the process's kept ledger (lms/plan/ledger_cache.py) where their data version has
    not moved, and are read again, in three queries, for the rest. The returned facts share
    the kept ledger's dicts: nothing may change them."""
    people_q = select(User.id, User.name, User.email, User.start_date, User.active, User.data_version)
    people_q = people_q.order_by(User.email)
    if not include_inactive:
        people_q = people_q.where(User.active.is_(True))
    if user_ids is not None:
        people_q = people_q.where(User.id.in_(list(user_ids)))
    if search:
        like = f"%{search.strip().lower()}%"
        people_q = people_q.where(func.lower(User.name).like(like) | User.email.like(like))
    # Core execution (no ORM row objects): these run over every person on each dashboard view.
    conn = db.session.connection()
    rows = conn.execute(people_q).all()  # first: the versions are read before the rows they cover
    snapshot = content_snapshot()
    kept_as = (snapshot.stamp, today)  # the stamp the snapshot was read under, not a second read
    ledger = ledger_cache.kept(kept_as)
    stale = ledger.stale((r.id, r.data_version) for r in rows)
    if stale:
        ledger = ledger.replaced(_read_ledger(conn, today, stale, snapshot.policies))
        ledger_cache.keep(kept_as, ledger)
    held = ledger.held
    return Facts(
        today=today,
        people=[Person(r.id, r.name, r.email, r.start_date, r.active, held.get(r.id, ())) for r in rows],
        latest=ledger.latest,
        pending=ledger.pending,
        titles=snapshot.titles,
        policy_effective={ref: effective for ref, (_, effective) in snapshot.policies.items()},
        worked_out=ledger.worked_out,
    )


# Above this many people to read again, reading the whole tables and skipping the others is
# cheaper than a long `IN` list.
_WHOLE_READ = 500


def _read_ledger(conn, today: date, versions: dict[int, int], policies: dict[str, tuple[str, date]]) -> Ledger:
    """The categories, latest completions and pending evidence of the people in `versions`."""
    chosen = versions.keys()
    narrowed = len(versions) <= _WHOLE_READ
    as_date = _date_reader()

    held: dict[int, list[tuple[str, date]]] = defaultdict(list)
    cat_q = select(UserCategory.user_id, UserCategory.category, UserCategory.added_on)
    if narrowed:
        cat_q = cat_q.where(UserCategory.user_id.in_(chosen))
    for user_id, category, added_on in conn.execute(cat_q):
        if user_id in chosen:
            held[user_id].append((category, added_on))

    # The latest completion of each (person, kind, ref) on or before today, kept in Python:
    # one pass over the ledger is cheaper than GROUP BY here, and dates are read as text
    # on SQLite (one parse per distinct day).
    current_policy = {ref: version for ref, (version, _) in policies.items()}
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
        # Only an acknowledgement of the current version of a policy counts.
        if kind == "policy" and current_policy.get(ref) != version:
            continue
        key = (user_id, kind, ref)
        day = as_date(on)
        if key not in latest or day > latest[key]:
            latest[key] = day
    keys: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for key in latest:
        keys[key[0]].append(key)

    return Ledger(
        versions=dict(versions),
        held={person: tuple(sorted(held.get(person, ()))) for person in chosen},
        latest=latest,
        pending=frozenset(_pending(today, list(chosen) if narrowed else None, set(chosen))),
        keys={person: tuple(keys.get(person, ())) for person in chosen},
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


def _kept_per_person(work: Callable[[Plan, Facts, Person], tuple]) -> Callable[[Plan, Facts, Person], tuple]:
    """Keep `work`'s answer for a person in the kept ledger they were read into, for the same
    plan: it depends on nothing else (the ledger is kept per day and content), and the next
    report over everyone then works out again only the people whose records changed."""
    what = work.__name__

    @wraps(work)
    def kept(plan: Plan, facts: Facts, person: Person) -> tuple:
        store = facts.worked_out
        if store is None:
            return work(plan, facts, person)
        known = store.get((what, person.id))
        if known is not None and known[0] is plan:
            return known[1]
        answer = work(plan, facts, person)
        store[(what, person.id)] = (plan, answer)
        return answer

    return kept


@_kept_per_person
def statuses_for(plan: Plan, facts: Facts, person: Person) -> tuple[tuple[Key, Status], ...]:
    """Only the status of each requirement: what summaries and the matrix need, built lean
    because the dashboard works it out for everyone on every view. The same rule as
    `evaluate_latest` (a property test holds them equal), in the order that needs least:
    a completed item needs no deadline, and a renewal's status depends only on the day of
    the latest completion, so it is worked out once per distinct day."""
    held = dict(person.held)
    today, warning, latest, pending = facts.today, plan.warning_days, facts.latest, facts.pending
    when_done = facts.status_when_done
    pid = person.id
    out = []
    for terms in plan.terms_for(frozenset(held)):
        fact = (pid, terms.kind, terms.ref)
        done = latest.get(fact)
        if done is not None:
            status = when_done(fact, done, terms.renew_months, warning)[0]
        elif fact in pending:
            status = Status.PENDING
        else:
            applies = _applies_from(terms, held, facts)
            status = Status.DUE if (today - applies).days <= terms.due_days else Status.OVERDUE
        out.append((terms.key, status))
    return tuple(out)


ReportRow = tuple[str, str, Status, date | None, date | None, date]
"""(ref, kind, status, completed on, valid until, deadline) of one requirement of one person."""


@_kept_per_person
def report_rows_for(plan: Plan, facts: Facts, person: Person) -> tuple[ReportRow, ...]:
    """Each requirement's status and dates, sorted by ref then kind, for the CSV: the same
    values as `items_for` (a property test holds them equal) without the objects the pages
    need, because the export works them out for everyone at once."""
    held = dict(person.held)
    today, warning, latest, pending = facts.today, plan.warning_days, facts.latest, facts.pending
    when_done = facts.status_when_done
    pid = person.id
    rows = []
    for terms in plan.terms_for(frozenset(held)):
        kind, ref = terms.kind, terms.ref
        deadline = _applies_from(terms, held, facts) + timedelta(days=terms.due_days)
        fact = (pid, kind, ref)
        done = latest.get(fact)
        valid_until = None
        if done is not None:
            status, valid_until = when_done(fact, done, terms.renew_months, warning)
        elif fact in pending:
            status = Status.PENDING
        else:
            status = Status.DUE if today <= deadline else Status.OVERDUE
        rows.append((ref, kind, status, done, valid_until, deadline))
    rows.sort(key=_by_ref_then_kind)
    return tuple(rows)


def _by_ref_then_kind(row: ReportRow) -> tuple[str, str]:
    return (row[0], row[1])


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
