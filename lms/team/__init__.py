"""My team: a line manager's reports, their training status and deadlines, and reminders."""

from flask import Blueprint
from flask_login import current_user

bp = Blueprint("team", __name__)


@bp.app_context_processor
def _team_link() -> dict:
    """`has_reports()` for the navigation: My team is shown only to people with reports."""

    def has_reports() -> bool:
        from ..permissions import manages

        return bool(current_user.is_authenticated and manages(current_user))

    return {"has_reports": has_reports}


from . import routes  # noqa: E402,F401
