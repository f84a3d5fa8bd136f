from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, SubmitField
from wtforms.validators import DataRequired, ValidationError

from ..forms import categories_field, email_field, name_field, new_password_fields
from .operations import find_user


class LoginForm(FlaskForm):
    email = email_field()
    password = PasswordField("Password", validators=[DataRequired("Enter your password")])
    submit = SubmitField("Sign in")


class SetPasswordForm(FlaskForm):
    password, confirm = new_password_fields()
    submit = SubmitField("Set password and sign in")


class SetupForm(FlaskForm):
    name = name_field()
    email = email_field()
    categories = categories_field("Your staff categories")
    password, confirm = new_password_fields()
    submit = SubmitField("Create administrator")

    def validate_email(self, field) -> None:
        if find_user(field.data) is not None:
            raise ValidationError("A person with this email address already exists")


class ForgotPasswordForm(FlaskForm):
    email = email_field()
    submit = SubmitField("Send reset link")


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired("Enter your current password")]
    )
    password, confirm = new_password_fields()
    submit = SubmitField("Change password")
