"""A 20,000-row roster import while people sign in, on SQLite, where one writer at a time holds
the database's write lock.

An organisation of 10,000 people (bench/generate.py, without quiz attempts) gets a roster of
20,000 rows: everyone already there, a tenth of them with a changed name, categories or start
date, and 10,000 new people, each invited. While it is imported, a thread signs a learner in
through the real form on gunicorn (2 workers) on the same database, again and again.

Prints `roster_import_20k_s` (the import, reading and checking the file included) and
`roster_import_signin_wait_max_s` (the longest sign-in while it ran), then the number of
sign-ins and of failed ones, and the same file through the web form (preview, then import).
Used by bench/run.py; runs alone too:

    python bench/roster.py [--out DIR]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
import urllib.error
from pathlib import Path

from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import BENCH_PASSWORD, LEAD_EMAIL, LEARNER_EMAIL, generate, reset_database  # noqa: E402
from bench.load import Gunicorn, sign_in  # noqa: E402
from lms import create_app  # noqa: E402
from lms.extensions import db  # noqa: E402
from lms.models import CATEGORY_LABELS, User  # noqa: E402

ROWS = 20_000
EXISTING = 10_000
BASE_URL = "http://127.0.0.1:5000"  # where the invitations point


def roster_csv(app, rows: int, seed: int = 11) -> bytes:
    """Everyone already there (a tenth changed), then new people up to `rows`."""
    rng = random.Random(seed)
    labels = list(CATEGORY_LABELS.values())
    lines = ["Email,First name,Last name,Categories,Start date"]
    with app.app_context():
        people = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.id)).all()
        for person in people:
            first, _, last = person.name.rpartition(" ")
            categories = "; ".join(CATEGORY_LABELS[c] for c in person.categories)
            start = person.start_date
            change = rng.random()
            if change < 0.04:
                last = f"{last}-Renamed"
            elif change < 0.08:
                categories = f"{categories}; {rng.choice(labels)}"
            elif change < 0.10:
                start = start.replace(day=1)
            lines.append(f"{person.email},{first},{last},{categories},{start:%d/%m/%Y}")
        db.session.remove()
    for n in range(rows - len(people)):
        lines.append(f"new{n:05d}@bench.example,New,Starter {n},{rng.choice(labels)},{rng.randint(1, 28):02d}/11/2026")
    return ("\r\n".join(lines) + "\r\n").encode()


class SignIns(threading.Thread):
    """Signs the learner in again and again until stopped; keeps each sign-in's time."""

    def __init__(self, base: str):
        super().__init__(daemon=True)
        self.base = base
        self.times: list[float] = []
        self.failures: list[str] = []
        self.running = threading.Event()
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            started = time.perf_counter()
            try:
                sign_in(self.base, LEARNER_EMAIL, BENCH_PASSWORD)
            except (AssertionError, OSError, urllib.error.HTTPError) as exc:
                self.failures.append(repr(exc))
            self.times.append(time.perf_counter() - started)
            self.running.set()
            time.sleep(0.05)


def measure_roster_import(out: Path, figure) -> None:
    from lms.people import roster

    url = f"sqlite:///{out / 'roster.sqlite3'}"
    out.mkdir(parents=True, exist_ok=True)
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": out / "instance", "BASE_URL": BASE_URL})
    reset_database(app)
    generate(app, EXISTING, 0)
    data = roster_csv(app, ROWS)
    env = {
        "LMS_DATABASE_URL": url,
        "LMS_INSTANCE_PATH": str(out / "instance"),
        "LMS_BASE_URL": BASE_URL,
        # One learner signs in over and over: no throttling here.
        "LMS_LOGIN_LIMIT": "100000 per minute",
        "LMS_LOGIN_ADDRESS_LIMIT": "100000 per minute",
    }
    with Gunicorn("lms:create_app()", env) as server:
        alone = []
        for _ in range(6):  # warms both workers' connections, then times a sign-in with no import running
            started = time.perf_counter()
            sign_in(server.url, LEARNER_EMAIL, BENCH_PASSWORD)
            alone.append(time.perf_counter() - started)
        signins = SignIns(server.url)
        signins.start()
        signins.running.wait(30)
        with app.test_request_context(environ_overrides={"REMOTE_ADDR": "cli"}):
            started = time.perf_counter()
            result = roster.import_roster(data, actor=None, filename="bench.csv", invite=True)
            db.session.commit()  # as `lms import-roster` does
            elapsed = time.perf_counter() - started
            db.session.remove()
        signins.stop.set()
        signins.join(timeout=30)
    assert result.applied and not result.errors, result.errors[:5]
    figure("roster_import_20k_s", elapsed)
    figure("roster_import_signin_wait_max_s", max(signins.times))
    figure("roster_import_signins", len(signins.times))
    figure("roster_import_signin_alone_median_s", statistics.median(alone[2:]))
    figure("roster_import_signin_failures", len(signins.failures))
    figure("_roster_import_summary", f"{result.summary}, invited {result.invited}")
    measure_web_import(app, data, figure)


def measure_web_import(app, data: bytes, figure) -> None:
    """The same file through People, Import a roster, on the organisation as it was: the
    preview, then the import, each within one request (gunicorn's timeout is 30 s)."""
    import io
    import re

    from lms.auth.operations import open_session

    reset_database(app)
    generate(app, EXISTING, 0)
    app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        lead = db.session.scalar(select(User).where(User.email == LEAD_EMAIL))
        key = open_session(lead, "127.0.0.1", "bench")
        db.session.commit()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = key
    started = time.perf_counter()
    preview = client.post(
        "/admin/people/import", data={"file": (io.BytesIO(data), "bench.csv"), "invite": "y"}, content_type="multipart/form-data"
    )
    figure("roster_import_web_preview_20k_s", time.perf_counter() - started)
    html = preview.get_data(as_text=True)
    fields = {
        name: re.search(rf'name="{name}"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="{name}"', html).group(1)
        for name in ("roster", "filename", "fingerprint", "deactivate_missing", "invite")
    }
    started = time.perf_counter()
    response = client.post("/admin/people/import/confirm", data=fields)
    figure("roster_import_web_confirm_20k_s", time.perf_counter() - started)
    assert response.status_code == 302, response.status_code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args()

    def figure(name, value):
        print(f"{name}: {value:.3g}" if isinstance(value, float) else f"{name}: {value}", flush=True)

    measure_roster_import(args.out, figure)


if __name__ == "__main__":
    main()
