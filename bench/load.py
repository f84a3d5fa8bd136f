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
            env={"LMS_BASE_URL": self.url, **os.environ, **env},
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


def wrk(url: str, seconds: int, paths: list[str], cookie: str | None, headers: dict[str, str] | None = None) -> float:
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
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"wrk saw {errors.group(1)} error responses:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def learner_pages(app) -> dict[str, str]:
    """My training, a course, a lesson and a quiz page of the shipped content."""
    from flask import url_for

    from lms.models.content import Course, CourseVersion, Lesson

    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "prevent-awareness"))
        lesson = db.session.scalar(
            select(Lesson).join(CourseVersion).where(CourseVersion.id == course.current_version_id, Lesson.position == 2)
        )
    with app.test_request_context():
        return {
            "my_training": "/",
            "course": url_for("courses.show_course", slug=course.slug),
            "lesson": url_for("courses.show_lesson", slug=course.slug, lesson_slug=lesson.slug),
            "quiz": url_for("quizzes.show_quiz", slug="prevent-awareness"),
        }


def etag_of(base: str, path: str, cookie: str) -> str:
    request = urllib.request.Request(f"{base}{path}", headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=30) as response:
        tag = response.headers.get("ETag")
    assert tag, f"{path} carries no ETag"
    return tag


def measure_learner_rps(app, url: str, out: Path, seconds: int, figure) -> None:
    """Each learner page drawn in full, then revalidated with If-None-Match (304), against a
    bare Flask route in the same run; the lowest ratio of the four is the figure."""
    env = {"LMS_DATABASE_URL": url, "LMS_INSTANCE_PATH": str(out / "instance")}
    pages = learner_pages(app)
    with Gunicorn("bench.bare:app", {}) as server:
        wrk(server.url, 2, ["/"], None)
        bare = wrk(server.url, seconds, ["/"], None)
    first, repeat = {}, {}
    with Gunicorn("lms:create_app()", env) as server:
        cookie = sign_in(server.url, LEARNER_EMAIL, BENCH_PASSWORD)
        for name, path in pages.items():
            wrk(server.url, 1, [path], cookie)  # warm up
            first[name] = wrk(server.url, seconds, [path], cookie)
            tag = etag_of(server.url, path, cookie)
            repeat[name] = wrk(server.url, seconds, [path], cookie, {"If-None-Match": tag})
    figure("bare_flask_rps", bare)
    for name in pages:
        figure(f"learner_first_rps_{name}", first[name])
        figure(f"learner_repeat_rps_{name}", repeat[name])
    figure("learner_first_rps_ratio", min(first.values()) / bare)
    figure("learner_repeat_rps_ratio", min(repeat.values()) / bare)


def lead_cookie(app) -> str:
    """A lead's signed-in session cookie, made without a request (so a fresh server's first
    request can be the report itself)."""
    from lms.auth.operations import open_session
    from lms.models import User

    from .generate import LEAD_EMAIL

    with app.app_context():
        lead = db.session.scalar(select(User).where(User.email == LEAD_EMAIL))
        key = open_session(lead, "127.0.0.1", "bench")
        db.session.commit()
    serializer = app.session_interface.get_signing_serializer(app)
    return "session=" + serializer.dumps({"_user_id": key, "_fresh": True})


def measure_cold_reports(app, url: str, out: Path, figure) -> None:
    """dashboard_cold_s and csv_export_cold_s: the first request after /healthz to a freshly
    started server, median of three fresh starts each."""
    import statistics

    env = {"LMS_DATABASE_URL": url, "LMS_INSTANCE_PATH": str(out / "instance")}
    cookie = lead_cookie(app)
    for name, path in (("dashboard_cold_s", "/dashboard"), ("csv_export_cold_s", "/dashboard/compliance.csv")):
        times = []
        for _ in range(3):
            with Gunicorn("lms:create_app()", env) as server:
                urllib.request.urlopen(f"{server.url}/healthz", timeout=30).read()
                request = urllib.request.Request(f"{server.url}{path}", headers={"Cookie": cookie})
                started = time.perf_counter()
                with urllib.request.urlopen(request, timeout=120) as response:
                    assert response.status == 200
                    response.read()
                times.append(time.perf_counter() - started)
        figure(name, statistics.median(times))


# -- quiz submissions ---------------------------------------------------------------------

QUIZ = "prevent-awareness"


def _answers(attempt, qids: dict[int, str]) -> dict[str, str]:
    """The first option of each drawn question, as the form would send it."""
    return {f"q-{qids[question_id]}": "0" for question_id, _order in attempt.draw}


def _learners(app, count: int, offset: int) -> list:
    from lms.auth.operations import open_session
    from lms.models import User

    with app.app_context():
        people = db.session.scalars(
            select(User).where(User.active.is_(True), User.id > 2).order_by(User.id).offset(offset).limit(count)
        ).all()
        rows = [(person.id, open_session(person, "127.0.0.1", "bench")) for person in people]
        db.session.commit()
    return rows


def _start_attempts(app, learners) -> tuple[dict, dict[int, str]]:
    from lms.models import QuizQuestion, User
    from lms.quizzes import attempts as taking

    attempts = {}
    with app.app_context():
        quiz = taking.active_quiz(QUIZ)
        qids = dict(db.session.execute(select(QuizQuestion.id, QuizQuestion.qid)).all())
        for user_id, _token in learners:
            attempt = taking.start_attempt(db.session.get(User, user_id), quiz)
            attempts[user_id] = (attempt.id, list(attempt.draw))
        db.session.commit()  # as the request that starts them does
        db.session.remove()
    return attempts, qids


def measure_submissions(app, url: str, out: Path, figure) -> None:
    import statistics
    from types import SimpleNamespace

    from lms import create_app

    timing_app = create_app(
        {"BASE_URL": "http://127.0.0.1:5000", "DATABASE_URL": url, "INSTANCE_PATH": out / "instance",
         "WTF_CSRF_ENABLED": False}
    )
    learners = _learners(timing_app, 200, 100)
    attempts, qids = _start_attempts(timing_app, learners)
    times = []
    for user_id, token in learners:
        attempt_id, draw = attempts[user_id]
        client = timing_app.test_client()
        with client.session_transaction() as sess:
            sess["_user_id"] = token
            sess["_fresh"] = True
        data = _answers(SimpleNamespace(draw=draw), qids)
        started = time.perf_counter()
        response = client.post(f"/quizzes/{QUIZ}/attempts/{attempt_id}", data=data)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 303, response.status_code
    times.sort()
    figure("submit_p50_ms", statistics.median(times))
    figure("submit_p95_ms", times[int(len(times) * 0.95) - 1])
    concurrent_submitters(timing_app, url, out, figure)


def concurrent_submitters(app, url: str, out: Path, figure, people: int = 50) -> None:
    """50 people submit at once through gunicorn, each twice (a double click): nothing may be
    lost or recorded twice."""
    import http.client
    import threading
    from types import SimpleNamespace

    from lms.models import Completion, QuizAttempt, QuizResponse

    learners = _learners(app, people, 400)
    attempts, qids = _start_attempts(app, learners)
    serializer = app.session_interface.get_signing_serializer(app)
    env = {"LMS_DATABASE_URL": url, "LMS_INSTANCE_PATH": str(out / "instance")}
    acknowledged: set[int] = set()
    problems: list[str] = []
    with Gunicorn("lms:create_app()", env) as server:
        prepared = []
        for user_id, token in learners:
            attempt_id, draw = attempts[user_id]
            cookie = "session=" + serializer.dumps({"_user_id": token, "_fresh": True})
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            conn.request("GET", f"/quizzes/{QUIZ}/attempts/{attempt_id}", headers={"Cookie": cookie})
            page = conn.getresponse()
            html = page.read().decode()
            set_cookie = page.getheader("Set-Cookie") or ""
            conn.close()
            if set_cookie.startswith("session="):
                cookie = set_cookie.split(";", 1)[0]
            csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
            body = urllib.parse.urlencode({"csrf_token": csrf, **_answers(SimpleNamespace(draw=draw), qids)})
            prepared.append((user_id, attempt_id, cookie, body))

        barrier = threading.Barrier(len(prepared) * 2)

        def submit(user_id, attempt_id, cookie, body):
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            barrier.wait()
            conn.request(
                "POST",
                f"/quizzes/{QUIZ}/attempts/{attempt_id}",
                body=body,
                headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
            )
            response = conn.getresponse()
            response.read()
            if response.status == 303:
                acknowledged.add(attempt_id)
            else:
                problems.append(f"{response.status} for attempt {attempt_id}")
            conn.close()

        threads = [threading.Thread(target=submit, args=p) for p in prepared for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)

    ids = [a for a, _ in attempts.values()]
    with app.app_context():
        submitted = set(
            db.session.scalars(select(QuizAttempt.id).where(QuizAttempt.id.in_(ids), QuizAttempt.state == "submitted"))
        )
        responses = dict(
            db.session.execute(
                select(QuizResponse.attempt_id, db.func.count()).where(QuizResponse.attempt_id.in_(ids)).group_by(QuizResponse.attempt_id)
            ).all()
        )
        completions = dict(
            db.session.execute(
                select(Completion.attempt_id, db.func.count()).where(Completion.attempt_id.in_(ids)).group_by(Completion.attempt_id)
            ).all()
        )
    drawn = {a: len(d) for a, d in attempts.values()}
    lost = sum(1 for a in acknowledged if a not in submitted or responses.get(a, 0) < drawn[a])
    duplicated = sum(1 for a in ids if responses.get(a, 0) > drawn[a] or completions.get(a, 0) > 1)
    figure("concurrent_submitters", len(prepared))
    figure("attempts_lost", lost)
    figure("attempts_duplicated", duplicated)
    if problems:
        figure("_submission_errors", "; ".join(problems[:5]))
