"""Earlier training records imported from spreadsheets, and reminders."""

from flask import Blueprint

bp = Blueprint("records", __name__)

from . import commands, routes  # noqa: E402,F401
