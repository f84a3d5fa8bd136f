"""What new users tripped on (issue 18, point 8): the way on to a course's quiz, renewals and
rejections on My training, plurals, status colours, selecting people, filtered summaries,
the tab title and the favicon."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from lms.courses import operations as courses
from lms.extensions import db
from lms.models import Course, Evidence, OutboxMessage, Permission

from .factories import make_user, sync_content


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _read_all_but_last(user, slug: str):
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    lessons = course.current_version.lessons
    for lesson in lessons[:-1]:
        courses.mark_read(user, course, lesson)
    db.session.commit()
    return lessons[-1]


def test_the_last_lesson_and_the_course_page_lead_on_to_the_quiz(app, client, auth):
    sync_content()
    ada = auth.login_as("learner")
    course_page = text(client.get("/courses/prevent-awareness"))
    # Until every lesson is read, "Start" is the primary action and the quiz a secondary one.
    assert re.search(r'class="button button-secondary" href="/quizzes/prevent-awareness">Take the quiz', course_page)

    last = _read_all_but_last(ada, "prevent-awareness")
    page = text(client.get(f"/courses/prevent-awareness/lessons/{last.slug}"))
    assert "Take the quiz" not in page  # not read yet: "Mark as read and continue" first
    response = client.post(
        f"/courses/prevent-awareness/lessons/{last.slug}/read", data={"content_hash": last.content_hash}
    )
    assert response.headers["Location"] == "/courses/prevent-awareness"
    course_page = text(client.get("/courses/prevent-awareness"))
    assert re.search(r'class="button" href="/quizzes/prevent-awareness">Take the quiz', course_page)
    page = text(client.get(f"/courses/prevent-awareness/lessons/{last.slug}"))
    assert re.search(r'class="button" href="/quizzes/prevent-awareness">Take the quiz', page)
    assert "Back to the course" in page
    # A lesson that is not the last leads to the next lesson, not the quiz.
    first = text(client.get("/courses/prevent-awareness/lessons/" + last.version.lessons[0].slug))
    assert "Take the quiz" not in first and "Next lesson" in first


def test_my_training_says_how_often_items_renew(app, client, auth):
    sync_content()
    auth.login_as("learner", categories=("staff",))
    home = text(client.get("/"))
    assert "Renews every 12 months." in home and "Renews every 36 months." in home
    assert "Renews every 1 months" not in home


def test_my_training_shows_why_a_certificate_was_not_accepted(app, client, auth, today):
    sync_content()
    ada = auth.login_as("learner", categories=("staff",))
    data = b"%PDF-1.4 not a real certificate"
    db.session.add(
        Evidence(
            user_id=ada.id,
            certificate_ref="home-office-prevent-awareness",
            filename="cert.pdf",
            mime="application/pdf",
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            data=data,
            certificate_date=today - timedelta(days=2),
            status="rejected",
            decided_at=datetime.now(UTC),
            reason="The name on the certificate is not yours.",
        )
    )
    db.session.commit()
    home = text(client.get("/"))
    assert "was not accepted" in home and "The name on the certificate is not yours." in home

    # A new upload waiting for a lead replaces the message.
    db.session.add(
        Evidence(
            user_id=ada.id,
            certificate_ref="home-office-prevent-awareness",
            filename="cert2.pdf",
            mime="application/pdf",
            size=len(data) + 1,
            sha256=hashlib.sha256(data + b"2").hexdigest(),
            data=data + b"2",
            certificate_date=today,
        )
    )
    db.session.commit()
    assert "The name on the certificate is not yours." not in text(client.get("/"))


def test_counts_agree_with_their_nouns(app, client, auth, today):
    sync_content()
    auth.login_as("lead")
    make_user(name="Una Day", categories=("staff",), start_date=today - timedelta(days=29))  # due in 28 days
    overdue = text(client.get("/dashboard/overdue"))
    assert "1 day</td>" in overdue and "1 days" not in overdue
    course = text(client.get("/courses/prevent-awareness"))
    assert re.search(r"of \d+ lessons read", course)
    assert " 1 days" not in text(client.get("/"))


def test_the_summary_counts_only_the_people_the_filters_choose(app, client, auth, today):
    sync_content()
    auth.login_as("lead", categories=("director",))
    make_user(name="Cora Contractor", categories=("contractor",), start_date=today - timedelta(days=400))
    make_user(name="Sam Staff", categories=("staff",), start_date=today)
    everyone = text(client.get("/dashboard"))
    assert "Counting only" not in everyone
    chosen = text(client.get("/dashboard?category=contractor"))
    assert "Counting only the 1 person the filters below choose." in chosen

    def items(html: str) -> int:
        return sum(int(n) for n in re.findall(r'<td data-label="Items">(\d+)</td>', html))

    assert 0 < items(chosen) < items(everyone)
    # Overdue and complete are drawn in different colours (their tags' colours).
    assert 'class="bar bar-overdue"' in everyone and 'class="bar bar-complete"' in everyone


def test_acting_on_nobody_says_to_select_someone(app, client, auth):
    auth.login_as("lead")
    make_user()
    page = client.post("/admin/people/bulk", data={"action": "remind"}, follow_redirects=True)
    assert "Select at least one person." in text(page)
    page = client.post("/dashboard/remind", data={"back": "/dashboard"}, follow_redirects=True)
    assert "Select at least one person to remind." in text(page)
    assert db.session.scalar(select(OutboxMessage.id)) is None
    listing = text(client.get("/admin/people"))
    assert 'data-select-all="Select everyone on this page"' in listing


def test_the_tab_title_names_the_page_the_service_and_the_organisation(app, client, auth):
    auth.login_as("learner")
    home = text(client.get("/"))
    org = app.config["ORG_NAME"]
    assert f"<title>My training – Prevent training – {org}</title>" in home
    assert "Training training" not in home
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in home
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert text(client.get("/raise-a-concern")).count("<title>") == 1


def test_a_lead_can_still_see_the_page_when_nothing_is_selected(app, client, auth):
    """Selecting needs no script: each person has their own box."""
    auth.login_as(Permission.LEAD)
    make_user(name="Ada One")
    listing = text(client.get("/admin/people"))
    assert re.search(r'<input type="checkbox" name="user_id" value="\d+" id="select-\d+">', listing)
