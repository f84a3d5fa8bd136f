"""Recording exactly once, against a real threaded server: 50 people submitting at once, and
one attempt submitted 50 times at once (tabs, double clicks, replays). SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from werkzeug.serving import WSGIRequestHandler, make_server

from lms.extensions import db
from lms.models import Completion, QuizAttempt, QuizQuestion, QuizResponse

from .conftest import make_test_app, reset_schema
from .content import ContentDir
from .factories import make_user, session_key, sync_content

SUBMITTERS = 50
RIGHT = {"one": "0", "two": "0"}  # tests/content.py's QUIZ: "Right" first, and True


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


@pytest.fixture
def live(database_url, tmp_path):
    """The app served by werkzeug's threaded server, one thread per request."""
    content = ContentDir(tmp_path / "content")
    content.quiz("sample")
    app = make_test_app(database_url, tmp_path, TESTING=False, PROJECT_ROOT=content.root)
    reset_schema(app)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with app.app_context():
        sync_content()
        yield app, f"http://127.0.0.1:{server.server_port}"
        db.session.remove()
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.engine.dispose()


def _cookie(app, user) -> str:
    serializer = app.session_interface.get_signing_serializer(app)
    return "session=" + serializer.dumps({"_user_id": session_key(user), "_fresh": True})


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _post(url: str, cookie: str, data: dict) -> tuple[int, str]:
    body = urllib.parse.urlencode(data).encode()
    request = urllib.request.Request(url, data=body, headers={"Cookie": cookie})
    try:
        with _opener.open(request, timeout=60) as response:
            return response.status, response.headers.get("Location", "")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location", "")


def _start(app, base: str, user) -> tuple[str, int]:
    cookie = _cookie(app, user)
    status, location = _post(f"{base}/quizzes/sample/start", cookie, {})
    assert status == 303, status
    return cookie, int(location.rsplit("/", 1)[1])


def _answers(attempt_id: int) -> dict:
    attempt = db.session.get(QuizAttempt, attempt_id)
    qids = {q.id: q.qid for q in db.session.scalars(select(QuizQuestion))}
    return {f"q-{qids[q]}": RIGHT[qids[q]] for q, _ in attempt.draw}


def _all_at_once(calls) -> list:
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def _count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def test_fifty_people_submit_at_once_and_nothing_is_lost(live):
    app, base = live
    users = [make_user() for _ in range(SUBMITTERS)]
    started = [_start(app, base, user) for user in users]
    forms = [(cookie, attempt_id, _answers(attempt_id)) for cookie, attempt_id in started]
    db.session.rollback()
    results = _all_at_once([
        lambda c=cookie, a=attempt_id, f=form: _post(f"{base}/quizzes/sample/attempts/{a}", c, f)
        for cookie, attempt_id, form in forms
    ])
    assert [status for status, _ in results] == [303] * SUBMITTERS
    assert all(location.endswith("/result") for _, location in results)
    assert _count(Completion) == SUBMITTERS
    assert _count(QuizResponse) == 2 * SUBMITTERS
    states = db.session.execute(select(QuizAttempt.state, QuizAttempt.passed)).all()
    assert states == [("submitted", True)] * SUBMITTERS
    assert sorted(c.attempt_id for c in db.session.scalars(select(Completion))) == sorted(
        a for _, a, _ in forms)


def test_one_attempt_submitted_fifty_times_at_once_is_recorded_once(live):
    app, base = live
    user = make_user()
    cookie, attempt_id = _start(app, base, user)
    form = _answers(attempt_id)
    db.session.rollback()
    url = f"{base}/quizzes/sample/attempts/{attempt_id}"
    results = _all_at_once([lambda: _post(url, cookie, form)] * SUBMITTERS)
    # every request ends at the result page; one of them recorded it
    assert {status for status, _ in results} == {303}
    assert _count(Completion) == 1
    assert _count(QuizResponse) == 2
    [attempt] = db.session.scalars(select(QuizAttempt)).all()
    assert (attempt.state, attempt.score) == ("submitted", 100.0)


def test_two_tabs_starting_at_once_make_one_attempt(live):
    app, base = live
    user = make_user()
    cookie = _cookie(app, user)
    results = _all_at_once([lambda: _post(f"{base}/quizzes/sample/start", cookie, {})] * 10)
    assert {status for status, _ in results} == {303}
    assert len({location for _, location in results}) == 1
    assert _count(QuizAttempt) == 1
