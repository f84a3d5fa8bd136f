"""The learner's home, "Raise a concern" and the health check."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user
from sqlalchemy import text

from .. import org
from ..extensions import db
from ..models import Permission
from ..permissions import public, requires
from . import bp


@bp.route("/")
@requires(Permission.LEARNER)
def home():
    return render_template("main/home.html", person=current_user)


@bp.route("/raise-a-concern")
@public
def raise_concern():
    return render_template(
        "main/raise_concern.html", contacts=org.contacts(), missing=org.missing_contacts()
    )


@bp.route("/healthz")
@public
def healthz():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
