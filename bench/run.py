"""`make bench`: generate the organisation, then print one figure a line, `name: value`.

Server times are measured inside the process around the WSGI call (no network), as the
median of several runs. The dashboard and the CSV are timed as a lead sees them on a running
server while people train: 20 people's records change before each run. `*_cold_s` is the
first such request to a freshly started gunicorn after /healthz, the median of three starts.
Requests per second come from wrk against gunicorn (2 workers, 8 connections, on 127.0.0.1,
for a fixed number of seconds).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

from sqlalchemy import event, func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import LEAD_EMAIL, bench_app, generate, reset_database  # noqa: E402
from lms.auth.operations import open_session  # noqa: E402
from lms.dates import local_today  # noqa: E402
from lms.extensions import db  # noqa: E402
from lms.models import Completion, QuizAttempt, User  # noqa: E402
from lms.plan import standing  # noqa: E402

FIGURES: list[tuple[str, object]] = []


def figure(name: str, value) -> None:
    if isinstance(value, float):
        value = f"{value:.4g}" if value < 100 else f"{value:.0f}"
    FIGURES.append((name, value))
    print(f"{name}: {value}", flush=True)


def signed_in_client(app, email: str):
    client = app.test_client()
    with app.app_context():
        person = db.session.scalar(select(User).where(User.email == email))
        token = open_session(person, "127.0.0.1", "bench")
        db.session.commit()
    with client.session_transaction() as sess:
        sess["_user_id"] = token
        sess["_fresh"] = True
    return client


def server_time(client, url: str, runs: int) -> float:
    """Median seconds for the app to produce the whole response (streamed bodies included)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url, buffered=True)
        assert response.status_code == 200, (url, response.status_code)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def count_queries(app, client, url: str) -> int:
    with app.app_context():
        engine = db.engine
    counter = {"n": 0}

    def before(*args, **kwargs):
        counter["n"] += 1

    event.listen(engine, "before_cursor_execute", before)
    try:
        assert client.get(url, buffered=True).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return counter["n"]


def csv_peak_mb(app, client, url: str) -> float:
    """Peak Python memory growth while the whole CSV streams (tracemalloc)."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    response = client.get(url, buffered=False)
    size = 0
    for chunk in response.response:
        size += len(chunk)
    response.close()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert size > 0
    return (peak - base) / (1024 * 1024)


def people_train(app, count: int, seed: int) -> None:
    """`count` people, picked at random, each complete one item today, as between two views
    of a lead's dashboard while the organisation trains (the triggers move their versions)."""
    with app.app_context():
        ids = db.session.scalars(select(User.id).where(User.active.is_(True))).all()
        chosen = random.Random(seed).sample(ids, count)
        for user_id in chosen:
            db.session.add(Completion(user_id=user_id, kind="course", ref="prevent-refresher",
                                      completed_on=local_today(), source="lms"))
        standing.refresh(chosen)  # as the operation that records a completion does
        db.session.commit()
        db.session.remove()


def timed_while_training(app, client, url: str, runs: int) -> float:
    """Median server time of `url` with 20 people's records changed before each run."""
    times = []
    for run in range(runs):
        people_train(app, 20, seed=run)
        times.append(server_time(client, url, 1))
    return statistics.median(times)


def measure_oversight(app) -> None:
    client = signed_in_client(app, LEAD_EMAIL)
    client.get("/dashboard")  # warm: plan file, templates, caches
    figure("dashboard_s", timed_while_training(app, client, "/dashboard", 5))
    figure("csv_export_s", timed_while_training(app, client, "/dashboard/compliance.csv", 3))
    figure("csv_export_peak_mb", csv_peak_mb(app, client, "/dashboard/compliance.csv"))


def existing(app) -> dict[str, int]:
    with app.app_context():
        people = db.session.scalar(select(func.count()).select_from(User))
        return {"people": people, "attempts": db.session.scalar(select(func.count()).select_from(QuizAttempt))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--attempts", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--seconds", type=int, default=10, help="length of each load test")
    parser.add_argument("--reuse", action="store_true",
                        help="measure the organisation(s) a previous run generated, without generating")
    args = parser.parse_args()
    url = os.environ.get("LMS_BENCH_DATABASE_URL") or f"sqlite:///{args.out / 'bench.sqlite3'}"

    # Query counts: the same dashboard with 1,000 and with 10,000 people.
    small_url = url if "LMS_BENCH_DATABASE_URL" in os.environ else f"sqlite:///{args.out / 'bench-1000.sqlite3'}"
    counts = {}
    for people, db_url in ((1000, small_url), (args.people, url)):
        app = bench_app(db_url, args.out)
        started = time.perf_counter()
        if args.reuse:
            if db_url == url and people != args.people:
                continue  # one PostgreSQL database holds the larger organisation only
            with app.app_context():
                from flask_migrate import upgrade

                upgrade()  # the reused database gets the schema the code now expects
            made = existing(app)
        else:
            reset_database(app)
            made = generate(app, people, args.attempts if people == args.people else 0)
        client = signed_in_client(app, LEAD_EMAIL)
        client.get("/dashboard")  # warm templates and connections, as a running server has
        counts[people] = count_queries(app, client, "/dashboard")
        if people == args.people:
            done = "reused" if args.reuse else f"generated in {time.perf_counter() - started:.0f} s"
            print(f"# {done}: {made}", flush=True)
    figure("people", args.people)
    figure("attempts", made.get("attempts", 0))
    measure_oversight(app)
    from bench.auth import measure_forgot_password

    measure_forgot_password(app, figure)
    from bench.question_stats import measure_question_stats

    measure_question_stats(app, figure)
    figure("queries_dashboard_1000", counts.get(1000, "not measured (--reuse on PostgreSQL)"))
    figure(f"queries_dashboard_{args.people}", counts[args.people])

    from bench.load import measure_cold_reports, measure_learner_rps, measure_submissions

    measure_cold_reports(app, url, args.out, figure)
    measure_learner_rps(app, url, args.out, args.seconds, figure)
    measure_submissions(app, url, args.out, figure)
    from bench.roster import measure_roster_import

    measure_roster_import(args.out, figure)  # on SQLite, its own file, whichever database the rest uses
    from bench.mail import measure_mail_delivery

    measure_mail_delivery(url, args.out, figure)


if __name__ == "__main__":
    main()
