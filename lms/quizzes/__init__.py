from flask import Blueprint

bp = Blueprint("quizzes", __name__)

from . import actions, personal_data, routes  # noqa: E402,F401
