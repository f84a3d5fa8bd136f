"""Bulk rows for the benchmark: quiz attempts with responses, and evidence, written with
Core executemany (and COPY on PostgreSQL for the biggest table)."""

from __future__ import annotations

import hashlib
import json
import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from lms.dates import local_today
from lms.extensions import db

CHUNK = 20_000


def _insert(table, rows) -> None:
    if rows:
        db.session.execute(insert(table), rows)


def _copy(table, columns: list[str], rows: list[tuple]) -> None:
    """PostgreSQL COPY, an order of magnitude faster than INSERT for millions of rows.

    Row triggers are off for the load, as `pg_restore --disable-triggers` has them: otherwise
    each attempt would also update its person's data version (lms/models/versioning.py),
    leaving a million dead row versions in `user` that a real history spreads over years."""
    raw = db.session.connection().connection.driver_connection
    with raw.cursor() as cur:
        cur.execute("SET LOCAL session_replication_role = replica")
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def bulk_attempts(rng: random.Random, user_ids: list[int], total: int) -> int:
    from lms.models.content import Quiz, QuizQuestion, QuizVersion
    from lms.models.quiz import QuizAttempt, QuizResponse

    quizzes = []
    for quiz_id, version_id, draw, pass_mark in db.session.execute(
        select(Quiz.id, QuizVersion.id, QuizVersion.draw, QuizVersion.pass_mark).join(
            QuizVersion, Quiz.current_version_id == QuizVersion.id
        )
    ):
        questions = db.session.execute(
            select(QuizQuestion.id, QuizQuestion.options).where(QuizQuestion.version_id == version_id)
        ).all()
        quizzes.append((quiz_id, version_id, draw, pass_mark, [(q, len(opts)) for q, opts in questions]))
    postgres = db.engine.dialect.name == "postgresql"
    numbers: dict[tuple[int, int], int] = {}
    next_id = (db.session.scalar(select(db.func.max(QuizAttempt.id))) or 0) + 1
    now = datetime.now(UTC)
    attempts, responses = [], []
    made = 0
    for n in range(total):
        user_id = rng.choice(user_ids)
        quiz_id, version_id, draw, pass_mark, pool = rng.choice(quizzes)
        key = (user_id, quiz_id)
        numbers[key] = number = numbers.get(key, 0) + 1
        picked = rng.sample(pool, min(draw, len(pool)))
        started = now - timedelta(days=rng.randint(0, 5 * 365), seconds=rng.randint(0, 86_400))
        right = 0
        attempt_id = next_id + n
        for position, (question_id, options) in enumerate(picked, start=1):
            ok = rng.random() < 0.8
            right += ok
            responses.append((attempt_id, position, question_id, str(rng.randrange(options)), 1.0 if ok else 0.0, ok))
        score = round(100 * right / len(picked), 1)
        attempts.append(
            {
                "id": attempt_id,
                "user_id": user_id,
                "quiz_id": quiz_id,
                "version_id": version_id,
                "number": number,
                "state": "submitted",
                "started_at": started,
                "submitted_at": started + timedelta(minutes=rng.randint(3, 25)),
                "score": score,
                "passed": score >= pass_mark,
                "draw": [[q, "".join(map(str, range(o)))] for q, o in picked],
            }
        )
        made += 1
        if len(attempts) >= CHUNK:
            _flush(attempts, responses, postgres, QuizAttempt, QuizResponse)
            attempts, responses = [], []
    _flush(attempts, responses, postgres, QuizAttempt, QuizResponse)
    return made


def _flush(attempts, responses, postgres, QuizAttempt, QuizResponse) -> None:
    if not attempts:
        return
    if postgres:
        cols = ["id", "user_id", "quiz_id", "version_id", "number", "state", "started_at", "submitted_at", "score", "passed", "draw"]
        def value(attempt, column):
            if column == "draw":
                return json.dumps(attempt[column])
            if column.endswith("_at"):
                return attempt[column].replace(tzinfo=None)  # stored as naive UTC
            return attempt[column]

        _copy("quiz_attempt", cols, [tuple(value(a, c) for c in cols) for a in attempts])
        _copy("quiz_response", ["attempt_id", "position", "question_id", "chosen", "score", "correct"], responses)
    else:
        _insert(QuizAttempt.__table__, attempts)
        keys = ("attempt_id", "position", "question_id", "chosen", "score", "correct")
        _insert(QuizResponse.__table__, [dict(zip(keys, r, strict=True)) for r in responses])


def bulk_evidence(rng: random.Random, user_ids: list[int]) -> int:
    """About one upload per five people: most verified, some pending, a few rejected."""
    from lms.models.evidence import Evidence

    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    rows = []
    now = datetime.now(UTC)
    for user_id in user_ids:
        if rng.random() > 0.2:
            continue
        data = pdf + str(user_id).encode()
        status = rng.choices(["verified", "pending", "rejected"], [70, 20, 10])[0]
        rows.append(
            {
                "user_id": user_id,
                "certificate_ref": "home-office-prevent-awareness",
                "filename": "certificate.pdf",
                "mime": "application/pdf",
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                "data": data,
                "certificate_date": local_today() - timedelta(days=rng.randint(0, 900)),
                "status": status,
                "possibly_shared": False,
                "uploaded_at": now - timedelta(days=rng.randint(0, 900)),
                "reason": "The name on the certificate is not legible." if status == "rejected" else None,
            }
        )
    _insert(Evidence.__table__, rows)
    return len(rows)



