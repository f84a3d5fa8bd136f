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
from . import grading
from .attempts import QuizProgress, course_for_quiz, drawn_questions, progress

# -- the result ------------------------------------------------------------------------------


@dataclass
class ReviewOption:
    index: int
    text: str
    chosen: bool
    correct: bool
    feedback: str | None = None


@dataclass
class ReviewPair:
    """A matching question's prompt, the answer chosen for it and the right one."""

    prompt: str
    chosen: str | None
    match: str

    @property
    def right(self) -> bool:
        return self.chosen == self.match


@dataclass
class ReviewedQuestion:
    position: int
    question: QuizQuestion
    options: list[ReviewOption]  # in the order shown (choice types)
    score: float
    correct: bool
    given: str = ""  # the text typed (short answer, numerical)
    pairs: list[ReviewPair] = field(default_factory=list)  # matching, in the order shown
    answer_feedback: list[str] = field(default_factory=list)  # written for the answer given

    @property
    def answered(self) -> bool:
        if grading.kind(self.question) == "text":
            return bool(self.given.strip())
        if self.pairs:
            return any(p.chosen is not None for p in self.pairs)
        return any(o.chosen for o in self.options)

    @property
    def accepted(self) -> list[str]:
        """The answers that earn the whole mark (short answer, numerical)."""
        return [o["text"] for o in self.question.options if o["correct"]]

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
        answer = (
            grading.restored(question, response.chosen, response.answer)
            if response else grading.empty(question)
        )
        item = ReviewedQuestion(
            position=position,
            question=question,
            options=[],
            score=response.score if response else 0.0,
            correct=bool(response and response.correct),
            answer_feedback=grading.answer_feedback(question, answer),
        )
        kind = grading.kind(question)
        if kind == "text":
            item.given = answer
        elif kind == grading.MATCHING:
            choices = grading.matching_choices(question)
            item.pairs = [
                ReviewPair(
                    question.options[i]["text"],
                    None if i >= len(answer) or answer[i] is None else choices[answer[i]],
                    question.options[i]["match"],
                )
                for i in order
            ]
        else:
            item.options = [
                ReviewOption(i, question.options[i]["text"], i in answer,
                             bool(question.options[i]["correct"]), question.options[i].get("feedback"))
                for i in order
            ]
        reviewed.append(item)
    current = progress(user, attempt.quiz)
    show = shows_correct_answers(review_mode(attempt.version), bool(attempt.passed), current.remaining)
    reread = None if attempt.passed else course_for_quiz(attempt.quiz)
    return Result(attempt, reviewed, show, current, reread)
