"""Reading the audit log: filters shared by the page and its CSV export."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased

from ..csvexport import CsvWriter
from ..extensions import db
from ..models import AuditEvent, User


@dataclass(frozen=True)
class AuditFilters:
    action: str = ""
    actor: str = ""  # part of the actor's name or email
    person_id: int | None = None  # the person the change was about
    date_from: date | None = None
    date_to: date | None = None


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(current_app.config["TIMEZONE"]))


def query(filters: AuditFilters) -> Select:
    q = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if filters.action:
        q = q.where(AuditEvent.action == filters.action)
    if filters.actor:
        actor = aliased(User)
        like = f"%{filters.actor.lower()}%"
        q = q.join(actor, AuditEvent.actor_id == actor.id).where(
            func.lower(actor.name).like(like) | actor.email.like(like)
        )
    if filters.person_id is not None:
        q = q.where(AuditEvent.target_type == "user", AuditEvent.target_id == str(filters.person_id))
    if filters.date_from:
        q = q.where(AuditEvent.at >= _local_midnight(filters.date_from))
    if filters.date_to:
        q = q.where(AuditEvent.at < _local_midnight(filters.date_to + timedelta(days=1)))
    return q


def csv_lines(filters: AuditFilters) -> Iterator[str]:
    """The filtered log as CSV, newest first, read in batches."""
    writer = CsvWriter()
    writer.row(["when_utc", "actor_email", "address", "action", "target_type", "target_id", "details"])
    yield writer.take()
    actor = aliased(User)
    q = query(filters).add_columns(actor.email).outerjoin(actor, AuditEvent.actor_id == actor.id)
    for event, actor_email in db.session.execute(q.execution_options(yield_per=1000)):
        writer.row(
            [
                event.at.isoformat(),
                actor_email or "",
                event.address or "",
                event.action,
                event.target_type or "",
                event.target_id or "",
                json.dumps(event.details, ensure_ascii=False, sort_keys=True, default=str),
            ]
        )
        yield writer.take()
