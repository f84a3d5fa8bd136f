"""The quiz pages' forms. The answers themselves are fields named after the drawn questions
(`q-<question id>`), read and checked against the draw by operations.parse_answers."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SubmitField


class StartForm(FlaskForm):
    submit = SubmitField("Start the quiz")


class AnswerForm(FlaskForm):
    # "yes" once the person has been shown which questions they left unanswered
    confirm_unanswered = HiddenField()
    submit = SubmitField("Submit answers")
