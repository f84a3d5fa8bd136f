from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, StringField, SubmitField, TelField
from wtforms.validators import Email, Length, Optional, ValidationError

from .. import org


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
