"""Load measurements against real servers on 127.0.0.1: gunicorn (2 workers) and wrk (8
connections), each run bounded in time."""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from sqlalchemy import select

from lms.extensions import db

from .generate import BENCH_PASSWORD, LEARNER_EMAIL

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    def __init__(self, target: str, env: dict[str, str], workers: int = 2):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{self.port}",
             "--log-level", "warning", target],
            env={**os.environ, **env},
            cwd=ROOT,
        )

    def __enter__(self):
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    time.sleep(0.5)
                    return self
            except OSError:
                time.sleep(0.2)
        self.proc.kill()
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(timeout=15)


def sign_in(base: str, email: str, password: str) -> str:
    """Sign in through the real form (CSRF included); returns the Cookie header value."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    data = urllib.parse.urlencode({"csrf_token": token.group(1), "email": email, "password": password}).encode()
    opener.open(f"{base}/login", data=data, timeout=10)
    cookies = "; ".join(f"{c.name}={c.value}" for c in jar)
    assert "session=" in cookies
    return cookies


def wrk(url: str, seconds: int, paths: list[str], cookie: str | None) -> float:
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is missing: apt-get install wrk")
    script = ROOT / "bench" / "out" / "paths.lua"
    script.parent.mkdir(parents=True, exist_ok=True)
    quoted = ", ".join(f'"{p}"' for p in paths)
    script.write_text(
        f"local paths = {{{quoted}}}\nlocal i = 0\n"
        "request = function()\n  i = i % #paths + 1\n  return wrk.format('GET', paths[i])\nend\n"
    )
    cmd = ["wrk", "-t", "2", "-c", "8", "-d", f"{seconds}s", "-s", str(script)]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"wrk saw {errors.group(1)} error responses:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def learner_paths(app) -> list[str]:
    """My training, a lesson and a quiz page of the shipped content."""
    from lms.models.content import Course, CourseVersion, Lesson

    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "prevent-awareness"))
        lesson = db.session.scalar(
            select(Lesson).join(CourseVersion).where(CourseVersion.id == course.current_version_id, Lesson.position == 2)
        )
        paths = ["/", f"/courses/{course.slug}/lessons/{lesson.slug}"]
        quiz_page = quiz_path(app)
        if quiz_page:
            paths.append(quiz_page)
    return paths


def quiz_path(app) -> str | None:
    """The quiz page, once the quiz engine serves one."""
    endpoint = "quizzes.show_quiz"
    if endpoint not in app.view_functions:
        return None
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, slug="prevent-awareness")


def measure_learner_rps(app, url: str, out: Path, seconds: int, figure) -> None:
    env = {"LMS_DATABASE_URL": url, "LMS_INSTANCE_PATH": str(out / "instance")}
    paths = learner_paths(app)
    with Gunicorn("lms:create_app()", env) as server:
        cookie = sign_in(server.url, LEARNER_EMAIL, BENCH_PASSWORD)
        wrk(server.url, 2, paths, cookie)  # warm up
        learner = wrk(server.url, seconds, paths, cookie)
    with Gunicorn("bench.bare:app", {}) as server:
        wrk(server.url, 2, ["/"], None)
        bare = wrk(server.url, seconds, ["/"], None)
    figure("learner_rps", learner)
    figure("bare_flask_rps", bare)
    figure("learner_rps_ratio", learner / bare)
    figure("_learner_paths", " ".join(paths))
