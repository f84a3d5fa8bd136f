"""The "next action" for a quiz requirement on My training: start, continue or retake it."""

from __future__ import annotations

from flask import url_for
from flask_login import current_user
from sqlalchemy import func, select

from ..extensions import db
from ..models import Quiz, QuizAttempt
from ..models.quiz import IN_PROGRESS
from ..plan.actions import Action, register_action
from ..plan.compliance import Item
from ..plan.status import Status


@register_action("quiz")
def quiz_action(item: Item) -> Action | None:
    quiz_id = db.session.scalar(
        select(Quiz.id).where(Quiz.slug == item.ref, Quiz.archived.is_(False))
    )
    if quiz_id is None or not current_user.is_authenticated:
        return None
    used, in_progress = db.session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(db.case((QuizAttempt.state == IN_PROGRESS, 1), else_=0)), 0),
        ).where(QuizAttempt.user_id == current_user.id, QuizAttempt.quiz_id == quiz_id)
    ).one()
    url = url_for("quizzes.show_quiz", slug=item.ref)
    if in_progress:
        return Action("Continue the quiz", url)
    if item.status is Status.COMPLETE:
        return Action("See your quiz results", url)
    if used == 0:
        return Action("Start the quiz", url)
    return Action("Retake the quiz", url)
