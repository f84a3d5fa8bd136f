"""Taking a quiz: finding it, starting an attempt (the draw), reading and grading the
answers, and recording a submission exactly once."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from ..dates import local_today
from ..extensions import db
from ..models import (
    Completion,
    Course,
    CourseVersion,
    Lesson,
    Quiz,
    QuizAttempt,
    QuizQuestion,
    QuizResponse,
    QuizVersion,
    User,
    utcnow,
)
from ..models.quiz import (
    IN_PROGRESS,
    SUBMITTED,
)
from ..plan.standing import refresh as refresh_standing
from ..transaction import DomainError, NotFound
from . import grading

_random = random.SystemRandom()


class SubmissionRefused(DomainError):
    """A submission that records nothing, with the reason in words for the person."""

    status = 400


class Tampered(SubmissionRefused):
    """Answers naming questions or options the attempt did not draw."""


class NoAttemptsLeft(SubmissionRefused):
    status = 403


class AlreadySubmitted(SubmissionRefused):
    status = 409


# -- finding things ------------------------------------------------------------------------


def active_quiz(slug: str) -> Quiz:
    """The quiz with this slug and its current version, or 404 (also when archived)."""
    quiz = db.session.scalar(
        select(Quiz)
        .join(Quiz.current_version)
        .options(contains_eager(Quiz.current_version))
        .where(Quiz.slug == slug, Quiz.archived.is_(False))
    )
    if quiz is None:
        raise NotFound()
    return quiz


def own_attempt(user: User, slug: str, attempt_id: int) -> QuizAttempt:
    """The person's own attempt at this quiz, with its quiz and version; 404 for anyone
    else's (whether it exists is nobody else's business)."""
    attempt = db.session.scalar(
        select(QuizAttempt)
        .join(QuizAttempt.quiz)
        .join(QuizAttempt.version)
        .options(contains_eager(QuizAttempt.quiz), contains_eager(QuizAttempt.version))
        .where(QuizAttempt.id == attempt_id, QuizAttempt.user_id == user.id, Quiz.slug == slug)
    )
    if attempt is None:
        raise NotFound()
    return attempt


def attempts_of(user: User, quiz: Quiz) -> list[QuizAttempt]:
    """The person's attempts at a quiz, newest first."""
    return list(
        db.session.scalars(
            select(QuizAttempt)
            .where(QuizAttempt.user_id == user.id, QuizAttempt.quiz_id == quiz.id)
            .order_by(QuizAttempt.number.desc())
        )
    )


@dataclass
class QuizProgress:
    """Where a person stands with one quiz: their attempts and what they may do next."""

    quiz: Quiz
    attempts: list[QuizAttempt]  # newest first

    @property
    def version(self) -> QuizVersion:
        return self.quiz.current_version

    @property
    def in_progress(self) -> QuizAttempt | None:
        return next((a for a in self.attempts if a.state == IN_PROGRESS), None)

    @property
    def submitted(self) -> list[QuizAttempt]:
        return [a for a in self.attempts if a.state == SUBMITTED]

    @property
    def used(self) -> int:
        return len(self.attempts)

    @property
    def remaining(self) -> int | None:
        """Attempts left to start; None when unlimited."""
        limit = self.version.max_attempts
        return None if limit == 0 else max(limit - self.used, 0)

    @property
    def passed(self) -> QuizAttempt | None:
        """The latest passed attempt."""
        return next((a for a in self.submitted if a.passed), None)

    @property
    def best(self) -> float | None:
        scores = [a.score for a in self.submitted if a.score is not None]
        return max(scores) if scores else None

    @property
    def can_start(self) -> bool:
        return self.in_progress is not None or self.remaining != 0


def progress(user: User, quiz: Quiz) -> QuizProgress:
    return QuizProgress(quiz, attempts_of(user, quiz))


def course_for_quiz(quiz: Quiz) -> tuple[Course, list[Lesson]] | None:
    """The active course this quiz belongs to and its current lessons: what to read again."""
    course = db.session.scalar(
        select(Course)
        .join(Course.current_version)
        .options(contains_eager(Course.current_version))
        .where(Course.archived.is_(False), CourseVersion.quiz_slug == quiz.slug)
        .order_by(CourseVersion.order, Course.id)
        .limit(1)
    )
    if course is None:
        return None
    return course, list(course.current_version.lessons)


# -- starting ------------------------------------------------------------------------------


def draw_questions(version: QuizVersion, rng: random.Random = _random) -> list[list]:
    """Draw `version.draw` questions from the pool; shuffle questions and options when the
    quiz says so. True/false options keep their True, False order."""
    pool = list(version.questions)
    count = min(version.draw, len(pool))
    if version.shuffle:
        chosen = rng.sample(pool, count)
    else:
        chosen = sorted(rng.sample(pool, count), key=lambda q: q.position)
    draw = []
    for question in chosen:
        order = list(range(len(question.options)))
        if version.shuffle and question.type != "true_false":
            rng.shuffle(order)
        draw.append([question.id, "".join(str(i) for i in order)])
    return draw


def start_attempt(user: User, quiz: Quiz) -> QuizAttempt:
    """The person's attempt in progress, or a new one with a fresh draw.

    Raises NoAttemptsLeft after the last allowed attempt. Two requests starting at once
    make one attempt: the (person, quiz, number) key lets only one of them in.
    """
    for _ in range(3):
        current = progress(user, quiz)
        if current.in_progress is not None:
            return current.in_progress
        if current.remaining == 0:
            raise NoAttemptsLeft(_no_attempts_message(current.version.max_attempts))
        number = max((a.number for a in current.attempts), default=0) + 1
        version = quiz.current_version
        attempt = QuizAttempt(
            user_id=user.id,
            quiz_id=quiz.id,
            version_id=version.id,
            number=number,
            state=IN_PROGRESS,
            draw=draw_questions(version),
        )
        try:
            with db.session.begin_nested():
                db.session.add(attempt)
        except IntegrityError:
            continue  # the same person's other request made it: use that one
        return attempt
    raise SubmissionRefused("The quiz could not be started. Please try again.")


def _no_attempts_message(limit: int) -> str:
    s = "" if limit == 1 else "s"
    return (
        f"You have used all {limit} attempt{s} this quiz allows, so nothing more can be "
        "recorded. Ask your Safeguarding Lead if you need another."
    )


# -- answering and grading -----------------------------------------------------------------


def drawn_questions(attempt: QuizAttempt) -> list[tuple[QuizQuestion, list[int]]]:
    """The attempt's questions in the order shown, each with its options' order."""
    ids = [qid for qid, _ in attempt.draw]
    by_id = {
        q.id: q for q in db.session.scalars(select(QuizQuestion).where(QuizQuestion.id.in_(ids)))
    }
    return [(by_id[qid], [int(c) for c in order]) for qid, order in attempt.draw]


def field_name(question: QuizQuestion) -> str:
    return f"q-{question.qid}"


def parse_answers(
    form: Mapping, questions: Iterable[QuizQuestion]
) -> dict[int, grading.Answer]:
    """The answer to each drawn question (by quiz_question.id), as lms/quizzes/grading.py
    reads it for the question's type (options chosen, text typed, prompts matched).

    Raises Tampered when the form names a question that was not drawn, an option the
    question does not have, or more than one option for a single-answer question.
    """
    questions = list(questions)
    by_field = {field_name(q): q for q in questions}
    for key in form.keys():
        if not key.startswith("q-"):
            continue
        owner = by_field.get(key.split("--", 1)[0])  # a matching prompt's is q-<id>--<n>
        if owner is None or not grading.owns_field(owner, key):
            raise Tampered(
                "Your answers name a question that is not part of this attempt, so nothing "
                "was recorded. Go back to the quiz and submit it from the page."
            )
    answers: dict[int, grading.Answer] = {}
    for question in questions:
        try:
            answers[question.id] = grading.parse(question, form)
        except grading.BadAnswer as exc:
            if "more than one" in str(exc):
                raise Tampered(
                    "A question that takes one answer was sent more than one, so nothing was "
                    "recorded. Go back to the quiz and submit it from the page."
                ) from None
            raise Tampered(
                "Your answers name an option that is not one of the question's, so nothing "
                "was recorded. Go back to the quiz and submit it from the page."
            ) from None
    return answers


def grade(question: QuizQuestion, chosen: grading.Answer) -> Fraction:
    """The share of the mark an answer earns (lms/quizzes/grading.py, by type)."""
    return grading.grade(question, chosen)


@dataclass
class Submitted:
    attempt: QuizAttempt
    completion: Completion | None


def unanswered(answers: Mapping[int, grading.Answer], questions: list[QuizQuestion]) -> list[int]:
    """Positions (1-based, as shown) of the questions with no answer."""
    return [n for n, q in enumerate(questions, start=1) if not grading.answered(answers.get(q.id))]


def unmarkable(answers: Mapping[int, grading.Answer], questions: list[QuizQuestion]) -> dict[int, str]:
    """Positions (1-based) of the answers that cannot be marked as given, with what to do
    (a numerical answer that is not a number): the person is asked to correct them."""
    found = {}
    for n, q in enumerate(questions, start=1):
        message = grading.problem(q, answers.get(q.id))
        if message:
            found[n] = message
    return found


def submit(attempt: QuizAttempt, questions: list[QuizQuestion], answers: dict[int, grading.Answer]) -> Submitted:
    """Grade the attempt and record it, exactly once, in the caller's transaction.

    The in_progress -> submitted change is a conditional UPDATE inside the transaction that
    also writes the responses and, for a pass, the completion: of two submissions racing
    (two tabs, a double click, a replay) only one changes the row; the other records
    nothing and raises AlreadySubmitted.
    """
    version = attempt.version
    check_open(attempt)
    if version.max_attempts and attempt.number > version.max_attempts:
        raise NoAttemptsLeft(_no_attempts_message(version.max_attempts))
    scores = [grade(q, answers.get(q.id)) for q in questions]
    total = sum(scores, Fraction(0)) * 100 / len(questions)
    passed = total >= version.pass_mark
    now = utcnow()
    changed = db.session.execute(
        update(QuizAttempt)
        .where(QuizAttempt.id == attempt.id, QuizAttempt.state == IN_PROGRESS)
        .values(state=SUBMITTED, submitted_at=now, score=round(float(total), 2), passed=passed)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise AlreadySubmitted(_already_message())
    db.session.execute(
        insert(QuizResponse),
        [
            {
                "attempt_id": attempt.id,
                "position": n,
                "question_id": q.id,
                **grading.columns(q, answers.get(q.id)),
                "score": float(s),
                "correct": s == 1,
            }
            for n, (q, s) in enumerate(zip(questions, scores, strict=True), start=1)
        ],
    )
    completion = None
    if passed:
        completion = Completion(
            user_id=attempt.user_id,
            kind="quiz",
            ref=attempt.quiz.slug,
            completed_on=local_today(),
            source="lms",
            content_version=version.hash,
            attempt_id=attempt.id,
        )
        db.session.add(completion)
        refresh_standing([attempt.user_id])
    db.session.flush()
    db.session.expire(attempt)
    return Submitted(attempt, completion)


def check_open(attempt: QuizAttempt) -> None:
    """Raise AlreadySubmitted for an attempt that is no longer in progress."""
    if attempt.state != IN_PROGRESS:
        raise AlreadySubmitted(_already_message())


def _already_message() -> str:
    return (
        "This attempt was submitted already and its answers were recorded then; nothing "
        "more was recorded."
    )
