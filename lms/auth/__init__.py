from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import routes, sso_routes  # noqa: E402,F401  (routes first: sso_routes uses it)
