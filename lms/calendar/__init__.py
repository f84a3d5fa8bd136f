"""Each person's private calendar feed of their deadlines and expiries, at a secret link."""

from flask import Blueprint

bp = Blueprint("calendar", __name__)

from . import operations, routes  # noqa: E402,F401  (operations registers its personal data)
