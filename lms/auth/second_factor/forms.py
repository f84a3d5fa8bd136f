from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length


def _code_field(label: str, hint: str) -> StringField:
    return StringField(
        label,
        validators=[DataRequired("Enter the code"), Length(max=40, message="Enter the code")],
        description=hint,
    )


class EnrolForm(FlaskForm):
    code = _code_field("Code from your app", "The 6 digits your authenticator app shows for this account")
    submit = SubmitField("Confirm and continue")


class CodeForm(FlaskForm):
    code = _code_field(
        "Security code",
        "The 6 digits your authenticator app shows, or one of your recovery codes if you do not have your phone",
    )
    submit = SubmitField("Continue")


class NewRecoveryCodesForm(FlaskForm):
    code = _code_field("Code from your app", "The 6 digits your authenticator app shows now")
    submit = SubmitField("Get new recovery codes")


class ResetForm(FlaskForm):
    """An administrator's button on a person's page: no fields but the CSRF token."""

    submit = SubmitField("Reset second factor")


EVERYONE = "everyone"
LEADS = "leads"


class SettingsForm(FlaskForm):
    who = SelectField(
        "Who needs a second factor when they sign in with a password",
        choices=[
            SelectChoice(LEADS, "Directors, safeguarding leads and administrators"),
            SelectChoice(EVERYONE, "Everyone"),
        ],
        invalid_choice_message="Select who needs a second factor",
        description="People who sign in through your organisation's single sign-on use its own second factor instead.",
    )
    submit = SubmitField("Save")
