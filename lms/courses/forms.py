from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SubmitField


class MarkReadForm(FlaskForm):
    # The lesson content the person saw: a lesson changed meanwhile is not marked read.
    content_hash = HiddenField()
    submit = SubmitField("Mark as read and continue")
