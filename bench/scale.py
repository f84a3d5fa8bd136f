"""`make bench-scale`: the reports at 100,000 people and 1,000,000 attempts, on PostgreSQL.

Prints one figure a line, `name: value`:

- `dashboard_cold_s_100k`: a lead's dashboard, the first request after /healthz to a freshly
  started gunicorn (one worker, as `make run` serves), median of three fresh starts;
- `csv_export_s_100k`: the whole compliance CSV downloaded from a running server;
- `csv_export_peak_mb_100k`: the peak Python memory growth while the CSV streams, in process;
- `worker_rss_mb_100k`: the resident memory of that gunicorn worker after the dashboard and
  the CSV.

The database is `LMS_BENCH_SCALE_DATABASE_URL` (default: the `lms_bench_scale` database on
the local PostgreSQL server, made when missing). `--reuse` measures the organisation an
earlier run generated.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import urllib.request
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import LEAD_EMAIL, bench_app, generate, reset_database  # noqa: E402
from bench.load import Gunicorn, lead_cookie  # noqa: E402
from bench.run import csv_peak_mb, existing, figure, signed_in_client  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/lms_bench_scale"


def ensure_database(url: str) -> None:
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}).scalar()
        if not found:
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def worker_rss_mb(master_pid: int) -> float:
    """The resident memory of the master's one worker (Linux /proc)."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    for line in Path(f"/proc/{children[0]}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS for the worker")


def fetch(server, path: str, cookie: str) -> float:
    request = urllib.request.Request(f"{server.url}{path}", headers={"Cookie": cookie})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=600) as response:
        assert response.status == 200
        while response.read(1 << 16):
            pass
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--attempts", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out-scale")
    parser.add_argument("--reuse", action="store_true", help="measure the organisation an earlier run generated")
    args = parser.parse_args()
    url = os.environ.get("LMS_BENCH_SCALE_DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgresql"):
        raise SystemExit("bench-scale runs on PostgreSQL: set LMS_BENCH_SCALE_DATABASE_URL to a postgresql+psycopg:// URL")
    args.out.mkdir(parents=True, exist_ok=True)
    ensure_database(url)
    app = bench_app(url, args.out)
    started = time.perf_counter()
    if args.reuse:
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
        made = existing(app)
        print(f"# reused: {made}", flush=True)
    else:
        reset_database(app)
        made = generate(app, args.people, args.attempts)
        print(f"# generated in {time.perf_counter() - started:.0f} s: {made}", flush=True)
    made = existing(app)
    suffix = f"_{made['people'] // 1000}k"
    figure("people", made["people"])
    figure("attempts", made["attempts"])

    env = {"LMS_DATABASE_URL": url, "LMS_INSTANCE_PATH": str(args.out / "instance")}
    cookie = lead_cookie(app)
    colds = []
    for _ in range(3):
        with Gunicorn("lms:create_app()", env, workers=1) as server:
            urllib.request.urlopen(f"{server.url}/healthz", timeout=30).read()
            colds.append(fetch(server, "/dashboard", cookie))
    figure(f"dashboard_cold_s{suffix}", statistics.median(colds))

    with Gunicorn("lms:create_app()", env, workers=1) as server:
        urllib.request.urlopen(f"{server.url}/healthz", timeout=30).read()
        fetch(server, "/dashboard", cookie)
        fetch(server, "/dashboard/compliance.csv", cookie)  # the first download warms the plan and the pool
        figure(f"csv_export_s{suffix}", fetch(server, "/dashboard/compliance.csv", cookie))
        figure(f"worker_rss_mb{suffix}", worker_rss_mb(server.proc.pid))

    client = signed_in_client(app, LEAD_EMAIL)
    figure(f"csv_export_peak_mb{suffix}", csv_peak_mb(app, client, "/dashboard/compliance.csv"))


if __name__ == "__main__":
    main()
