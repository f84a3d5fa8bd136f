"""10,000 queued reminders delivered by `lms deliver-mail --once` to an SMTP server on 127.0.0.1.

The reminders are drawn from the real template and queued as the daily run queues them; then
the worker, in a process of its own as in production, sends them (one connection per batch)
to an aiosmtpd server in this process, which accepts each. Prints `mail_10k_s`, the worker's
whole run, start-up included. The queued rows are deleted afterwards, so the database is left
as it was. Used by bench/run.py, on the database the rest measures; runs alone too, on a
fresh SQLite file:

    python bench/mail.py [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import delete, insert

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiosmtpd.controller import Controller  # noqa: E402
from flask import render_template  # noqa: E402

from lms import create_app  # noqa: E402
from lms.extensions import db  # noqa: E402
from lms.mail import outbox_row  # noqa: E402
from lms.models import OutboxMessage  # noqa: E402

MESSAGES = 10_000
BASE_URL = "http://127.0.0.1:5000"


class _Counter:
    def __init__(self):
        self.received = 0

    async def handle_DATA(self, server, session, envelope):
        self.received += 1
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure_mail_delivery(url: str, out: Path, figure) -> None:
    counter = _Counter()
    server = Controller(counter, hostname="127.0.0.1", port=_free_port())
    server.start()
    settings = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": server.port, "SMTP_STARTTLS": False}
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": out / "instance", "BASE_URL": BASE_URL, **settings})
    try:
        with app.app_context():
            rows = [
                outbox_row(
                    f"person{n:05d}@bench.example",
                    "Training reminder: 2 items need your attention",
                    render_template(
                        "email/reminder.txt",
                        person={"name": f"Person {n}"},
                        lines=["- Prevent refresher: due in 10 days", "- British values: overdue by 3 days"],
                        link=f"{BASE_URL}/",
                    ),
                )
                for n in range(MESSAGES)
            ]
            ids = db.session.scalars(insert(OutboxMessage).returning(OutboxMessage.id), rows).all()
            db.session.commit()
        env = {
            **os.environ,
            "LMS_DATABASE_URL": url,
            "LMS_INSTANCE_PATH": str(out / "instance"),
            "LMS_SMTP_HOST": "127.0.0.1",
            "LMS_SMTP_PORT": str(server.port),
            "LMS_SMTP_STARTTLS": "false",
        }
        started = time.perf_counter()
        run = subprocess.run([str(Path(sys.executable).parent / "lms"), "deliver-mail", "--once"], env=env,
                             capture_output=True, text=True, check=True)
        elapsed = time.perf_counter() - started
        assert counter.received == MESSAGES, (counter.received, run.stdout, run.stderr[-2000:])
        figure("mail_10k_s", elapsed)
        print(f"# deliver-mail --once: {run.stdout.strip()}", flush=True)
        with app.app_context():
            db.session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(ids)))
            db.session.commit()
            db.engine.dispose()
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args()
    from bench.generate import bench_app, reset_database

    url = f"sqlite:///{args.out / 'mail.sqlite3'}"
    reset_database(bench_app(url, args.out))
    measure_mail_delivery(url, args.out, lambda name, value: print(f"{name}: {value:.3g}", flush=True))


if __name__ == "__main__":
    main()
