"""The calendar link on My training, and the feed it opens."""

from __future__ import annotations

from flask import Response, abort, render_template
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SubmitField

from ..models import Permission
from ..permissions import public, requires
from . import bp, operations
from .feed import calendar_for


class CalendarLinkForm(FlaskForm):
    """The button that makes a calendar link, or resets it (the same form: a new token)."""

    submit = SubmitField("Get a calendar link")


@bp.route("/my-training/calendar-link", methods=["POST"])
@requires(Permission.LEARNER)
def new_link():
    """Shown once, on this response only: only the link's hash is stored."""
    if not CalendarLinkForm().validate_on_submit():
        abort(400)
    reset = operations.feed_of(current_user) is not None
    link = operations.new_link(current_user)
    return render_template("calendar/show_link.html", link=link, reset=reset)


@bp.route("/calendar/<token>.ics")
@public  # the secret link is the credential: calendar apps cannot sign in (see lms/permissions.py)
def show_feed(token: str):
    person = operations.person_for(token)
    response = Response(calendar_for(person), mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="training.ics"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
