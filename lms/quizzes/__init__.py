from flask import Blueprint

bp = Blueprint("quizzes", __name__)


@bp.app_context_processor
def _question_helpers() -> dict:
    """What the attempt and result templates need to draw a matching question."""
    from .grading import choice_order, matching_choices

    return {"matching_choices": matching_choices, "choice_order": choice_order}


from . import actions, commands, personal_data, routes  # noqa: E402,F401
