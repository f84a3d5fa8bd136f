"""My team: a line manager's reports, their training status and deadlines, and reminders."""

from flask import Blueprint, g
from flask_login import current_user

bp = Blueprint("team", __name__)


@bp.app_context_processor
def _team_link() -> dict:
    """`has_reports()` for the navigation: My team is shown only to people with reports.

    A learner page's ETag query has counted them already (lms/revalidation.py puts the answer
    in `g.has_reports` for this request); other pages ask once."""

    def has_reports() -> bool:
        from ..permissions import manages

        if "has_reports" not in g:
            g.has_reports = bool(current_user.is_authenticated and manages(current_user))
        return g.has_reports

    return {"has_reports": has_reports}


from . import routes  # noqa: E402,F401
