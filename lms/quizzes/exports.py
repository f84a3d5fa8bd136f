"""The quiz CSVs: every attempt, and every answer of every submitted attempt, streamed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ..csvexport import CsvWriter
from ..csvexport import number as csv_number
from ..extensions import db
from ..models import (
    Quiz,
    QuizAttempt,
    QuizQuestion,
    QuizResponse,
    QuizVersion,
    User,
)
from . import grading

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


@dataclass(frozen=True)
class _Question:
    """What grading needs of a question to write an answer out (not an ORM object: rows are
    read after the commit)."""

    type: str
    options: list


def responses_csv(quiz: Quiz | None, tz) -> Iterator[str]:
    """One row per question answered in a submitted attempt (unanswered ones too, with an
    empty answer); the answer is the chosen options' texts, separated by " | ", the text
    typed, or each prompt with its match ("France → Paris | Spain → Madrid")."""
    question_q = select(QuizQuestion.id, QuizQuestion.qid, QuizQuestion.type, QuizQuestion.options)
    if quiz is not None:
        question_q = question_q.join(QuizVersion).where(QuizVersion.quiz_id == quiz.id)
    # Every question of the quizzes exported: bounded by the content, not by the attempts.
    questions = {qid: (stable, _Question(type_, options))
                 for qid, stable, type_, options in db.session.execute(question_q)}
    statement = (
        select(
            User.email, User.name, Quiz.slug, QuizVersion.hash, QuizAttempt.number,
            QuizAttempt.submitted_at, QuizResponse.position, QuizResponse.question_id,
            QuizResponse.chosen, QuizResponse.answer, QuizResponse.score, QuizResponse.correct,
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
        for (email, name, slug, version, attempt, submitted, position, question_id, chosen, typed,
             score, right) in rows:
            stable, question = questions[question_id]
            given = grading.answer_text(question, grading.restored(question, chosen, typed))
            writer.row([
                email, name, slug, version, attempt, _local_time(submitted, tz), position, stable,
                given, csv_number(score), "yes" if right else "no",
            ])

    return _stream(RESPONSES_HEADER, statement, write)
