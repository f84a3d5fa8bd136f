"""Form pieces shared by every area."""

from __future__ import annotations

from wtforms import DateField, PasswordField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from .models import CATEGORIES, CATEGORY_LABELS

MIN_PASSWORD_LENGTH = 12


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form) -> None:
        allowed = {choice.value for choice in self.choices}
        if any(value not in allowed for value in self.data or ()):
            raise ValidationError("Select only options from the list")


def email_field(label: str = "Email address") -> StringField:
    return StringField(
        label,
        validators=[
            DataRequired("Enter an email address"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
            Email("Enter an email address in the correct format, like name@example.org"),
        ],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )


def name_field(label: str = "Full name") -> StringField:
    return StringField(
        label,
        validators=[
            DataRequired("Enter a name"),
            Length(max=200, message="Name must be 200 characters or fewer"),
        ],
        filters=[lambda v: " ".join(v.split()) if isinstance(v, str) else v],
    )


def categories_field(label: str = "Staff categories") -> CheckboxesField:
    return CheckboxesField(
        label,
        choices=[SelectChoice(c, CATEGORY_LABELS[c]) for c in CATEGORIES],
        validators=[InputRequired("Select at least one category")],
        description="Select every category that applies. They decide what training is required.",
    )


def start_date_field(label: str = "Start date") -> DateField:
    return DateField(
        label,
        validators=[InputRequired("Enter a start date")],
        render_kw={"placeholder": "YYYY-MM-DD"},
        description="Induction deadlines count from this date.",
        format="%Y-%m-%d",
    )


def new_password_fields() -> tuple[PasswordField, PasswordField]:
    password = PasswordField(
        "Password",
        validators=[
            DataRequired("Enter a password"),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=256,
                message=f"Password must be at least {MIN_PASSWORD_LENGTH} characters",
            ),
        ],
        description=f"At least {MIN_PASSWORD_LENGTH} characters. A few unrelated words work well.",
    )
    confirm = PasswordField(
        "Confirm password",
        validators=[
            DataRequired("Enter the password again"),
            EqualTo("password", message="The passwords do not match"),
        ],
    )
    return password, confirm


