"""A person's quiz attempts and answers, for the subject access export."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import User
from ..models.quiz import QuizAttempt
from ..people.personal_data import PersonalDataSource, _row, register


def _attempts(person: User) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(QuizAttempt)
        .where(QuizAttempt.user_id == person.id)
        .options(selectinload(QuizAttempt.quiz), selectinload(QuizAttempt.responses))
        .order_by(QuizAttempt.id)
    )
    return [
        {
            **_row(a, ("number", "state", "started_at", "submitted_at", "score", "passed")),
            "quiz": a.quiz.slug,
            "responses": [_row(r, ("position", "question_id", "chosen", "answer", "score", "correct")) for r in a.responses],
        }
        for a in rows
    ]


register(PersonalDataSource("quiz_attempts", "Quiz attempts and answers", export=_attempts))
