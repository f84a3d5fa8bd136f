"""What a result page shows: the score, and each question's answer and feedback, with the
correct answers when the quiz's review setting allows."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from ..extensions import db
from ..models import (
    Course,
    Lesson,
    QuizAttempt,
    QuizQuestion,
    QuizResponse,
    QuizVersion,
    User,
)
from ..models.quiz import (
    REVIEW_AFTER_PASS,
    REVIEW_ALWAYS,
    REVIEW_DEFAULT,
    REVIEW_NEVER,
)
from .attempts import QuizProgress, course_for_quiz, drawn_questions, progress

# -- the result ------------------------------------------------------------------------------


@dataclass
class ReviewOption:
    index: int
    text: str
    chosen: bool
    correct: bool


@dataclass
class ReviewedQuestion:
    position: int
    question: QuizQuestion
    options: list[ReviewOption]  # in the order shown
    score: float
    correct: bool

    @property
    def answered(self) -> bool:
        return any(o.chosen for o in self.options)

    @property
    def verdict(self) -> str:
        if self.correct:
            return "Right"
        if not self.answered:
            return "Not answered"
        return "Partly right" if self.score > 0 else "Wrong"


@dataclass
class Result:
    attempt: QuizAttempt
    questions: list[ReviewedQuestion]
    show_correct: bool
    progress: QuizProgress
    reread: tuple[Course, list[Lesson]] | None = None
    right: int = field(init=False)

    def __post_init__(self) -> None:
        self.right = sum(q.correct for q in self.questions)


def review_mode(version: QuizVersion) -> str:
    rule = version.review_rule
    return rule.review if rule is not None else REVIEW_DEFAULT


def shows_correct_answers(mode: str, passed: bool, remaining: int | None) -> bool:
    """Whether a result page shows the correct answers (the pack's `review` setting)."""
    if mode == REVIEW_ALWAYS:
        return True
    if mode == REVIEW_NEVER:
        return False
    if mode == REVIEW_AFTER_PASS:
        return passed
    return passed or remaining == 0


def result(user: User, attempt: QuizAttempt) -> Result:
    responses = {
        r.position: r
        for r in db.session.scalars(
            select(QuizResponse).where(QuizResponse.attempt_id == attempt.id)
        )
    }
    reviewed = []
    for position, (question, order) in enumerate(drawn_questions(attempt), start=1):
        response = responses.get(position)
        chosen = {int(c) for c in response.chosen} if response else set()
        reviewed.append(
            ReviewedQuestion(
                position=position,
                question=question,
                options=[
                    ReviewOption(i, question.options[i]["text"], i in chosen,
                                 bool(question.options[i]["correct"]))
                    for i in order
                ],
                score=response.score if response else 0.0,
                correct=bool(response and response.correct),
            )
        )
    current = progress(user, attempt.quiz)
    show = shows_correct_answers(review_mode(attempt.version), bool(attempt.passed), current.remaining)
    reread = None if attempt.passed else course_for_quiz(attempt.quiz)
    return Result(attempt, reviewed, show, current, reread)
