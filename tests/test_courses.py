"""The learner's courses: list, course page, lessons, progress, completion and images."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.courses import operations
from lms.extensions import db
from lms.models import Completion, Course, CourseImage, LessonRead

from .clock import pinned_clock  # noqa: F401  (a fixture)
from .content import PNG, SVG
from .factories import sync_content


@pytest.fixture
def app_overrides(content):
    return {"PROJECT_ROOT": content.root}


@pytest.fixture
def synced(app, content):
    content.course("alpha", title="Alpha course", extra='quiz = "alpha"\n')
    content.quiz("alpha", title="Alpha check")
    sync_content()
    return content


def reads() -> int:
    return db.session.scalar(select(func.count()).select_from(LessonRead))


def completions(user) -> list[Completion]:
    return list(db.session.scalars(
        select(Completion).where(Completion.user_id == user.id).order_by(Completion.id)))


def text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_courses_list_shows_active_courses_with_minutes_and_progress(client, auth, synced):
    synced.course("beta", title="Beta course")
    sync_content()
    auth.login_as("learner")
    page = text(client.get("/courses"))
    assert page.index("Alpha course") < page.index("Beta course")
    assert "About 10 minutes" in page
    assert '<progress max="3" value="0"' in page and "0 of 3 lessons read (0%)" in page
    assert "Not started" in page
    assert "Required" not in page  # no training plan marks anything required yet
    assert 'href="/courses"' in page  # the nav link


def test_course_page_start_continue_review(client, auth, synced):
    user = auth.login_as("learner")
    page = text(client.get("/courses/alpha"))
    assert "<h1>Alpha course</h1>" in page and "A course for tests." in page
    assert '>Start<span class="visually-hidden"> Alpha course</span>' in page
    assert "Alpha check" in page and "2 questions" in page and "80%" in page
    assert [m for m in re.findall(r'/courses/alpha/lessons/([a-z-]+)"', page)][:1] == ["first"]

    client.post("/courses/alpha/lessons/first/read", data={"content_hash": _hash("first")})
    page = text(client.get("/courses/alpha"))
    assert "Continue<span class=\"visually-hidden\"> with Second lesson" in page
    assert '<progress max="3" value="1"' in page and "1 of 3 lessons read (33%)" in page
    assert "(read)" in page and "In progress" in page

    for slug in ("second", "third"):
        client.post(f"/courses/alpha/lessons/{slug}/read", data={"content_hash": _hash(slug)})
    page = text(client.get("/courses/alpha"))
    assert ">Review<" in page and "3 of 3 lessons read (100%)" in page and "Completed" in page
    [done] = completions(user)
    version = db.session.scalar(select(Course).where(Course.slug == "alpha")).current_version
    assert (done.kind, done.ref, done.source, done.content_version, done.course_version_id) == (
        "course", "alpha", "lms", version.hash, version.id)
    assert done.completed_on == operations.local_today()


def _hash(lesson_slug: str, course_slug: str = "alpha") -> str:
    course = db.session.scalar(select(Course).where(Course.slug == course_slug))
    return next(x.content_hash for x in course.current_version.lessons if x.slug == lesson_slug)


def test_lesson_page_position_navigation_and_mark_read(client, auth, synced):
    auth.login_as("learner")
    page = text(client.get("/courses/alpha/lessons/second"))
    assert "Lesson 2 of 3" in page and '<h1 id="lesson-title">Second lesson</h1>' in page
    assert 'href="/courses/alpha/lessons/first" rel="prev"' in page
    assert 'href="/courses/alpha/lessons/third" rel="next"' in page
    assert 'action="/courses/alpha/lessons/second/read"' in page
    assert "Mark as read and continue" in page
    response = client.post("/courses/alpha/lessons/second/read",
                           data={"content_hash": _hash("second")})
    assert response.headers["Location"] == "/courses/alpha/lessons/third"
    page = text(client.get("/courses/alpha/lessons/second"))
    assert "Mark as read and continue" not in page and "Read</strong>" in page
    # the last unread lesson after this one wraps round to the first
    response = client.post("/courses/alpha/lessons/third/read", data={"content_hash": _hash("third")})
    assert response.headers["Location"] == "/courses/alpha/lessons/first"
    response = client.post("/courses/alpha/lessons/first/read", data={"content_hash": _hash("first")})
    assert response.headers["Location"] == "/courses/alpha"
    assert "You have completed “Alpha course”." in text(client.get("/courses/alpha"))


def test_marking_twice_records_once(client, auth, synced):
    user = auth.login_as("learner")
    for _ in range(2):
        for slug in ("first", "second", "third"):
            client.post(f"/courses/alpha/lessons/{slug}/read", data={"content_hash": _hash(slug)})
    assert reads() == 3 and len(completions(user)) == 1


def test_a_lesson_changed_while_being_read_is_not_marked(client, auth, synced):
    auth.login_as("learner")
    response = client.post("/courses/alpha/lessons/first/read", data={"content_hash": "old"})
    assert response.headers["Location"] == "/courses/alpha/lessons/first"
    assert reads() == 0


def test_progress_and_completion_across_a_version_change(client, auth, synced):
    user = auth.login_as("learner")
    for slug in ("first", "second", "third"):
        client.post(f"/courses/alpha/lessons/{slug}/read", data={"content_hash": _hash(slug)})
    [first_completion] = completions(user)

    synced.lesson("alpha", "02-second.md", "# Second lesson\n\nRewritten for the new guidance.\n")
    synced.lesson("alpha", "04-fourth.md", "# Fourth lesson\n\nNew.\n")
    sync_content()
    page = text(client.get("/courses/alpha"))
    assert "2 of 4 lessons read (50%)" in page  # the unchanged first and third carry over
    assert "This course has changed" in page and "2 lessons have changed since" in page
    assert "Continue<span class=\"visually-hidden\"> with Second lesson" in page
    assert "Updated: read the changes" in text(client.get("/courses"))

    response = client.post("/courses/alpha/lessons/second/read", data={"content_hash": _hash("second")})
    assert response.headers["Location"] == "/courses/alpha/lessons/fourth"
    client.post("/courses/alpha/lessons/fourth/read", data={"content_hash": _hash("fourth")})
    old, new = completions(user)
    assert old.id == first_completion.id  # the earlier completion stays, with its version
    assert old.content_version != new.content_version
    assert new.content_version == db.session.scalar(
        select(Course).where(Course.slug == "alpha")).current_version.hash
    assert "4 of 4 lessons read (100%)" in text(client.get("/courses/alpha"))


def test_unknown_archived_and_other_versions_lessons_are_404(client, auth, synced):
    auth.login_as("learner")
    assert client.get("/courses/nope").status_code == 404
    assert client.get("/courses/alpha/lessons/nope").status_code == 404
    synced.lesson("alpha", "03-third.md", None)  # lesson "third" exists only in version 1
    sync_content()
    assert client.get("/courses/alpha/lessons/third").status_code == 404
    assert client.post("/courses/alpha/lessons/third/read", data={"content_hash": "x"}).status_code == 404
    assert client.get("/courses/alpha/lessons/second").status_code == 200

    archived = synced.root / "courses" / "alpha"
    archived.rename(synced.root / "courses" / ".alpha")
    sync_content()
    assert client.get("/courses/alpha").status_code == 404
    assert client.get("/courses/alpha/lessons/first").status_code == 404
    response = client.post("/courses/alpha/lessons/first/read", data={"content_hash": _hash("first")})
    assert response.status_code == 404
    assert reads() == 0
    assert "Alpha course" not in text(client.get("/courses"))


def test_anonymous_people_are_sent_to_sign_in(client, synced):
    response = client.get("/courses/alpha")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
    response = client.post("/courses/alpha/lessons/first/read", data={"content_hash": _hash("first")})
    assert response.status_code == 302 and reads() == 0


def test_policy_course_shows_its_version(client, auth, app, content):
    content.course("policy", title="Our policy", extra="""\
        [policy]
        ref = "our-policy"
        version = "2026.1"
        effective = "2026-09-01"
        statement = "I have read it."
        """)
    sync_content()
    auth.login_as("learner")
    assert "Version 2026.1, in force from 1 September 2026" in text(client.get("/courses/policy"))


@pytest.fixture
def pictures(app, content):
    content.course(
        "pics",
        lessons={"01-pictures.md": "# Pictures\n\n![A dot](images/dot.png)\n\n![A square](images/square.svg)\n"},
        images={"dot.png": PNG, "square.svg": SVG},
    )
    sync_content()
    return {i.name: i for i in db.session.scalars(select(CourseImage))}


def test_images_are_served_at_hashed_urls_with_long_caching(client, auth, pictures):
    auth.login_as("learner")
    dot = pictures["dot.png"]
    page = text(client.get("/courses/pics/lessons/pictures"))
    assert f'<img alt="A dot" src="/course-images/{dot.content_hash}/dot.png">' in page
    response = client.get(f"/course-images/{dot.content_hash}/dot.png")
    assert response.status_code == 200 and response.data == PNG
    assert response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    again = client.get(f"/course-images/{dot.content_hash}/dot.png",
                       headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert client.get(f"/course-images/{dot.content_hash}/other.png").status_code == 404
    assert client.get(f"/course-images/{'0' * 64}/dot.png").status_code == 404


def test_svg_opened_directly_cannot_run_script(client, auth, pictures):
    auth.login_as("learner")
    square = pictures["square.svg"]
    response = client.get(f"/course-images/{square.content_hash}/square.svg")
    assert response.mimetype == "image/svg+xml"
    csp = response.headers["Content-Security-Policy"]
    assert csp == "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    assert "script-src" not in csp


def test_images_need_sign_in(client, pictures):
    dot = pictures["dot.png"]
    assert client.get(f"/course-images/{dot.content_hash}/dot.png").status_code == 302


def test_list_courses_query_count_does_not_grow_with_courses(app, auth, content):
    from sqlalchemy import event

    user = auth.login_as("learner")
    content.course("one")
    sync_content()
    counts = []
    for slug in ("two", "three", "four"):
        content.course(slug)
        sync_content()
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        assert len(operations.list_courses(user)) >= 2
        event.remove(db.engine, "before_cursor_execute", listener)
        counts.append(len(statements))
    assert counts[0] == counts[-1]


def test_required_courses_hook_is_empty_until_the_plan_exists(app, auth):
    assert operations.required_course_slugs(auth.login_as("learner")) == set()


def test_a_read_recorded_by_a_concurrent_request_is_not_recorded_twice(app, auth, synced, monkeypatch):
    user = auth.login_as("learner")
    course = db.session.scalar(select(Course).where(Course.slug == "alpha"))
    lesson = course.current_version.lessons[0]
    operations.mark_read(user, course, lesson)
    real_scalar = db.session.scalar
    calls = []

    def stale_check(*args, **kwargs):  # the other request committed after this one looked
        calls.append(1)
        return None if len(calls) == 1 else real_scalar(*args, **kwargs)

    monkeypatch.setattr(db.session, "scalar", stale_check)
    assert operations.mark_read(user, course, lesson) is None
    monkeypatch.undo()
    assert reads() == 1


RENEWING_PLAN = """
warning_days = 30
[[requirements]]
ref = "alpha"
kind = "course"
categories = ["staff"]
due_days = 28
renew_months = 12
"""


@pytest.mark.dates
@pytest.mark.usefixtures("pinned_clock")
def test_a_course_due_for_renewal_is_renewed_by_reading_it_again(app, client, auth, synced, tmp_path, today):
    """Regression: a renewing course once stayed "Completed" with every lesson read, so
    reading it again recorded nothing and the requirement could only lapse."""
    plan = tmp_path / "renewing-plan.toml"
    plan.write_text(RENEWING_PLAN)
    app.config["TRAINING_PLAN"] = str(plan)
    user = auth.login_as("learner", categories=("staff",))
    for slug in ("first", "second", "third"):
        client.post(f"/courses/alpha/lessons/{slug}/read", data={"content_hash": _hash(slug)})
    [first] = completions(user)
    page = text(client.get("/courses/alpha"))
    assert "Completed" in page and "Time to renew" not in page

    then = today - timedelta(days=350)  # valid for 15 more days: inside the warning window
    first.completed_on = then
    db.session.commit()
    page = text(client.get("/courses/alpha"))
    assert "Time to renew this course" in page and "0 of 3 lessons read (0%)" in page
    listing = text(client.get("/courses"))
    assert "Time to renew" in listing and "0 of 3 lessons read (0%)" in listing and "Completed" not in listing
    assert 'action="/courses/alpha/lessons/first/read"' in text(client.get("/courses/alpha/lessons/first"))

    for slug in ("first", "second"):
        client.post(f"/courses/alpha/lessons/{slug}/read", data={"content_hash": _hash(slug)})
    assert len(completions(user)) == 1 and "2 of 3 lessons read" in text(client.get("/courses/alpha"))
    client.post("/courses/alpha/lessons/third/read", data={"content_hash": _hash("third")})
    renewed = completions(user)
    assert len(renewed) == 2 and renewed[1].completed_on == today
    page = text(client.get("/courses/alpha"))
    assert "Completed" in page and "3 of 3 lessons read (100%)" in page and "Time to renew" not in page
    assert reads() == 3  # the same rows, read again
