"""Personal data: the subject access export and the anonymisation of old leavers.

Each kind of personal data the LMS holds is a `PersonalDataSource` in `SOURCES`. The export
writes one JSON file per source (and any files a source returns, under a folder of its
name); purging calls each source's `purge`. A module that stores more about a person
(evidence uploads, quiz attempts, attestations...) registers its own source when it is
imported, so both the export and the purge cover it without changes here:

    from lms.people.personal_data import PersonalDataSource, register
    register(PersonalDataSource("evidence", "Uploaded certificates", export=..., files=..., purge=...))
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, func, or_, select

from .. import audit
from ..extensions import db
from ..models import AuditEvent, OutboxMessage, Permission, Token, User, new_session_token, utcnow
from ..models.content import Completion
from ..models.records import ReminderLog

Exporter = Callable[[User], Any]  # returns something json.dumps can write
FileLister = Callable[[User], Iterable[tuple[str, bytes]]]  # (name in the ZIP folder, content)
Purger = Callable[[User], None]  # erases or anonymises; the caller commits


@dataclass(frozen=True)
class PersonalDataSource:
    name: str  # the JSON file's name in the ZIP, and the folder of its files
    description: str
    export: Exporter
    files: FileLister | None = None
    purge: Purger | None = None


SOURCES: dict[str, PersonalDataSource] = {}


def register(source: PersonalDataSource) -> None:
    if source.name in SOURCES and SOURCES[source.name] != source:
        raise ValueError(f"a personal data source named {source.name!r} is registered already")
    SOURCES[source.name] = source


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _row(obj: Any, columns: Iterable[str]) -> dict[str, Any]:
    return {c: _iso(getattr(obj, c)) for c in columns}


# --- the sources this module knows -------------------------------------------------------------


def _profile(person: User) -> dict[str, Any]:
    data = _row(person, ("id", "name", "email", "start_date", "active", "created_at", "last_login_at", "deactivated_at", "anonymised_at"))
    data["permission"] = person.perm.name.lower()
    data["categories"] = [{"category": r.category, "added_on": r.added_on.isoformat()} for r in person.category_rows]
    data["has_password"] = person.has_password
    return data


def _completions(person: User) -> list[dict[str, Any]]:
    rows = db.session.scalars(select(Completion).where(Completion.user_id == person.id).order_by(Completion.id))
    return [_row(c, ("kind", "ref", "completed_on", "recorded_at", "source", "content_version", "note")) for c in rows]


def _reminders(person: User) -> list[dict[str, Any]]:
    rows = db.session.scalars(select(ReminderLog).where(ReminderLog.user_id == person.id).order_by(ReminderLog.id))
    return [_row(r, ("kind", "ref", "sent_on", "sent_at")) for r in rows]


def _emails(person: User) -> list[dict[str, Any]]:
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == person.email).order_by(OutboxMessage.id))
    return [_row(m, ("recipient", "subject", "body", "created_at", "sent_at")) for m in rows]


def _purge_emails(person: User) -> None:
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.recipient == person.email))


def _links(person: User) -> list[dict[str, Any]]:
    rows = db.session.scalars(select(Token).where(Token.user_id == person.id).order_by(Token.id))
    return [_row(t, ("purpose", "created_at", "expires_at", "used_at")) for t in rows]


def _purge_links(person: User) -> None:
    db.session.execute(delete(Token).where(Token.user_id == person.id))


def _audit(person: User) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(AuditEvent)
        .where(or_(AuditEvent.actor_id == person.id, (AuditEvent.target_type == "user") & (AuditEvent.target_id == str(person.id))))
        .order_by(AuditEvent.id)
    )
    return [
        {**_row(e, ("at", "action", "address", "target_type", "target_id", "details")), "by_this_person": e.actor_id == person.id}
        for e in rows
    ]


for _source in (
    PersonalDataSource("profile", "Name, email, start date, categories, permission and account dates", _profile),
    PersonalDataSource("completions", "Training completed: the ledger the compliance reports read", _completions),
    PersonalDataSource("reminders", "Training reminders sent", _reminders),
    PersonalDataSource("emails", "Emails the LMS sent to this address", _emails, purge=_purge_emails),
    PersonalDataSource("links", "Invitation and password reset links (when made and used, not the links)", _links, purge=_purge_links),
    PersonalDataSource("audit", "Audit log entries about this person or made by them", _audit),
):
    register(_source)


# --- export ------------------------------------------------------------------------------------


def export_zip(person: User, actor: User | None) -> bytes:
    """A ZIP of JSON, one file per source, plus files under each source's folder."""
    buffer = io.BytesIO()
    manifest = {
        "person_id": person.id,
        "exported_at": utcnow().isoformat(),
        "organisation": current_app.config["ORG_NAME"],
        "contents": {},
    }
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, source in SOURCES.items():
            archive.writestr(f"{name}.json", json.dumps(source.export(person), indent=2, ensure_ascii=False, default=str))
            entry = {"description": source.description, "file": f"{name}.json"}
            if source.files is not None:
                names = []
                for filename, content in source.files(person):
                    path = f"{name}/{filename}"
                    archive.writestr(path, content)
                    names.append(path)
                entry["files"] = names
            manifest["contents"][name] = entry
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
    audit.record("person.data_exported", person, actor=actor, sources=sorted(SOURCES))
    db.session.flush()
    return buffer.getvalue()


# --- purge -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Leaver:
    person: User
    last_activity: date


def last_activity(people: list[User]) -> dict[int, date]:
    """The latest of leaving, signing in and completing anything, per person."""
    ids = [p.id for p in people]
    latest_completion: dict[int, date] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        latest_completion.update(
            db.session.execute(
                select(Completion.user_id, func.max(Completion.completed_on)).where(Completion.user_id.in_(chunk)).group_by(Completion.user_id)
            ).all()
        )
    result = {}
    for p in people:
        dates = [d.date() for d in (p.deactivated_at, p.last_login_at, p.created_at) if d is not None]
        if p.id in latest_completion:
            dates.append(latest_completion[p.id])
        result[p.id] = max(dates)
    return result


def leavers_to_purge(older_than_years: int, today: date) -> list[Leaver]:
    cutoff = today - timedelta(days=round(365.25 * older_than_years))
    people = list(
        db.session.scalars(
            select(User).where(User.active.is_(False), User.anonymised_at.is_(None)).order_by(User.deactivated_at, User.id)
        )
    )
    activity = last_activity(people)
    return [Leaver(p, activity[p.id]) for p in people if activity[p.id] < cutoff]


def anonymise(person: User, actor: User | None) -> None:
    """Erase who the person was; keep what reports count (categories, start date, the ledger)."""
    for source in SOURCES.values():
        if source.purge is not None:
            source.purge(person)
    person.name = f"Former member #{person.id}"
    person.email = f"former-{person.id}@anonymised.invalid"
    person.password_hash = None
    person.session_token = new_session_token()
    person.last_login_at = None
    person.permission = Permission.LEARNER.value
    person.anonymised_at = utcnow()
    audit.record("person.anonymised", person, actor=actor)


def purge_leavers(older_than_years: int, today: date, *, dry_run: bool = False, actor: User | None = None) -> list[Leaver]:
    leavers = leavers_to_purge(older_than_years, today)
    if dry_run:
        return leavers
    for leaver in leavers:
        anonymise(leaver.person, actor)
    if leavers:
        audit.record("people.purged", actor=actor, count=len(leavers), older_than_years=older_than_years)
    db.session.flush()
    return leavers
