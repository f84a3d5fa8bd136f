"""Quiz attempts: what each attempt drew, in what order, against which version, and what
the person answered. An attempt moves in_progress -> submitted once, and never back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from ..extensions import db
from .content import Quiz, QuizQuestion, QuizVersion
from .people import User
from .types import UTCDateTime, utcnow

IN_PROGRESS = "in_progress"
SUBMITTED = "submitted"

REVIEW_ALWAYS = "always"
REVIEW_AFTER_PASS = "after_pass"  # noqa: S105 (a setting, not a password)
REVIEW_NEVER = "never"
REVIEW_DEFAULT = "default"  # no `review` in the pack: after a pass, or when no attempts remain


class QuizReview(db.Model):
    """A quiz version's `review` setting: when the result page shows the correct answers.
    A version without one uses the default (after a pass, or when no attempts remain)."""

    __tablename__ = "quiz_review"

    version_id: Mapped[int] = mapped_column(ForeignKey("quiz_version.id"), primary_key=True)
    review: Mapped[str] = mapped_column(String(16))

    version: Mapped[QuizVersion] = relationship(
        backref=backref("review_rule", uselist=False, cascade="all, delete-orphan")
    )


class QuizAttempt(db.Model):
    """One attempt at a quiz by one person, numbered 1, 2, 3... per person and quiz.

    `draw` is what the attempt drew, in the order shown: a list of
    [quiz_question.id, option order], the order a string of the options' indexes in the
    pack ("2013": the pack's third option first). Never redrawn once stored.
    """

    __tablename__ = "quiz_attempt"
    __table_args__ = (
        # One number per attempt: two tabs starting at once cannot both make attempt n.
        # Also the index for a person's attempts at a quiz.
        UniqueConstraint("user_id", "quiz_id", "number"),
        # Covers the results pages (per quiz, per person: attempts, best score, last pass)
        # so they read the index alone, not the rows with their draws.
        Index(None, "quiz_id", "user_id", "state", "passed", "score", "submitted_at"),
        # The question figures' window: a quiz's attempts submitted since a day, by score.
        Index("ix_quiz_attempt_window", "quiz_id", "state", "submitted_at", "score", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("quiz_version.id"), index=True)
    number: Mapped[int]
    state: Mapped[str] = mapped_column(String(16), default=IN_PROGRESS)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    score: Mapped[float | None] = mapped_column(Float)  # percent of the questions drawn
    passed: Mapped[bool | None]
    draw: Mapped[list[list[Any]]] = mapped_column(JSON)

    user: Mapped[User] = relationship()
    quiz: Mapped[Quiz] = relationship()
    version: Mapped[QuizVersion] = relationship()
    responses: Mapped[list[QuizResponse]] = relationship(
        order_by="QuizResponse.position", back_populates="attempt"
    )

    @property
    def submitted(self) -> bool:
        return self.state == SUBMITTED


class QuizResponse(db.Model):
    """The answer to one drawn question of a submitted attempt (unanswered: `chosen` "").
    A matching question's `chosen` holds one answer index per prompt ("-": none)."""

    __tablename__ = "quiz_response"
    __table_args__ = (
        Index(None, "question_id", "correct"),
        # The question figures read each attempt's answers from this index alone: without
        # it PostgreSQL scans every response to join the window's attempts.
        Index("ix_quiz_response_answers", "attempt_id", "question_id", "chosen", "correct"),
    )

    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempt.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)  # 1, 2, 3... as shown
    question_id: Mapped[int] = mapped_column(ForeignKey("quiz_question.id"))
    chosen: Mapped[str] = mapped_column(String(16))  # the pack's option indexes, "02"
    # The text typed for a short-answer or numerical question (lms/quizzes/grading.py);
    # None for the other types, and for every row stored before they existed.
    answer: Mapped[str | None] = mapped_column(Text)
    score: Mapped[float] = mapped_column(Float)  # 0 to 1
    correct: Mapped[bool]  # full marks

    attempt: Mapped[QuizAttempt] = relationship(back_populates="responses")
    question: Mapped[QuizQuestion] = relationship()
