"""Taking a quiz: starting an attempt (the draw), grading and recording a submission exactly
once, what a result page may show, and the results leads and admins read."""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction

from flask import abort
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from ..csvexport import CsvWriter
from ..csvexport import number as csv_number
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
    REVIEW_AFTER_PASS,
    REVIEW_ALWAYS,
    REVIEW_DEFAULT,
    REVIEW_NEVER,
    SUBMITTED,
)
from ..plan.standing import refresh as refresh_standing

_random = random.SystemRandom()


class SubmissionRefused(Exception):
    """A submission that records nothing, with the reason in words for the person."""

    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


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
        abort(404)
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
        abort(404)
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
class Standing:
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


def standing(user: User, quiz: Quiz) -> Standing:
    return Standing(quiz, attempts_of(user, quiz))


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
    """The person's attempt in progress, or a new one with a fresh draw. Commits.

    Raises NoAttemptsLeft after the last allowed attempt. Two requests starting at once
    make one attempt: the (person, quiz, number) key lets only one of them in.
    """
    for _ in range(3):
        current = standing(user, quiz)
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
        db.session.add(attempt)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()  # the same person's other request made it: use that one
            continue
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
) -> dict[int, frozenset[int]]:
    """The options chosen for each drawn question (by quiz_question.id; empty: unanswered).

    Raises Tampered when the form names a question that was not drawn, an option the
    question does not have, or more than one option for a single-answer question.
    """
    fields = {field_name(q): q for q in questions}
    for key in form.keys():
        if key.startswith("q-") and key not in fields:
            raise Tampered(
                "Your answers name a question that is not part of this attempt, so nothing "
                "was recorded. Go back to the quiz and submit it from the page."
            )
    answers: dict[int, frozenset[int]] = {}
    for name, question in fields.items():
        values = form.getlist(name) if hasattr(form, "getlist") else [form.get(name)]
        chosen = set()
        for value in values:
            if value is None or value == "":
                continue
            if not value.isdigit() or int(value) >= len(question.options):
                raise Tampered(
                    "Your answers name an option that is not one of the question's, so nothing "
                    "was recorded. Go back to the quiz and submit it from the page."
                )
            chosen.add(int(value))
        if question.type != "multiple" and len(chosen) > 1:
            raise Tampered(
                "A question that takes one answer was sent more than one, so nothing was "
                "recorded. Go back to the quiz and submit it from the page."
            )
        answers[question.id] = frozenset(chosen)
    return answers


def grade(question: QuizQuestion, chosen: frozenset[int]) -> Fraction:
    """1 or 0; a multiple-answer question with `partial` scores each correct choice its share
    and takes a share away for each wrong one (1 / the number of wrong options), never
    below 0, so choosing every option scores nothing."""
    correct = frozenset(i for i, o in enumerate(question.options) if o["correct"])
    if question.type != "multiple" or not question.partial:
        return Fraction(int(chosen == correct))
    wrong_options = len(question.options) - len(correct)
    score = Fraction(len(chosen & correct), len(correct))
    if wrong_options:
        score -= Fraction(len(chosen - correct), wrong_options)
    return max(score, Fraction(0))


@dataclass
class Submitted:
    attempt: QuizAttempt
    completion: Completion | None


def unanswered(answers: Mapping[int, frozenset[int]], questions: list[QuizQuestion]) -> list[int]:
    """Positions (1-based, as shown) of the questions with no answer."""
    return [n for n, q in enumerate(questions, start=1) if not answers.get(q.id)]


def submit(attempt: QuizAttempt, questions: list[QuizQuestion], answers: dict[int, frozenset[int]]) -> Submitted:
    """Grade the attempt and record it, exactly once. Commits.

    The in_progress -> submitted change is a conditional UPDATE inside the transaction that
    also writes the responses and, for a pass, the completion: of two submissions racing
    (two tabs, a double click, a replay) only one changes the row; the other records
    nothing and raises AlreadySubmitted.
    """
    version = attempt.version
    check_open(attempt)
    if version.max_attempts and attempt.number > version.max_attempts:
        raise NoAttemptsLeft(_no_attempts_message(version.max_attempts))
    scores = [grade(q, answers.get(q.id, frozenset())) for q in questions]
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
        db.session.rollback()
        raise AlreadySubmitted(_already_message())
    db.session.execute(
        insert(QuizResponse),
        [
            {
                "attempt_id": attempt.id,
                "position": n,
                "question_id": q.id,
                "chosen": "".join(str(i) for i in sorted(answers.get(q.id, ()))),
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
    db.session.commit()
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
    standing: Standing
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
    current = standing(user, attempt.quiz)
    show = shows_correct_answers(review_mode(attempt.version), bool(attempt.passed), current.remaining)
    reread = None if attempt.passed else course_for_quiz(attempt.quiz)
    return Result(attempt, reviewed, show, current, reread)


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



# -- CSV exports -----------------------------------------------------------------------------

ATTEMPTS_HEADER = ["email", "name", "quiz", "version", "attempt", "started", "submitted", "score", "passed"]
RESPONSES_HEADER = [
    "email", "name", "quiz", "version", "attempt", "submitted", "position", "question",
    "answer", "score", "right",
]
CSV_BATCH = 2000  # rows fetched (and written out) at a time


def _local_time(value: datetime | None, tz) -> str:
    return value.astimezone(tz).isoformat(timespec="seconds") if value else ""


def _stream(header: list[str], statement, write_rows) -> Iterator[str]:
    """Run the query with a server-side cursor where there is one (yield_per) and yield the
    CSV text batch by batch: memory stays the same whatever the number of rows. The query is
    built before the response starts; the rows are read as it is sent, after the request's
    transaction has been committed (lms/transaction.py), so no ORM object is used here."""
    yield ",".join(header) + "\n"
    writer = CsvWriter()
    for partition in db.session.execute(
        statement.execution_options(yield_per=CSV_BATCH)
    ).partitions():
        write_rows(writer, partition)
        yield writer.take()


def attempts_csv(quiz: Quiz | None, tz) -> Iterator[str]:
    """One row per attempt (in progress ones too, with no submitted time), oldest first."""
    statement = (
        select(
            User.email, User.name, Quiz.slug, QuizVersion.hash, QuizAttempt.number,
            QuizAttempt.started_at, QuizAttempt.submitted_at, QuizAttempt.score,
            QuizAttempt.passed,
        )
        .join(User, User.id == QuizAttempt.user_id)
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .join(QuizVersion, QuizVersion.id == QuizAttempt.version_id)
        .order_by(QuizAttempt.id)
    )
    if quiz is not None:
        statement = statement.where(QuizAttempt.quiz_id == quiz.id)

    def write(writer, rows) -> None:
        writer.rows(
            [
                email, name, slug, version, attempt, _local_time(started, tz), _local_time(submitted, tz),
                "" if score is None else csv_number(score),
                "" if passed is None else ("yes" if passed else "no"),
            ]
            for email, name, slug, version, attempt, started, submitted, score, passed in rows
        )

    return _stream(ATTEMPTS_HEADER, statement, write)


def responses_csv(quiz: Quiz | None, tz) -> Iterator[str]:
    """One row per question answered in a submitted attempt (unanswered ones too, with an
    empty answer); the answer is the chosen options' texts, separated by " | "."""
    question_q = select(QuizQuestion.id, QuizQuestion.qid, QuizQuestion.options)
    if quiz is not None:
        question_q = question_q.join(QuizVersion).where(QuizVersion.quiz_id == quiz.id)
    # Every question of the quizzes exported: bounded by the content, not by the attempts.
    questions = {qid: (stable, [o["text"] for o in options])
                 for qid, stable, options in db.session.execute(question_q)}
    statement = (
        select(
            User.email, User.name, Quiz.slug, QuizVersion.hash, QuizAttempt.number,
            QuizAttempt.submitted_at, QuizResponse.position, QuizResponse.question_id,
            QuizResponse.chosen, QuizResponse.score, QuizResponse.correct,
        )
        .join(QuizAttempt, QuizAttempt.id == QuizResponse.attempt_id)
        .join(User, User.id == QuizAttempt.user_id)
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .join(QuizVersion, QuizVersion.id == QuizAttempt.version_id)
        .order_by(QuizResponse.attempt_id, QuizResponse.position)
    )
    if quiz is not None:
        statement = statement.where(QuizAttempt.quiz_id == quiz.id)

    def write(writer, rows) -> None:
        for email, name, slug, version, attempt, submitted, position, question_id, chosen, score, right in rows:
            stable, texts = questions[question_id]
            writer.row([
                email, name, slug, version, attempt, _local_time(submitted, tz), position, stable,
                " | ".join(texts[int(c)] for c in chosen), csv_number(score), "yes" if right else "no",
            ])

    return _stream(RESPONSES_HEADER, statement, write)
