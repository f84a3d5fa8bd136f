"""The staff roster from an HR system or a spreadsheet: read, check, preview, then apply.

The whole file is checked before anything is saved; any error means nothing changes.
People are matched by email (case-insensitively): new ones are created, changed ones
updated, unchanged ones left, and nobody is deleted. Importing the same file twice changes
nothing the second time.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app, render_template
from sqlalchemy import bindparam, delete, insert, select, update

from .. import audit, csvintake
from ..auth import operations as accounts
from ..auth.second_factor import operations as second_factor
from ..csvintake import RowError as RosterError
from ..csvintake import TooManyRows, decode, parse_date
from ..dates import local_today
from ..extensions import db
from ..links import external_url
from ..mail import outbox_row
from ..models import (
    CATEGORIES,
    CATEGORY_LABELS,
    AuditEvent,
    OutboxMessage,
    Permission,
    Standing,
    Token,
    TokenPurpose,
    User,
    UserCategory,
    new_session_token,
    utcnow,
)
from ..plan import standing
from . import operations
from .managers import chain_problem as managers_chain_problem

MAX_ROWS = 20_000  # people in one file: checked, previewed and written within a request's time

# Header spellings, matched by lms/csvintake.py (case and punctuation ignored).
HEADERS: dict[str, tuple[str, ...]] = {
    "email": ("email", "emailaddress", "emailaddr"),
    "name": ("name", "fullname"),
    "first_name": ("firstname", "forename", "forenames", "givenname"),
    "last_name": ("lastname", "surname", "familyname"),
    "categories": ("categories", "category", "role", "roles", "staffcategory", "staffcategories"),
    "start_date": ("startdate", "start", "datestarted"),
    "active": ("active",),
    "manager": ("manageremail", "manager", "linemanager", "linemanageremail"),
}
FIELD_LABELS = {
    "email": "email",
    "name": "name",
    "first_name": "first name",
    "last_name": "last name",
    "categories": "categories",
    "start_date": "start date",
    "active": "active",
    "manager": "manager email",
}
TRUE = {"yes", "y", "true", "1", "active"}
FALSE = {"no", "n", "false", "0", "inactive", "left"}


def _category_key(text: str) -> str:
    key = re.sub(r"[\s\-_.]", "", text.lower())
    return key[:-1] if len(key) > 1 and key.endswith("s") else key


_CATEGORY_KEYS = {
    _category_key(text): category
    for category in CATEGORIES
    for text in (category, CATEGORY_LABELS[category])
}


# --- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterRow:
    row: int
    email: str
    name: str
    categories: tuple[str, ...]
    start_date: date
    active: bool | None  # None: the file does not say
    manager: str | None = None  # their line manager's email; "": none; None: the file does not say


def parse_categories(text: str) -> tuple[list[str], list[str]]:
    """(categories found, words that are not categories)."""
    found: list[str] = []
    unknown: list[str] = []
    for word in re.split(r"[;|,]", text):
        word = word.strip()
        if not word:
            continue
        category = _CATEGORY_KEYS.get(_category_key(word))
        if category is None:
            unknown.append(word)
        elif category not in found:
            found.append(category)
    return found, unknown


def parse_active(text: str) -> bool | None:
    value = text.strip().lower()
    if not value:
        return None
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ValueError(f"“{text}” is not yes or no")


def _map_header(titles: list[str]) -> tuple[csvintake.Header, list[RosterError]]:
    header = csvintake.match_header(titles, HEADERS)
    columns = header.columns
    errors = [
        RosterError(1, FIELD_LABELS[name], f"columns “{first}” and “{other}” both give the {FIELD_LABELS[name]}")
        for name, first, other in header.repeated
    ]
    has_name = "name" in columns or ("first_name" in columns and "last_name" in columns)
    wanted = [("email", "email" in columns), ("name", has_name), ("categories", "categories" in columns), ("start_date", "start_date" in columns)]
    for name, present in wanted:
        if not present:
            hint = "“Name”, or “First name” and “Last name”" if name == "name" else f"“{FIELD_LABELS[name].capitalize()}”"
            errors.append(RosterError(1, FIELD_LABELS[name], f"no {FIELD_LABELS[name]} column: the header row needs {hint}"))
    return header, errors


def read_roster(text: str) -> tuple[list[RosterRow], list[RosterError], list[str]]:
    """Every row checked: (rows, errors, notes)."""
    header: csvintake.Header | None = None
    rows: list[RosterRow] = []
    errors: list[RosterError] = []
    notes: list[str] = []
    seen: dict[str, int] = {}
    try:
        for line, record in csvintake.rows(text, limit=MAX_ROWS):
            if header is None:
                header, header_errors = _map_header(record)
                errors += header_errors
                if header_errors:
                    return [], errors, notes
                if header.ignored:
                    notes.append("Columns ignored: " + ", ".join(header.ignored))
                continue
            row, row_errors = _read_row(line, record, header, seen)
            errors += row_errors
            if row is not None:
                rows.append(row)
    except TooManyRows as too_many:
        return [], [too_many.error("people")], notes
    if header is None:
        errors.append(RosterError(1, "", "the file is empty: it needs a header row and a row for each person"))
    elif not rows and not errors:
        errors.append(RosterError(2, "", "the file has a header row but nobody in it"))
    return rows, errors, notes


def _read_row(line: int, record: list[str], header: csvintake.Header, seen: dict[str, int]):
    def cell(name: str) -> str:
        return header.cell(record, name)

    errors: list[RosterError] = []

    raw_email = cell("email")
    email = ""
    if not raw_email:
        errors.append(RosterError(line, "email", "enter an email address"))
    else:
        try:
            validate_email(raw_email, check_deliverability=False)
            email = accounts.normalise_email(raw_email)
            if len(email) > 254:
                raise EmailNotValidError("too long")
        except EmailNotValidError:
            errors.append(RosterError(line, "email", f"“{raw_email}” is not an email address"))
        if email and email in seen:
            errors.append(RosterError(line, "email", f"{email} is in row {seen[email]} already"))
        elif email:
            seen[email] = line

    name = cell("name") or " ".join(part for part in (cell("first_name"), cell("last_name")) if part)
    name = " ".join(name.split())
    if not name:
        errors.append(RosterError(line, "name", "enter the person's name"))
    elif len(name) > 200:
        errors.append(RosterError(line, "name", "the name must be 200 characters or fewer"))

    raw_categories = cell("categories")
    categories, unknown = parse_categories(raw_categories)
    if unknown:
        listed = ", ".join(CATEGORY_LABELS[c] for c in CATEGORIES)
        words = ", ".join(f"“{w}”" for w in unknown)
        errors.append(RosterError(line, "categories", f"{words} {'is not a category' if len(unknown) == 1 else 'are not categories'}; use {listed}"))
    elif not categories:
        errors.append(RosterError(line, "categories", "enter at least one category"))

    start = None
    raw_start = cell("start_date")
    if not raw_start:
        errors.append(RosterError(line, "start date", "enter a start date"))
    else:
        try:
            start = parse_date(raw_start)
        except ValueError as exc:
            errors.append(RosterError(line, "start date", str(exc)))

    active = None
    try:
        active = parse_active(cell("active"))
    except ValueError as exc:
        errors.append(RosterError(line, "active", str(exc)))

    manager = None
    if "manager" in header.columns:
        raw_manager = cell("manager")
        manager = ""
        if raw_manager:
            try:
                validate_email(raw_manager, check_deliverability=False)
                manager = accounts.normalise_email(raw_manager)
            except EmailNotValidError:
                errors.append(RosterError(line, "manager email", f"“{raw_manager}” is not an email address"))
            if manager and manager == email:
                errors.append(RosterError(line, "manager email", "a person cannot be their own line manager"))

    if errors or start is None:
        return None, errors
    return RosterRow(line, email, name, tuple(categories), start, active, manager), []


# --- planning --------------------------------------------------------------------------------


@dataclass
class Change:
    kind: str  # create | update | unchanged | deactivate
    email: str
    name: str
    row: RosterRow | None = None
    person: User | None = None
    changes: dict = field(default_factory=dict)


@dataclass
class RosterImport:
    """What importing the file would do, or did."""

    created: list[Change] = field(default_factory=list)
    updated: list[Change] = field(default_factory=list)
    unchanged: list[Change] = field(default_factory=list)
    deactivated: list[Change] = field(default_factory=list)
    errors: list[RosterError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    invited: int = 0
    applied: bool = False
    managers: list[tuple[str, str | None]] = field(default_factory=list)  # (email, new manager's email)

    @property
    def summary(self) -> str:
        return (
            f"created {len(self.created)}, updated {len(self.updated)}, unchanged {len(self.unchanged)}, "
            f"deactivated {len(self.deactivated)}, errors {len(self.errors)}"
        )

    @property
    def to_invite(self) -> list[Change]:
        return [c for c in self.created if c.row is None or c.row.active is not False]

    @property
    def fingerprint(self) -> str:
        """Identifies the planned changes, so a confirmation applies exactly what was previewed."""
        data = [
            (c.kind, c.email, c.name, json.dumps(c.changes, sort_keys=True, default=str))
            for c in self.created + self.updated + self.deactivated
        ]
        return hashlib.sha256(json.dumps(sorted(data)).encode()).hexdigest()


def _row_values(row: RosterRow) -> dict:
    return {"name": row.name, "categories": sorted(row.categories), "start_date": row.start_date.isoformat()}


def _differences(person: User, row: RosterRow, manager: str | None) -> dict:
    before = {"name": person.name, "categories": sorted(person.categories), "start_date": person.start_date.isoformat()}
    after = _row_values(row)
    if row.active is not None:
        before["active"], after["active"] = person.active, row.active
    if row.manager is not None:
        before["manager"], after["manager"] = manager, row.manager or None
    raised = _raised_permission(person, row)
    if raised is not None:
        before["permission"], after["permission"] = Permission(person.permission).name.lower(), raised.name.lower()
    return operations.changes_between(before, after)


def _raised_permission(person: User, row: RosterRow) -> Permission | None:
    """A learner the file names a Director becomes one; an import never lowers anyone or
    takes a permission away (a Director dropped from the category keeps theirs)."""
    if "director" in row.categories and person.permission < Permission.DIRECTOR:
        return Permission.DIRECTOR
    return None


def _check_managers(rows: list[RosterRow], people: dict[str, User]) -> tuple[dict[int, str], list[RosterError]]:
    """Each manager named must be in the LMS or the file, and nobody may end up managing
    themselves through others. Returns (person id -> their manager's email, errors)."""
    email_of = {p.id: p.email for p in people.values()}
    current = {p.id: email_of.get(p.manager_id) for p in people.values() if p.manager_id is not None}
    managers = {email_of[i]: m for i, m in current.items() if m is not None}  # who manages whom, after the import
    in_file = {row.email for row in rows}
    errors: list[RosterError] = []
    for row in rows:
        if row.manager is not None:
            managers[row.email] = row.manager or None
    for row in rows:
        if not row.manager:
            continue
        if row.manager not in in_file and row.manager not in people:
            errors.append(RosterError(row.row, "manager email", f"{row.manager} is not in the LMS or in this file: add them first, or check the spelling"))
            continue
        problem = managers_chain_problem(row.email, row.manager, managers)
        if problem:
            errors.append(RosterError(row.row, "manager email", problem))
    return current, errors


def plan_import(rows: list[RosterRow], actor: User | None, *, deactivate_missing: bool = False) -> RosterImport:
    result = RosterImport()
    people = {p.email: p for p in db.session.scalars(select(User).where(User.anonymised_at.is_(None)))}
    current_managers, result.errors = _check_managers(rows, people)
    for row in rows:
        person = people.get(row.email)
        if person is None:
            changes = {k: {"before": None, "after": v} for k, v in _row_values(row).items()}
            changes["active"] = {"before": None, "after": row.active is not False}
            if row.manager:
                changes["manager"] = {"before": None, "after": row.manager}
                result.managers.append((row.email, row.manager))
            result.created.append(Change("create", row.email, row.name, row, None, changes))
            continue
        changes = _differences(person, row, current_managers.get(person.id))
        if "manager" in changes:
            result.managers.append((row.email, row.manager or None))
        if not changes:
            result.unchanged.append(Change("unchanged", row.email, person.name, row, person))
            continue
        if actor is not None and not operations.may_manage(actor, person):
            result.errors.append(RosterError(row.row, "", f"only an administrator can change {person.email}, who has {person.perm.label.lower()} permission"))
            continue
        kind = "deactivate" if changes.get("active", {}).get("after") is False else "update"
        change = Change(kind, row.email, row.name, row, person, changes)
        (result.deactivated if kind == "deactivate" else result.updated).append(change)

    if deactivate_missing:
        in_file = {row.email for row in rows}
        for email, person in sorted(people.items()):
            if email in in_file or not person.active:
                continue
            if actor is not None and person.id == actor.id:
                result.notes.append(f"Kept {email}: you cannot deactivate yourself.")
            elif actor is not None and not operations.may_manage(actor, person):
                result.notes.append(f"Kept {email}: only an administrator can deactivate a {person.perm.label.lower()}.")
            else:
                result.deactivated.append(
                    Change("deactivate", email, person.name, None, person, {"active": {"before": True, "after": False}})
                )

    admins = operations.active_admin_ids()
    losing = [c for c in result.deactivated if c.person is not None and c.person.id in admins]
    if admins and {c.person.id for c in losing} >= admins:
        keep = next((c for c in losing if c.row is None), None)
        if keep is None:
            result.errors.append(RosterError(losing[0].row.row, "active", "this would leave no active administrator"))
        else:
            result.deactivated.remove(keep)
            result.notes.append(f"Kept {keep.email}: the last active administrator.")
    return result


# --- applying ---------------------------------------------------------------------------------


def import_roster(
    data: bytes | str,
    *,
    actor: User | None,
    filename: str = "roster.csv",
    dry_run: bool = False,
    invite: bool = False,
    deactivate_missing: bool = False,
    expected: str | None = None,
) -> RosterImport:
    """Check the whole file, then (unless dry_run or any error) apply it in one transaction.

    expected: the fingerprint of a preview; when the plan now differs (someone changed people
    meanwhile), nothing is applied and the new plan is returned to be previewed again.
    """
    text = decode(data) if isinstance(data, bytes) else data
    rows, errors, notes = read_roster(text)
    result = plan_import(rows, actor, deactivate_missing=deactivate_missing) if not errors else RosterImport()
    result.errors = errors + result.errors
    result.notes = notes + result.notes
    if dry_run or result.errors or (expected is not None and expected != result.fingerprint):
        return result
    _apply(result, actor, filename=filename, invite=invite, deactivate_missing=deactivate_missing)
    return result


def _apply(result: RosterImport, actor: User | None, *, filename: str, invite: bool, deactivate_missing: bool) -> None:
    """Work out every row to write from what was read, then write them all in one short
    transaction of bulk statements, so other writers (sign-ins included) wait a moment at most.

    What it writes is what the one-person operations write (lms/people/operations.py):
    categories held at creation apply from the start date, categories added later from today,
    a corrected start date moves the categories held since the start, a leaver is signed out
    everywhere and their links stop working, each change is audited. Triggers move each
    person's data version as their category rows change, as for any other write.
    """
    writes = _Writes(actor, today=local_today(), now=utcnow())
    for change in result.created:
        writes.create(change)
    for change in result.updated + result.deactivated:
        writes.change(change)
    invitations = [_Invitation.prepare(change.row, actor, writes.now) for change in result.to_invite] if invite else []
    result.invited = len(invitations)
    summary = audit.entry(
        "roster.imported",
        actor=actor,
        filename=filename,
        created=len(result.created),
        updated=len(result.updated),
        unchanged=len(result.unchanged),
        deactivated=len(result.deactivated),
        invited=result.invited,
        deactivate_missing=deactivate_missing,
    )

    newcomers = _Rows(Standing.__table__)
    for email, rows in standing.rows_for_newcomers(writes.new_categories).items():
        for row in rows:
            newcomers.add({**row, "user_id": None}, email=email)
    writes.prepare(invitations, summary)

    if writes.admins_leaving:
        operations.check_admins_remain(writes.admins_leaving)
    writes.write(invitations)
    newcomers.execute(writes.created_ids, "user_id")
    _set_managers(result.managers)
    standing.refresh({change.person.id for change in result.updated + result.deactivated})
    db.session.flush()  # the invitations are queued: `lms deliver-mail` sends them after the commit
    result.applied = True


def _set_managers(pairs: list[tuple[str, str | None]]) -> None:
    """Each (person, manager) by email, once everyone in the file has an id: one statement."""
    if not pairs:
        return
    emails = {e for pair in pairs for e in pair if e}
    ids = dict(db.session.execute(select(User.email, User.id).where(User.email.in_(emails))).all())
    people = User.__table__
    db.session.execute(
        update(people).where(people.c.id == bindparam("person_id")).values(manager_id=bindparam("new_manager_id")),
        [{"person_id": ids[email], "new_manager_id": ids[manager] if manager else None} for email, manager in pairs],
    )


class _Writes:
    """The rows an import inserts, updates and deletes, gathered before any is written."""

    def __init__(self, actor: User | None, *, today: date, now):
        self.actor = actor
        self.today = today
        self.now = now
        self.new_people: list[dict] = []
        self.new_categories: list[tuple[str, date, tuple[str, ...]]] = []  # held from the start date
        self.created_audit: list[tuple[str, dict]] = []  # (email, audit row without its target)
        self.people: list[dict] = []  # updates of user rows
        self.moved: list[dict] = []  # category rows whose date moves with the start date
        self.removed: list[int] = []  # category rows removed
        self.added: list[dict] = []  # category rows added
        self.leaving: list[int] = []  # people whose sessions and links end
        self.admins_leaving: list[int] = []
        self.audit: list[dict] = []
        self.created_ids: dict[str, int] = {}  # email -> id, filled in by `write`
        self.raised: list[tuple[User, int]] = []  # (person, permission before) made Directors

    def create(self, change: Change) -> None:
        row = change.row
        active = row.active is not False
        # A Director oversees everyone's training from the start (a later import raises a
        # learner it names a Director the same way, and never lowers anyone).
        permission = Permission.DIRECTOR if "director" in row.categories else Permission.LEARNER
        self.new_people.append({
            "email": row.email,
            "name": row.name,
            "start_date": row.start_date,
            "permission": permission.value,
            "active": active,
            "deactivated_at": None if active else self.now,
            "session_token": new_session_token(),
        })
        self.new_categories.append((row.email, row.start_date, row.categories))
        changes = {**change.changes, "permission": {"before": None, "after": permission.name.lower()}}
        entry = audit.entry("person.created", actor=self.actor, email=row.email, source="import", changes=changes)
        self.created_audit.append((row.email, entry))

    def change(self, change: Change) -> None:
        person = change.person
        if change.row is None:  # absent from the file, with --deactivate-missing
            self._leave(person, {"active": False})
            self.audit.append(audit.entry(
                "person.deactivated", person, actor=self.actor, email=person.email, source="import",
                changes={"active": {"before": True, "after": False}},
            ))
            return
        row = change.row
        values = {"name": row.name, "start_date": row.start_date, "active": person.active}
        held = {r.category: r for r in person.category_rows}
        if row.start_date != person.start_date:
            for category_row in held.values():
                if category_row.added_on == person.start_date and category_row.category in row.categories:
                    self.moved.append({"row_id": category_row.id, "new_added_on": row.start_date})
        self.removed += [r.id for category, r in held.items() if category not in row.categories]
        self.added += [
            {"user_id": person.id, "category": category, "added_on": self.today}
            for category in sorted(set(row.categories) - held.keys())
        ]
        raised = _raised_permission(person, row)
        if raised is not None:
            values["permission"] = raised.value
            self.raised.append((person, int(person.permission)))
        if row.active is False and person.active:
            self._leave(person, values)
        else:
            if row.active and not person.active:
                values.update(active=True, deactivated_at=None)
            self.people.append({"person_id": person.id, **values})
        self.audit.append(audit.entry(
            "person.updated", person, actor=self.actor, email=person.email, source="import", changes=change.changes
        ))

    def _leave(self, person: User, values: dict) -> None:
        """A leaver: signed out everywhere, and their links stop working."""
        values.update(active=False, deactivated_at=self.now, session_token=new_session_token())
        self.people.append({"person_id": person.id, **values})
        self.leaving.append(person.id)
        if person.permission == Permission.ADMIN:
            self.admins_leaving.append(person.id)

    def prepare(self, invitations: list[_Invitation], summary: dict) -> None:
        """The biggest inserts drawn up, their values processed, before the transaction."""
        self.categories = _Rows(UserCategory.__table__)
        for email, start, categories in self.new_categories:
            for category in categories:
                self.categories.add({"user_id": None, "category": category, "added_on": start}, email=email)
        for row in self.added:
            self.categories.add(row)
        self.tokens = _Rows(Token.__table__)
        self.audit_rows = _Rows(AuditEvent.__table__)
        for email, entry in self.created_audit:
            self.audit_rows.add({**entry, "target_type": "user", "target_id": None, "at": self.now}, email=email)
        for entry in [*self.audit, summary]:
            self.audit_rows.add({**entry, "at": self.now})
        for i in invitations:
            self.tokens.add({**i.token, "user_id": None}, email=i.email)
            self.audit_rows.add({**i.audit, "target_type": "user", "target_id": None, "at": self.now}, email=i.email)

    def write(self, invitations: list[_Invitation]) -> None:
        """Every statement, in bulk."""
        ids: dict[str, int] = {}
        if self.new_people:
            # Each id comes back with its email, so the rows may come back in any order (which
            # lets the database insert them in batches).
            inserted = db.session.execute(insert(User.__table__).returning(User.id, User.email), self.new_people)
            ids = {email: person_id for person_id, email in inserted}
        people = User.__table__
        for columns, rows in _by_columns(self.people).items():
            db.session.execute(
                update(people).where(people.c.id == bindparam("person_id")).values(
                    {column: bindparam(f"new_{column}") for column in columns}
                ),
                rows,
            )
        held = UserCategory.__table__
        if self.moved:
            db.session.execute(
                update(held).where(held.c.id == bindparam("row_id")).values(added_on=bindparam("new_added_on")),
                self.moved,
            )
        if self.removed:
            db.session.execute(delete(held).where(held.c.id.in_(self.removed)))
        self.categories.execute(ids, "user_id")
        if self.leaving:
            db.session.execute(
                update(Token.__table__)
                .where(Token.user_id.in_(self.leaving), Token.used_at.is_(None))
                .values(used_at=self.now)
            )
        if invitations:
            self.tokens.execute(ids, "user_id")
            db.session.execute(insert(OutboxMessage.__table__), [i.message() for i in invitations])
        self.audit_rows.execute({email: str(person_id) for email, person_id in ids.items()}, "target_id")
        self.created_ids = ids
        for person, before in self.raised:  # a new Director's open sessions may need a second factor now
            person.permission = Permission.DIRECTOR  # as the bulk UPDATE above stored it
            second_factor.permission_raised(person, before)


class _Rows:
    """Rows for one table's bulk insert, their values put through SQLAlchemy's bind processors
    for this database as they are added, so that inside the transaction only the driver's
    executemany runs: processing tens of thousands of rows' dates and JSON was otherwise most
    of the time the write lock was held. The statement is SQLAlchemy's own INSERT, compiled.

    A row added with an email gets a person's id, known once the people are inserted, in the
    one column named at `execute`.
    """

    def __init__(self, table):
        self.table = table
        self.dialect = db.session.get_bind().dialect
        self.columns: list[str] = []
        self.processors: dict = {}
        self.rows: list[dict] = []
        self.late: list[tuple[dict, str]] = []

    def _processor(self, column: str):
        if column not in self.processors:
            kind = self.table.c[column].type.dialect_impl(self.dialect)
            self.processors[column] = kind.bind_processor(self.dialect) or (lambda value: value)
        return self.processors[column]

    def add(self, row: dict, email: str | None = None) -> None:
        if not self.columns:
            self.columns = list(row)
        values = {column: self._processor(column)(row[column]) for column in self.columns}
        self.rows.append(values)
        if email is not None:
            self.late.append((values, email))

    def execute(self, ids: dict[str, object], column: str) -> None:
        if not self.rows:
            return
        process = self._processor(column)
        for values, email in self.late:
            values[column] = process(ids[email])
        compiled = insert(self.table).values({c: bindparam(c) for c in self.columns}).compile(dialect=self.dialect)
        order = compiled.positiontup
        params = [tuple(values[c] for c in order) for values in self.rows] if order else self.rows
        db.session.connection().exec_driver_sql(compiled.string, params)


def _by_columns(rows: list[dict]) -> dict[tuple[str, ...], list[dict]]:
    """Updates grouped by the columns they set, one executemany each; the new values are bound
    as new_<column> (a bound name may not be a column's own)."""
    groups: dict[tuple[str, ...], list[dict]] = {}
    for row in rows:
        columns = tuple(sorted(k for k in row if k != "person_id"))
        groups.setdefault(columns, []).append(
            {"person_id": row["person_id"], **{f"new_{column}": row[column] for column in columns}}
        )
    return groups


@dataclass
class _Invitation:
    """An invitation drawn up before anything is written: its link, email and audit row."""

    email: str
    token: dict  # the token row but its person's id
    subject: str
    body: str
    audit: dict

    @classmethod
    def prepare(cls, row: RosterRow, invited_by: User | None, now) -> _Invitation:
        """As accounts.invite draws up an invitation: a one-time link valid INVITE_DAYS."""
        days = current_app.config["INVITE_DAYS"]
        raw = secrets.token_urlsafe(32)
        link = external_url("auth.accept_invitation", token=raw)
        person = {"name": row.name, "email": row.email}
        return cls(
            email=row.email,
            token={
                "purpose": TokenPurpose.INVITE.value,
                "token_hash": accounts.key_digest(raw),
                "created_at": now,
                "expires_at": now + timedelta(days=days),
            },
            subject=f"Your {current_app.config['ORG_NAME']} training account",
            body=render_template("email/invitation.txt", user=person, link=link, days=days, invited_by=invited_by),
            audit=audit.entry("person.invited", email=row.email),
        )

    def message(self) -> dict:
        return outbox_row(self.email, self.subject, self.body)

