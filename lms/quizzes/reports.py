"""Quiz results for leads and admins: each quiz's summary, people's best results and how
each question is answered."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from ..extensions import db
from ..models import (
    Quiz,
    QuizAttempt,
    QuizQuestion,
    QuizResponse,
    QuizVersion,
    User,
)
from ..models.quiz import (
    SUBMITTED,
)

# -- results for leads and admins ------------------------------------------------------------


@dataclass
class QuizSummary:
    quiz: Quiz
    attempts: int
    people: int
    passed: int


def quiz_summaries() -> list[QuizSummary]:
    """Every active quiz with its submitted attempts, people and people who passed."""
    quizzes = db.session.scalars(
        select(Quiz)
        .join(Quiz.current_version)
        .options(contains_eager(Quiz.current_version))
        .where(Quiz.archived.is_(False))
        .order_by(QuizVersion.title)
    ).all()
    passed_user = db.case((QuizAttempt.passed.is_(True), QuizAttempt.user_id), else_=None)
    counts = {
        quiz_id: (attempts, people, passed)
        for quiz_id, attempts, people, passed in db.session.execute(
            select(
                QuizAttempt.quiz_id,
                func.count(),
                func.count(QuizAttempt.user_id.distinct()),
                func.count(passed_user.distinct()),
            )
            .where(QuizAttempt.state == SUBMITTED)
            .group_by(QuizAttempt.quiz_id)
        )
    }
    return [QuizSummary(q, *counts.get(q.id, (0, 0, 0))) for q in quizzes]


def people_results_query(quiz: Quiz):
    """Per person: best score, attempts, the date of their latest pass; by name."""
    passed_at = func.max(
        db.case((QuizAttempt.passed.is_(True), QuizAttempt.submitted_at), else_=None)
    )
    return (
        select(
            User.id,
            User.name,
            User.email,
            func.max(QuizAttempt.score).label("best"),
            func.count().label("attempts"),
            passed_at.label("passed_at"),
        )
        .join(User, User.id == QuizAttempt.user_id)
        .where(QuizAttempt.quiz_id == quiz.id, QuizAttempt.state == SUBMITTED)
        .group_by(User.id, User.name, User.email)
        .order_by(User.name, User.id)
    )


def people_count(quiz: Quiz) -> int:
    return db.session.scalar(
        select(func.count(QuizAttempt.user_id.distinct())).where(
            QuizAttempt.quiz_id == quiz.id, QuizAttempt.state == SUBMITTED
        )
    ) or 0


@dataclass
class QuestionStat:
    qid: str
    text: str
    drawn: int
    right: int

    @property
    def share_right(self) -> int:
        return round(100 * self.right / self.drawn) if self.drawn else 0


def question_stats(quiz: Quiz) -> list[QuestionStat]:
    """Per question (by its stable id, across versions): how many drew it and how many
    answered it right; the least often right first, so confusing questions stand out."""
    qids = dict(
        db.session.execute(
            select(QuizQuestion.id, QuizQuestion.qid)
            .join(QuizVersion, QuizVersion.id == QuizQuestion.version_id)
            .where(QuizVersion.quiz_id == quiz.id)
        ).all()
    )
    totals: dict[str, list[int]] = {}
    # An index-only read of (question_id, correct) for this quiz's questions.
    for question_id, drawn, right in db.session.execute(
        select(QuizResponse.question_id, func.count(), func.sum(db.cast(QuizResponse.correct, db.Integer)))
        .where(QuizResponse.question_id.in_(list(qids)))
        .group_by(QuizResponse.question_id)
    ):
        total = totals.setdefault(qids[question_id], [0, 0])
        total[0] += drawn
        total[1] += int(right or 0)
    texts = {q.qid: q.text for q in quiz.current_version.questions}
    stats = [
        QuestionStat(qid, texts.get(qid, "(no longer in the quiz)"), n, r)
        for qid, (n, r) in totals.items()
    ]
    stats.sort(key=lambda s: (s.right / s.drawn if s.drawn else 1, s.qid))
    return stats
