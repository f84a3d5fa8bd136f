"""People administration: people, invitations, leavers, the roster import, the audit log and
personal data (subject access exports, purging old leavers)."""

from flask import Blueprint

bp = Blueprint("people", __name__, url_prefix="/admin")

from . import commands, routes  # noqa: E402,F401
