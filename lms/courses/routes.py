"""Courses for learners: the list, a course, its lessons, and the images lessons show."""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..models import CourseImage, Permission
from ..permissions import requires
from ..revalidation import revalidated
from . import bp, operations
from .forms import MarkReadForm

# Served with images: nothing in an image may run, even when opened on its own (an SVG).
IMAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
YEAR = 365 * 24 * 3600


@bp.route("/courses")
@requires(Permission.LEARNER)
def list_courses():
    return render_template(
        "courses/list_courses.html", courses=operations.list_courses(current_user)
    )


@bp.route("/courses/<slug>")
@requires(Permission.LEARNER)
@revalidated
def show_course(slug: str):
    course = operations.active_course(slug)
    progress = operations.course_progress(current_user, course)
    return render_template(
        "courses/show_course.html",
        progress=progress,
        version=progress.version,
        next_lesson=operations.next_lesson_to_read(progress),
        quiz=operations.course_quiz(progress.version),
    )


@bp.route("/courses/<slug>/lessons/<lesson_slug>")
@requires(Permission.LEARNER)
@revalidated
def show_lesson(slug: str, lesson_slug: str):
    course = operations.active_course(slug)
    lesson = operations.current_lesson(course, lesson_slug)
    progress = operations.course_progress(current_user, course)
    lessons = progress.version.lessons
    form = MarkReadForm(content_hash=lesson.content_hash)
    following = lessons[lesson.position] if lesson.position < len(lessons) else None
    return render_template(
        "courses/show_lesson.html",
        progress=progress,
        version=progress.version,
        lesson=lesson,
        previous=lessons[lesson.position - 2] if lesson.position > 1 else None,
        following=following,
        # The last lesson leads on to the course's quiz.
        quiz=operations.course_quiz(progress.version) if following is None else None,
        form=form,
    )


@bp.route("/courses/<slug>/lessons/<lesson_slug>/read", methods=["POST"])
@requires(Permission.LEARNER)
def mark_lesson_read(slug: str, lesson_slug: str):
    course = operations.active_course(slug)
    lesson = operations.current_lesson(course, lesson_slug)
    form = MarkReadForm()
    if not form.validate_on_submit():
        abort(400)
    if form.content_hash.data != lesson.content_hash:
        flash("This lesson was updated while you were reading it. Please read it again.", "info")
        return redirect(url_for(".show_lesson", slug=slug, lesson_slug=lesson_slug))
    completion = operations.mark_read(current_user, course, lesson)
    if completion is not None:
        flash(f"You have completed “{course.current_version.title}”.", "success")
        return redirect(url_for(".show_course", slug=slug))
    progress = operations.course_progress(current_user, course)
    following = operations.next_lesson_to_read(progress, after=lesson)
    if following is None:
        return redirect(url_for(".show_course", slug=slug))
    return redirect(url_for(".show_lesson", slug=slug, lesson_slug=following.slug))


@bp.route("/course-images/<content_hash>/<name>")
@requires(Permission.LEARNER)
def show_image(content_hash: str, name: str):
    image = db.one_or_404(
        select(CourseImage).where(
            CourseImage.content_hash == content_hash, CourseImage.name == name
        )
    )
    response = make_response(image.data)
    response.mimetype = image.mime
    response.headers["Content-Security-Policy"] = IMAGE_CSP
    response.headers["Content-Disposition"] = "inline"
    # The address changes whenever the file does, so a browser may keep it for a year.
    response.headers["Cache-Control"] = f"private, max-age={YEAR}, immutable"
    response.set_etag(image.content_hash)
    return response.make_conditional(request)
