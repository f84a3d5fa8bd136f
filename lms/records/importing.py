"""`import-records`: completions from a spreadsheet, all rows or none.

CSV header `email,requirement,completed_on` and optional `note` (and `kind` where a ref names
both a course and a quiz); headers, encodings and dates are read as every import reads them
(lms/csvintake.py). Attestations and policy acknowledgements must be made by the person.

Nobody records their own training, as nobody decides on their own evidence: a lead or
administrator importing through the web is refused rows for themselves and for anyone whose
permission is as high as theirs. At the command line there is no signed-in person: whoever
runs `lms import-records` on the server administers the LMS, and the audit log says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from .. import audit, csvintake
from ..auth.operations import normalise_email
from ..csvintake import RowError, TooManyRows
from ..extensions import db
from ..formatting import noun
from ..models import Permission, User
from ..models.content import Completion
from ..plan import standing
from ..plan.plan import Plan

IMPORTABLE = ("course", "quiz", "certificate")
MAX_ROWS = 100_000


@dataclass(frozen=True)
class Row:
    number: int  # the line in the file (the header is line 1)
    user_id: int
    email: str
    kind: str
    ref: str
    completed_on: date
    note: str


@dataclass
class ImportResult:
    new: list[Row] = field(default_factory=list)
    unchanged: list[Row] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return f"created {len(self.new)}, unchanged {len(self.unchanged)}, errors {len(self.errors)}"


# Header spellings, matched by lms/csvintake.py (case and punctuation ignored).
HEADERS: dict[str, tuple[str, ...]] = {
    "email": ("email", "emailaddress", "emailaddr"),
    "requirement": ("requirement", "item", "training"),
    "completed_on": ("completedon", "completed", "datecompleted", "completiondate", "date"),
    "note": ("note", "notes"),
    "kind": ("kind", "type"),
}


COMMAND_LINE = "lms import-records"


def read_records(data: bytes, plan: Plan, today: date, actor: User | None = None) -> ImportResult:
    """Check every row; returns what would be added, what is already there, and every error.
    `actor` is the signed-in person importing (None at the command line)."""
    result = ImportResult()
    reader = csvintake.rows(csvintake.decode(data), limit=MAX_ROWS)
    try:
        _, titles = next(reader)
    except StopIteration:
        result.errors.append("The file is empty: it needs a header row email,requirement,completed_on")
        return result
    header = csvintake.match_header(titles, HEADERS)
    for name, first, other in header.repeated:
        result.errors.append(str(RowError(1, name, f"columns “{first}” and “{other}” both give the {name}")))
    missing = [c for c in ("email", "requirement", "completed_on") if c not in header.columns]
    if missing:
        result.errors.append(
            f"Row 1 (header): missing {noun(len(missing), 'column')} {', '.join(missing)}; "
            "the header must be email,requirement,completed_on (and optionally note, kind)"
        )
    if result.errors:
        return result

    plan_kinds: dict[str, set[str]] = {}
    for kind, ref in plan.keys():
        plan_kinds.setdefault(ref, set()).add(kind)
    people = {email: (uid, permission) for uid, email, permission in db.session.execute(
        select(User.id, User.email, User.permission)
    )}
    seen: set[tuple[int, str, str, date]] = set()
    rows: list[Row] = []

    try:
        for number, values in reader:
            problems = []
            email = normalise_email(header.cell(values, "email"))
            user_id, permission = people.get(email, (None, None))
            if not email:
                problems.append("email is empty")
            elif user_id is None:
                problems.append(f"no person with email {email}")
            elif actor is not None and user_id == actor.id:
                problems.append(
                    f"{email} is you: nobody records their own training. Ask another lead or an "
                    f"administrator, who can run {COMMAND_LINE} on the server"
                )
            elif actor is not None and permission >= actor.permission:
                problems.append(
                    f"{email} has {Permission(permission).label.lower()} permission, as high as yours, so you "
                    f"cannot record their training. An administrator can, with {COMMAND_LINE} on the server"
                )
            requirement = header.cell(values, "requirement")
            kind = header.cell(values, "kind").lower()
            if ":" in requirement and not kind:
                kind, requirement = (part.strip() for part in requirement.split(":", 1))
            kinds = plan_kinds.get(requirement, set())
            if not requirement:
                problems.append("requirement is empty")
            elif kind and kind not in IMPORTABLE:
                problems.append(f"a {kind} cannot be imported: attestations and policy acknowledgements are made by the person")
            elif not kinds:
                problems.append(f"requirement {requirement!r} is not in the training plan")
            elif kind and kind not in kinds:
                problems.append(f"requirement {requirement!r} is not a {kind} in the training plan")
            elif not kind:
                importable = kinds & set(IMPORTABLE)
                if not importable:
                    problems.append(f"{requirement!r} is a {'/'.join(sorted(kinds))}: the person must do it themselves")
                elif len(importable) > 1:
                    problems.append(
                        f"{requirement!r} is both a {' and a '.join(sorted(importable))}: add a kind column, "
                        f"or write it as {sorted(importable)[0]}:{requirement}"
                    )
                else:
                    kind = importable.pop()
            raw_date = header.cell(values, "completed_on")
            completed_on = None
            try:
                completed_on = csvintake.parse_date(raw_date)
                if completed_on > today:
                    problems.append(f"completed_on {raw_date} is in the future")
            except ValueError as exc:
                problems.append(f"completed_on: {exc}")
            note = header.cell(values, "note")[:500]
            if problems:
                result.errors.extend(str(RowError(number, "", p)) for p in problems)
                continue
            key = (user_id, kind, requirement, completed_on)
            if key in seen:
                continue  # the same record twice in one file counts once
            seen.add(key)
            rows.append(Row(number, user_id, email, kind, requirement, completed_on, note))
    except TooManyRows as too_many:
        result.errors = [str(too_many.error("records"))]

    if result.errors:
        return result
    existing = set(
        db.session.execute(
            select(Completion.user_id, Completion.kind, Completion.ref, Completion.completed_on).where(
                Completion.source == "import"
            )
        ).all()
    )
    for row in rows:
        key = (row.user_id, row.kind, row.ref, row.completed_on)
        (result.unchanged if key in existing else result.new).append(row)
    return result


def import_records(data: bytes, plan: Plan, today: date, *, actor: User | None, filename: str, dry_run: bool) -> ImportResult:
    """Check the file and, unless it is a dry run or has any error, record every new row."""
    result = read_records(data, plan, today, actor)
    if dry_run or result.errors:
        return result
    for row in result.new:
        db.session.add(
            Completion(
                user_id=row.user_id,
                kind=row.kind,
                ref=row.ref,
                completed_on=row.completed_on,
                source="import",
                note=row.note or None,
                recorded_by_id=actor.id if actor else None,
            )
        )
    if result.new:
        audit.record(
            "records.imported",
            actor=actor,
            via="Import earlier records" if actor else f"{COMMAND_LINE}, by an administrator of the server",
            file=filename,
            created=len(result.new),
            unchanged=len(result.unchanged),
            rows=[[r.email, r.kind, r.ref, r.completed_on.isoformat()] for r in result.new[:1000]],
        )
    standing.refresh({row.user_id for row in result.new}, plan)
    db.session.flush()
    return result
