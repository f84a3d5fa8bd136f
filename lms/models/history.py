"""Compliance over time: one snapshot a day of each requirement's counts by status.

A snapshot is written once for its day and never changed or removed: later changes to
people or the ledger move today's standing, not the history (lms/oversight/history.py).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class ComplianceSnapshot(db.Model):
    """The day a snapshot is of, when and how it was taken, and how many people it counts.

    `source`: "daily" (the daily run), "dashboard" (the day's first dashboard view, when the
    run had not happened yet) or "rebuilt" (worked out from the ledger when the feature was
    installed)."""

    __tablename__ = "compliance_snapshot"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(unique=True)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(16))
    people: Mapped[int]


class ComplianceCount(db.Model):
    """One requirement's counts by status in one snapshot (a column per status of the rule)."""

    __tablename__ = "compliance_count"
    __table_args__ = (UniqueConstraint("snapshot_id", "kind", "ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("compliance_snapshot.id"))
    kind: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(80))
    complete: Mapped[int]
    expiring: Mapped[int]
    pending: Mapped[int]
    due: Mapped[int]
    overdue: Mapped[int]
    expired: Mapped[int]


@event.listens_for(Session, "before_flush")
def _refuse_history_changes(session, flush_context, instances) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, ComplianceSnapshot | ComplianceCount) and (obj in session.deleted or session.is_modified(obj)):
            raise ValueError("compliance history is never rewritten")
