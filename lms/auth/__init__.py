from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import personal_data, routes, sso_routes  # noqa: E402,F401  (routes first: sso_routes uses it)
from .second_factor import routes as _second_factor_routes  # noqa: E402,F401
