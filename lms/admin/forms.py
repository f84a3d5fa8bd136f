from __future__ import annotations

from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField, SubmitField, TelField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, Length, Optional, ValidationError

from .. import org
from ..auth.operations import find_user
from ..forms import categories_field, email_field, name_field, start_date_field
from ..models import Permission


class InviteForm(FlaskForm):
    name = name_field()
    email = email_field()
    categories = categories_field()
    start_date = start_date_field()
    permission = SelectField(
        "Permission",
        choices=[SelectChoice(p.name.lower(), p.label) for p in Permission],
        default="learner",
        invalid_choice_message="Select a permission from the list",
        description="Learners see their own training. Directors also oversee everyone's, read-only. "
        "Safeguarding leads verify evidence and manage people. Administrators also run the service.",
    )
    submit = SubmitField("Send invitation")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not current_user.can(Permission.ADMIN):
            self.permission.choices = [
                SelectChoice(p.name.lower(), p.label) for p in (Permission.LEARNER, Permission.DIRECTOR)
            ]

    def validate_email(self, field) -> None:
        if find_user(field.data) is not None:
            raise ValidationError("A person with this email address already exists")

    def validate_permission(self, field) -> None:
        if field.data not in {p.name.lower() for p in Permission}:
            return  # the field's own choice check reports it
        if Permission.parse(field.data) >= Permission.LEAD and not current_user.can(Permission.ADMIN):
            raise ValidationError("Only an administrator can grant lead or administrator permission")


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
            attrs[field.key] = TelField(field.label, validators=validators, description=field.hint)
        else:
            attrs[field.key] = StringField(field.label, validators=validators, description=field.hint)
    return type("ContactsForm", (FlaskForm,), attrs)


ContactsForm = _contact_form_class()
