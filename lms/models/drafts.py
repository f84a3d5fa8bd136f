"""Answers saved while an attempt is in progress, so that a person who closes the browser
and comes back finds the same draw with the answers they had given."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class QuizDraftAnswer(db.Model):
    """One drawn question's answer as last saved, before the attempt is submitted.

    `fields` holds the answer as the page's form sent it: {field name: [values]}, so any
    question type's fields are kept as they were given and read back through the same
    checks as a submission. Removed when the attempt is submitted; the graded answers are
    then `quiz_response` rows. `user_id` is the attempt's person: saving moves their data
    version (lms/models/versioning.py), so their quiz page shows what was saved.
    """

    __tablename__ = "quiz_draft_answer"

    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempt.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("quiz_question.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    fields: Mapped[dict[str, list[str]]] = mapped_column(JSON)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
