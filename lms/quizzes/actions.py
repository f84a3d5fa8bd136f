"""The "next action" for a quiz requirement on My training: start, continue or retake it."""

from __future__ import annotations

from flask import url_for
from flask_login import current_user
from sqlalchemy import func, select

from ..extensions import db
from ..models import QuizAttempt
from ..models.quiz import IN_PROGRESS
from ..plan.actions import Action, register_actions
from ..plan.compliance import Item
from ..plan.content import content_snapshot
from ..plan.status import Status


@register_actions("quiz")
def quiz_actions(items: list[Item]) -> dict[tuple[str, str], Action | None]:
    """Start, continue or retake: one query for all of the person's quizzes."""
    quiz_ids = content_snapshot().quiz_ids
    wanted = {quiz_ids[item.ref]: item for item in items if item.ref in quiz_ids}
    actions: dict[tuple[str, str], Action | None] = {item.key: None for item in items}
    if not wanted or not current_user.is_authenticated:
        return actions
    counts = {
        quiz_id: (used, in_progress)
        for quiz_id, used, in_progress in db.session.execute(
            select(
                QuizAttempt.quiz_id,
                func.count(),
                func.coalesce(func.sum(db.case((QuizAttempt.state == IN_PROGRESS, 1), else_=0)), 0),
            )
            .where(QuizAttempt.user_id == current_user.id, QuizAttempt.quiz_id.in_(list(wanted)))
            .group_by(QuizAttempt.quiz_id)
        )
    }
    for quiz_id, item in wanted.items():
        used, in_progress = counts.get(quiz_id, (0, 0))
        url = url_for("quizzes.show_quiz", slug=item.ref)
        if in_progress:
            action = Action("Continue the quiz", url)
        elif item.status is Status.COMPLETE:
            action = Action("See your quiz results", url)
        elif used == 0:
            action = Action("Start the quiz", url)
        else:
            action = Action("Retake the quiz", url)
        actions[item.key] = action
    return actions
