"""Reminders sent: each scheduled reminder point once, and what the person's page lists."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class ReminderLog(db.Model):
    """One reminder about one item of one person (kind "digest": a lead's overdue digest).

    `point` names the scheduled reminder (lms/records/reminders.py), like
    "deadline:2027-02-12:7" (7 days before that deadline), "overdue:2027-02-12:3" (the
    fourth week overdue) or "manager:2027-02-12:0" (the line manager told): unique per
    person and item, so no point is sent twice. A lead's reminder sent by hand has none.
    `recipient_id` is who was emailed when it was not the person (their line manager)."""

    __tablename__ = "reminder_log"
    __table_args__ = (
        Index(None, "user_id", "kind", "ref", "sent_on"),
        Index("uq_reminder_log_point", "user_id", "kind", "ref", "point", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(80))
    sent_on: Mapped[date]
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # None: the daily run
    point: Mapped[str | None] = mapped_column(String(40))
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
