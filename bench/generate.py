"""Build a realistic organisation in a fresh database, with bulk inserts.

10,000 people across the ten categories, start dates over five years, about 20 leavers in
each 100, the completions their plan asks for, evidence, and quiz attempts with responses.
Runs on SQLite (default) and on PostgreSQL when LMS_BENCH_DATABASE_URL is set.

    python bench/generate.py [--people N] [--attempts N] [--out DIR]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, inspect, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lms import create_app  # noqa: E402
from lms.dates import local_today  # noqa: E402
from lms.extensions import db  # noqa: E402
from lms.models import Permission, User, UserCategory  # noqa: E402
from lms.models.content import Completion  # noqa: E402

# Rough shape of a training centre: mostly trainees and staff, a few Directors.
CATEGORY_WEIGHTS = {
    "trainee": 34,
    "staff": 22,
    "trainer": 10,
    "volunteer": 6,
    "contractor": 6,
    "agency": 5,
    "visitor": 6,
    "consultant": 4,
    "self-employed": 4,
    "director": 3,
}
BENCH_PASSWORD = "bench password 123"
LEARNER_EMAIL = "learner@bench.example"
LEAD_EMAIL = "lead@bench.example"


def bench_app(url: str, out: Path):
    out.mkdir(parents=True, exist_ok=True)
    return create_app({"BASE_URL": "http://127.0.0.1:5000", "DATABASE_URL": url, "INSTANCE_PATH": out / "instance", "RATELIMIT_STORAGE_URI": "memory://"})


def reset_database(app) -> None:
    """Drop everything, then build the schema with the migrations and load the content."""
    from flask_migrate import upgrade

    from lms.packs.operations import sync_content

    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        else:
            db.session.remove()
            engine.dispose()
            path = Path(engine.url.database)
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
        upgrade()
        sync_content()
        db.session.commit()  # as `lms sync-content` does


def _chunks(rows, size=5000):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def insert_rows(model_or_table, rows) -> None:
    table = getattr(model_or_table, "__table__", model_or_table)
    for chunk in _chunks(rows):
        db.session.execute(insert(table), chunk)


def generate(app, people: int, attempts: int, seed: int = 7) -> dict[str, float]:
    from lms.auth.operations import hash_password
    from lms.plan.loader import current_plan

    rng = random.Random(seed)
    timings = {}
    with app.app_context():
        today = local_today()
        started = time.perf_counter()
        plan = current_plan()
        password_hash = hash_password(BENCH_PASSWORD)
        categories = list(CATEGORY_WEIGHTS)
        weights = list(CATEGORY_WEIGHTS.values())
        users, held = [], []
        for n in range(1, people + 1):
            start = today - timedelta(days=rng.randint(0, 5 * 365))
            cats = {rng.choices(categories, weights)[0]}
            if rng.random() < 0.08:
                cats.add(rng.choices(categories, weights)[0])
            permission = Permission.LEARNER
            email = f"person{n:05d}@bench.example"
            if n == 1:
                email, cats, permission = LEARNER_EMAIL, {"staff"}, Permission.LEARNER
            elif n == 2:
                email, cats, permission = LEAD_EMAIL, {"staff"}, Permission.LEAD
            elif "director" in cats:
                permission = Permission.DIRECTOR
            users.append(
                {
                    "id": n,
                    "email": email,
                    "name": f"Bench Person {n}",
                    "start_date": start,
                    "active": n <= 2 or rng.random() >= 0.2,
                    "permission": permission.value,
                    "password_hash": password_hash if n <= 2 else None,
                    "session_token": f"bench-{n}-{rng.getrandbits(64):x}",
                }
            )
            for c in sorted(cats):
                held.append({"user_id": n, "category": c, "added_on": start})
        insert_rows(User, users)
        insert_rows(UserCategory, held)

        completions = []
        by_user: dict[int, list] = {}
        for row in held:
            by_user.setdefault(row["user_id"], []).append(row)
        policy_versions = _policy_versions()
        for user in users:
            held_map = {r["category"]: r["added_on"] for r in by_user[user["id"]]}
            for req in plan.terms_for(frozenset(held_map)):
                if rng.random() > 0.75:
                    continue  # not done
                applies_from = min(held_map[c] for c in req.asking)
                span = max((today - applies_from).days, 1)
                done = applies_from + timedelta(days=rng.randint(0, span))
                completions.append(
                    {
                        "user_id": user["id"],
                        "kind": req.kind,
                        "ref": req.ref,
                        "completed_on": min(done, today),
                        "source": "lms" if rng.random() > 0.1 else "import",
                        "content_version": policy_versions.get(req.ref) if req.kind == "policy" else None,
                    }
                )
        insert_rows(Completion, completions)
        db.session.commit()
        timings["people_and_completions_s"] = time.perf_counter() - started

        started = time.perf_counter()
        made = generate_attempts(rng, users, attempts)
        db.session.commit()
        timings["attempts_s"] = time.perf_counter() - started
        timings["attempts"] = made
        timings["completions"] = len(completions)

        started = time.perf_counter()
        timings["evidence"] = generate_evidence(rng, users)
        db.session.commit()
        timings["evidence_s"] = time.perf_counter() - started

        # Everyone's standing, as `lms init` works it out for a plan not yet applied.
        from lms.plan import standing

        started = time.perf_counter()
        standing.apply_plan()
        db.session.commit()
        timings["standing_s"] = time.perf_counter() - started
        if db.engine.dialect.name == "postgresql":
            # Rows were written with explicit ids: move each sequence past them.
            for table in ("user", "quiz_attempt"):
                db.session.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                         f"(SELECT coalesce(max(id), 1) FROM \"{table}\"))")
                )
            db.session.commit()
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        else:
            db.session.execute(text("ANALYZE"))
            db.session.commit()
    return timings


def _policy_versions() -> dict[str, str]:
    from lms.models.content import Course, CourseVersion

    q = select(CourseVersion.policy_ref, CourseVersion.policy_version).join(
        Course, Course.current_version_id == CourseVersion.id
    ).where(CourseVersion.policy_ref.is_not(None))
    return dict(db.session.execute(q).all())


def generate_attempts(rng: random.Random, users: list[dict], attempts: int) -> int:
    """Quiz attempts with responses, through the quiz engine's own bulk-insert helper."""
    if attempts <= 0 or not inspect(db.engine).has_table("quiz_attempt"):
        return 0
    from bench.bulk import bulk_attempts

    return bulk_attempts(rng, [u["id"] for u in users], attempts)


def generate_evidence(rng: random.Random, users: list[dict]) -> int:
    """Uploaded certificates awaiting or past verification, when the evidence tables exist."""
    if not inspect(db.engine).has_table("evidence"):
        return 0
    from bench.bulk import bulk_evidence

    return bulk_evidence(rng, [u["id"] for u in users])


def main() -> None:
    import os

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--attempts", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args()
    url = os.environ.get("LMS_BENCH_DATABASE_URL") or f"sqlite:///{args.out / 'bench.sqlite3'}"
    app = bench_app(url, args.out)
    reset_database(app)
    timings = generate(app, args.people, args.attempts)
    for name, value in timings.items():
        print(f"{name}: {value:.1f}" if isinstance(value, float) else f"{name}: {value}")


if __name__ == "__main__":
    main()
