"""Each person's standing on each requirement of their plan: the dates the status rule needs.

Dates are stored, statuses are not: a status depends on the day it is asked about, and is
worked out from these dates (in SQL for reports, lms/plan/standing.py; in Python for one
person, lms/plan/status.py). One operation writes these rows (`lms.plan.standing.refresh`).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class Standing(db.Model):
    __tablename__ = "standing"
    __table_args__ = (
        UniqueConstraint("user_id", "kind", "ref"),
        Index(None, "kind", "ref"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(80))
    applies_from: Mapped[date]
    deadline: Mapped[date]
    completed_on: Mapped[date | None]  # the latest completion that counts
    valid_until: Mapped[date | None]  # None with a completion: it never lapses
    pending: Mapped[bool] = mapped_column(default=False)  # evidence awaits a lead
