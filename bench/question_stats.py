"""How each question performs, for a lead, at 1,000,000 attempts.

- `question_stats_s_1m`: the server time of `/quiz-results/<slug>/questions` for the quiz
  with the most attempts in the last 12 months, the median of five views (each works the
  figures out again in SQL: nothing is kept between requests);
- `question_stats_window_attempts`: how many attempts that page counted.

Part of `make bench` (bench/run.py); alone, on an organisation a run generated:

    python bench/question_stats.py [--out DIR]     (LMS_BENCH_DATABASE_URL for PostgreSQL)
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import LEAD_EMAIL, bench_app  # noqa: E402
from lms.extensions import db  # noqa: E402
from lms.models import Quiz, QuizAttempt  # noqa: E402
from lms.models.quiz import SUBMITTED  # noqa: E402


def busiest_quiz(app) -> tuple[str, int]:
    """The quiz with the most submitted attempts in the window, and that count."""
    from lms.quizzes.statistics import _start_moment, window_start

    with app.test_request_context():
        since = _start_moment(window_start())
        slug, count = db.session.execute(
            select(Quiz.slug, func.count())
            .join(QuizAttempt, QuizAttempt.quiz_id == Quiz.id)
            .where(QuizAttempt.state == SUBMITTED, QuizAttempt.submitted_at >= since)
            .group_by(Quiz.slug)
            .order_by(func.count().desc())
            .limit(1)
        ).one()
        db.session.remove()
    return slug, count


def measure_question_stats(app, figure) -> None:
    from bench.run import server_time, signed_in_client

    slug, count = busiest_quiz(app)
    client = signed_in_client(app, LEAD_EMAIL)
    url = f"/quiz-results/{slug}/questions"
    client.get(url)  # templates compiled, connections open, as on a running server
    figure("question_stats_s_1m", server_time(client, url, 5))
    figure("question_stats_window_attempts", count)


def main() -> None:
    from bench.run import figure

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args()
    url = os.environ.get("LMS_BENCH_DATABASE_URL") or f"sqlite:///{args.out / 'bench.sqlite3'}"
    app = bench_app(url, args.out)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()  # the reused database gets the schema the code now expects
        attempts = db.session.scalar(select(func.count()).select_from(QuizAttempt))
        db.session.remove()
    figure("attempts", attempts)
    measure_question_stats(app, figure)


if __name__ == "__main__":
    main()
