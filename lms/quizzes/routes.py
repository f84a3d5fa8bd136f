"""Quizzes: a learner takes one (start, answer, result, history); leads and admins read the
results and export them as CSV."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select

from .. import csvexport
from ..dates import local_today
from ..extensions import db
from ..models import Permission, Quiz
from ..pagination import MAX_PER_PAGE, requested_page
from ..permissions import requires
from ..revalidation import revalidated
from . import attempts, bp, drafts, exports, reports, review, statistics
from .forms import AnswerForm, StartForm


def _refused(error: attempts.SubmissionRefused, slug: str):
    return render_template("quizzes/refused.html", message=error.message, slug=slug), error.status


@bp.route("/quizzes/<slug>")
@requires(Permission.LEARNER)
@revalidated
def show_quiz(slug: str):
    quiz = attempts.active_quiz(slug)
    progress = attempts.progress(current_user, quiz)
    return render_template(
        "quizzes/show_quiz.html",
        quiz=quiz,
        version=quiz.current_version,
        progress=progress,
        saved=drafts.summary(progress.in_progress),
        form=StartForm(),
    )


@bp.route("/quizzes/<slug>/start", methods=["POST"])
@requires(Permission.LEARNER)
def start_quiz(slug: str):
    quiz = attempts.active_quiz(slug)
    if not StartForm().validate_on_submit():
        abort(400)
    try:
        attempt = attempts.start_attempt(current_user, quiz)
    except attempts.SubmissionRefused as error:
        return _refused(error, slug)
    return redirect(url_for(".take_attempt", slug=slug, attempt_id=attempt.id), 303)


@bp.route("/quizzes/<slug>/attempts/<int:attempt_id>")
@requires(Permission.LEARNER)
def take_attempt(slug: str, attempt_id: int):
    attempt = attempts.own_attempt(current_user, slug, attempt_id)
    if attempt.submitted:
        return redirect(url_for(".show_result", slug=slug, attempt_id=attempt.id))
    drawn = attempts.drawn_questions(attempt)
    return render_template(
        "quizzes/take_attempt.html",
        attempt=attempt,
        questions=drawn,
        form=AnswerForm(),
        answers=drafts.saved_answers(attempt, [q for q, _ in drawn]),
        unanswered=[],
    )


@bp.route("/quizzes/<slug>/attempts/<int:attempt_id>", methods=["POST"])
@requires(Permission.LEARNER)
def submit_attempt(slug: str, attempt_id: int):
    attempt = attempts.own_attempt(current_user, slug, attempt_id)
    form = AnswerForm()
    if not form.validate_on_submit():
        abort(400)
    result_url = url_for(".show_result", slug=slug, attempt_id=attempt.id)
    try:
        attempts.check_open(attempt)
        drawn = attempts.drawn_questions(attempt)
        questions = [q for q, _ in drawn]
        answers = attempts.parse_answers(request.form, questions)
        missing = attempts.unanswered(answers, questions)
        problems = attempts.unmarkable(answers, questions)  # asked to correct: nothing saved
        if problems or (missing and form.confirm_unanswered.data != "yes"):
            return render_template(
                "quizzes/take_attempt.html",
                attempt=attempt,
                questions=drawn,
                form=form,
                answers=answers,
                unanswered=[] if problems else missing,
                problems=problems,
            ), 400 if problems else 200
        attempts.submit(attempt, questions, answers)
        drafts.discard(attempt)
    except attempts.AlreadySubmitted as error:
        flash(error.message, "info")
        return redirect(result_url, 303)
    except attempts.SubmissionRefused as error:
        return _refused(error, slug)
    return redirect(result_url, 303)


@bp.route("/quizzes/<slug>/attempts/<int:attempt_id>/answers", methods=["POST"])
@requires(Permission.LEARNER)
def save_answers(slug: str, attempt_id: int):
    """The "Save answers" button, and the page's script saving on each change (which asks
    for JSON and stays on the page)."""
    attempt = attempts.own_attempt(current_user, slug, attempt_id)
    wants_json = request.accept_mimetypes.best == "application/json"
    if not AnswerForm().validate_on_submit():
        abort(400)
    questions = [q for q, _ in attempts.drawn_questions(attempt)]
    try:
        answered = drafts.save(attempt, questions, request.form)
    except attempts.SubmissionRefused as error:
        if wants_json:
            return {"message": error.message}, error.status
        if isinstance(error, attempts.AlreadySubmitted):
            flash(error.message, "info")
            return redirect(url_for(".show_result", slug=slug, attempt_id=attempt.id), 303)
        return _refused(error, slug)
    message = drafts.saved_message(answered, len(questions))
    if wants_json:
        return {"message": message, "answered": answered}
    flash(message, "success")
    return redirect(url_for(".take_attempt", slug=slug, attempt_id=attempt.id), 303)


@bp.route("/quizzes/<slug>/attempts/<int:attempt_id>/result")
@requires(Permission.LEARNER)
def show_result(slug: str, attempt_id: int):
    attempt = attempts.own_attempt(current_user, slug, attempt_id)
    if not attempt.submitted:
        return redirect(url_for(".take_attempt", slug=slug, attempt_id=attempt.id))
    return render_template(
        "quizzes/show_result.html",
        result=review.result(current_user, attempt),
        form=StartForm(),
        slug=slug,
    )


# -- leads and admins ------------------------------------------------------------------------


def _quiz_or_404(slug: str) -> Quiz:
    """Any quiz by slug, archived ones too: their results stay readable."""
    return db.one_or_404(select(Quiz).where(Quiz.slug == slug))


@bp.route("/quiz-results")
@requires(Permission.LEAD)
def list_results():
    return render_template("quizzes/list_results.html", summaries=reports.quiz_summaries())


class _SelectPagination(Pagination):
    """Pages over a row query (db.paginate returns only the first column of each row)."""

    def _query_items(self):
        statement = self._query_args["select"]
        offset = (self.page - 1) * self.per_page
        return db.session.execute(statement.limit(self.per_page).offset(offset)).all()

    def _query_count(self) -> int:
        return self._query_args["total"]


@bp.route("/quiz-results/<slug>")
@requires(Permission.LEAD)
def show_results(slug: str):
    quiz = _quiz_or_404(slug)
    if quiz.current_version is None:
        abort(404)
    page = _SelectPagination(
        select=reports.people_results_query(quiz),
        total=reports.people_count(quiz),
        page=requested_page(),
        per_page=current_app.config["PAGE_SIZE"],
        max_per_page=MAX_PER_PAGE,
    )
    return render_template(
        "quizzes/show_results.html",
        quiz=quiz,
        version=quiz.current_version,
        page=page,
        stats=reports.question_stats(quiz),
    )


@bp.route("/quiz-results/<slug>/questions")
@requires(Permission.LEAD)
def show_question_figures(slug: str):
    quiz = _quiz_or_404(slug)
    if quiz.current_version is None:
        abort(404)
    return render_template(
        "quizzes/show_question_figures.html",
        quiz=quiz,
        version=quiz.current_version,
        figures=statistics.quiz_figures(quiz),
    )


def _csv(lines, name: str) -> Response:
    return csvexport.download(lines, f"{name}-{local_today().isoformat()}.csv")


def _export_filter() -> Quiz | None:
    slug = request.args.get("quiz")
    return _quiz_or_404(slug) if slug else None


@bp.route("/quiz-results/attempts.csv")
@requires(Permission.LEAD)
def export_attempts():
    quiz = _export_filter()
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    name = f"quiz-attempts-{quiz.slug}" if quiz else "quiz-attempts"
    return _csv(exports.attempts_csv(quiz, tz), name)


@bp.route("/quiz-results/responses.csv")
@requires(Permission.LEAD)
def export_responses():
    quiz = _export_filter()
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    name = f"quiz-responses-{quiz.slug}" if quiz else "quiz-responses"
    return _csv(exports.responses_csv(quiz, tz), name)
