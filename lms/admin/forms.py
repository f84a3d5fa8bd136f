from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, IntegerField, SelectField, StringField, SubmitField, TelField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional, ValidationError

from .. import org
from ..records import schedule


def uk_phone(form, field) -> None:
    """The number becomes a tel: link on Raise a concern, so it must be one a phone can dial."""
    if field.data and field.data.strip() and org.tel_number(field.data) is None:
        raise ValidationError(org.PHONE_MESSAGE)


def _contact_form_class():
    attrs = {"submit": SubmitField("Save contacts")}
    for field in org.CONTACT_FIELDS:
        validators = [Optional(), Length(max=200, message="Must be 200 characters or fewer")]
        if field.kind == "email":
            attrs[field.key] = EmailField(
                field.label,
                validators=validators + [Email("Enter an email address in the correct format, like name@example.org")],
                description=field.hint,
            )
        elif field.kind == "tel":
            attrs[field.key] = TelField(field.label, validators=validators + [uk_phone], description=field.hint)
        else:
            attrs[field.key] = StringField(field.label, validators=validators, description=field.hint)
    return type("ContactsForm", (FlaskForm,), attrs)


ContactsForm = _contact_form_class()


class SendAgainForm(FlaskForm):
    """Queue an outbox message once more (an administrator's decision: it may arrive twice)."""

    submit = SubmitField("Send again")


def _days(form, field) -> None:
    try:
        field.parsed = schedule.parse_days(field.data or "")
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


class ReminderSettingsForm(FlaskForm):
    """When the daily run reminds people, tells line managers and sends the Lead's digest."""

    deadline_days = StringField(
        "Days before a deadline",
        validators=[_days],
        description="A person is reminded on each of these days before their training is due, like 30, 7, 1",
    )
    expiry_days = StringField(
        "Days before a completion expires",
        validators=[_days],
        description="A person is reminded on each of these days before their training needs renewing, like 60, 30, 7",
    )
    manager_after_days = IntegerField(
        "Days overdue before the line manager is told",
        validators=[
            InputRequired("Enter a number of days, like 7"),
            NumberRange(1, schedule.MAX_DAYS, f"Enter a number of days between 1 and {schedule.MAX_DAYS}"),
        ],
        description="Then weekly while it stays overdue. People without an active line manager are named in the Lead's digest.",
    )
    lead_digest = SelectField(
        "The Safeguarding Lead's digest of overdue training",
        choices=[SelectChoice(schedule.DIGEST_DAILY, "Every day"), SelectChoice(schedule.DIGEST_WEEKLY, "Once a week (on Mondays)")],
        invalid_choice_message="Select how often the digest is sent",
    )
    submit = SubmitField("Save reminder settings")
