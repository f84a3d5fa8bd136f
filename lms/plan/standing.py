"""Standing: each person's dates on each requirement of their plan, kept in the database.

`refresh` is the one operation that writes it. Every change that moves a person's standing
calls it in the same transaction: a completion of any kind, evidence submitted or decided,
categories or start date changed, a person leaving or returning. A changed training plan
or policy version is applied to everyone at once by `apply_plan` (`lms init`,
`lms sync-content`), which also stores the plan's hash so a server can tell when its plan
file is not the one applied.

The rows hold dates only. A status is worked out when asked, for a day: in SQL by
`status_on` (what reports use), equal to `lms.plan.status.evaluate_latest` on the same
dates (a property test holds them equal on SQLite and PostgreSQL).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date, timedelta

from flask import g, has_request_context
from sqlalchemy import Boolean, Column, Date, Integer, MetaData, String, Table, case, delete, insert, select
from sqlalchemy.sql.elements import ColumnElement

from ..dates import local_today
from ..extensions import db
from ..models import OrgSetting, Standing
from .compliance import Facts, Person, items_for, load_facts
from .content import content_snapshot
from .loader import configured_plan_path, current_plan
from .plan import Plan
from .status import Status

APPLIED_PLAN_KEY = "standing.applied_plan"
# People worked out per batch in a bulk refresh: each batch reads the ledger once (whole
# tables past a few hundred people), so batches are large.
_CHUNK = 20_000


def _rows(plan: Plan, facts: Facts) -> list[dict]:
    rows = []
    for person in facts.people:
        for item in items_for(plan, facts, person):
            result = item.result
            rows.append(
                {
                    "user_id": person.id,
                    "kind": item.kind,
                    "ref": item.ref,
                    "applies_from": item.applies_from,
                    "deadline": result.deadline,
                    "completed_on": result.completed_on,
                    "valid_until": result.valid_until,
                    "pending": (person.id, item.kind, item.ref) in facts.pending,
                }
            )
    return rows


def refresh(user_ids: Iterable[int], plan: Plan | None = None) -> None:
    """Work out the standing of these people again from their records, in the caller's
    transaction (their changes are flushed first, so they count)."""
    ids = sorted(set(user_ids))
    if not ids:
        return
    plan = plan or current_plan()
    db.session.flush()
    today = local_today()
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        facts = load_facts(today, include_inactive=True, user_ids=chunk)
        db.session.execute(delete(Standing.__table__).where(Standing.user_id.in_(chunk)))
        rows = _rows(plan, facts)
        if rows:
            db.session.execute(insert(Standing.__table__), rows)  # Core: one executemany


def rows_for_newcomers(newcomers: Iterable[tuple[str, date, tuple[str, ...]]], plan: Plan | None = None) -> dict[str, list[dict]]:
    """The standing rows of people not yet written, by email, from (email, start date,
    categories held from it): nothing done, nothing pending. A bulk import works these out
    before its write transaction starts and writes them, with each new `user_id`, in the same
    transaction, so the database is not read while it holds the write lock."""
    plan = plan or current_plan()
    content = content_snapshot()
    emails: list[str] = []
    people: list[Person] = []
    for n, (email, start, categories) in enumerate(newcomers):
        emails.append(email)
        people.append(Person(n, "", email, start, True, tuple(sorted((c, start) for c in categories))))
    facts = Facts(
        today=local_today(),
        people=people,
        titles=content.titles,
        policy_effective={ref: effective for ref, (_, effective) in content.policies.items()},
    )
    by_email: dict[str, list[dict]] = {email: [] for email in emails}
    for row in _rows(plan, facts):
        by_email[emails[row.pop("user_id")]].append(row)
    return by_email


def plan_hash(plan_text: str, policies: dict) -> str:
    """What standing was worked out under: the plan file's text and each policy's version."""
    versions = ";".join(f"{ref}={version}@{effective}" for ref, (version, effective) in sorted(policies.items()))
    return hashlib.sha256(f"{plan_text}\n{versions}".encode()).hexdigest()


def current_plan_hash() -> str:
    return plan_hash(configured_plan_path().read_text(encoding="utf-8"), content_snapshot().policies)


def applied_plan_hash() -> str | None:
    return db.session.scalar(select(OrgSetting.value).where(OrgSetting.key == APPLIED_PLAN_KEY))


def plan_is_applied() -> bool:
    return applied_plan_hash() == current_plan_hash()


def apply_plan() -> int:
    """Work out everyone's standing under the plan file and policy versions in force, and
    record that they are applied. Returns the number of people worked out."""
    from ..models import User

    plan = current_plan()
    ids = list(db.session.scalars(select(User.id)))
    db.session.execute(delete(Standing))
    refresh(ids, plan)
    setting = db.session.get(OrgSetting, APPLIED_PLAN_KEY) or OrgSetting(key=APPLIED_PLAN_KEY)
    setting.value = current_plan_hash()
    db.session.add(setting)
    db.session.flush()
    return len(ids)


def status_on(table, today: date, warning_days: int) -> ColumnElement[str]:
    """The status of each row on `today`, in SQL: the rule of `evaluate_latest`.

    `today < valid_until - warning_days` is written `valid_until > today + warning_days`,
    so both sides are plain dates on every database."""
    c = table.c
    done = c.completed_on.is_not(None)
    return case(
        (done & c.valid_until.is_(None), Status.COMPLETE.value),
        (done & (c.valid_until > today + timedelta(days=warning_days)), Status.COMPLETE.value),
        (done & (c.valid_until > today), Status.EXPIRING.value),
        (c.pending.is_(True), Status.PENDING.value),
        (done, Status.EXPIRED.value),
        (c.deadline >= today, Status.DUE.value),
        else_=Status.OVERDUE.value,
    )


_ON_DAY = Table(
    "standing_on_day",
    MetaData(),
    Column("user_id", Integer),
    Column("kind", String(16)),
    Column("ref", String(80)),
    Column("applies_from", Date),
    Column("deadline", Date),
    Column("completed_on", Date),
    Column("valid_until", Date),
    Column("pending", Boolean),
    prefixes=["TEMPORARY"],
)


def table_for(day: date, plan: Plan) -> Table:
    """The standing to report `day` from. Today and later: the stored rows, which hold every
    completion there is. An earlier day: worked out from the records as they stood then,
    into a temporary table of the same shape, so the same queries answer."""
    if day >= local_today():
        return Standing.__table__
    if has_request_context() and g.get("standing_on_day") == day:
        return _ON_DAY  # made already for this request
    conn = db.session.connection()
    _ON_DAY.drop(conn, checkfirst=True)
    _ON_DAY.create(conn)
    rows = _rows(plan, load_facts(day, include_inactive=True))
    if rows:
        conn.execute(insert(_ON_DAY), rows)
    if has_request_context():
        g.standing_on_day = day
    return _ON_DAY


def warn_if_not_applied(app) -> None:
    """Log, at start, when the plan file or a policy version differs from the one applied."""
    with app.app_context():
        try:
            applied = plan_is_applied()
        except Exception:  # noqa: BLE001 -- no database yet, or an unreadable plan: `lms init` says why
            return
        finally:
            db.session.remove()
    if not applied:
        app.logger.warning(
            "The training plan file or a policy version has changed since it was applied: "
            "run `lms sync-content` to work out everyone's standing under it."
        )
