"""Form pieces shared by every area."""

from __future__ import annotations

from datetime import date

from wtforms import Field, PasswordField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.utils import unset_value
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


class DatePartsField(Field):
    """A date typed as day, month and year in three boxes (GOV.UK's date input pattern), for
    dates people copy from a document. The boxes post as `<name>-day`, `<name>-month` and
    `<name>-year`; the messages name the missing part or say the date is not real.
    `macros/forms.html` `date_input` draws it."""

    PARTS = ("day", "month", "year")

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.parts = dict.fromkeys(self.PARTS, "")
        self.error_part = "day"  # the box the error summary links to

    def process(self, formdata, data=unset_value, extra_filters=None):
        super().process(None, data, extra_filters)
        if isinstance(self.data, date):
            self.parts = {"day": str(self.data.day), "month": str(self.data.month), "year": str(self.data.year)}
        if formdata is None or not any(f"{self.name}-{p}" in formdata for p in self.PARTS):
            return
        self.parts = {p: (formdata.get(f"{self.name}-{p}") or "").strip() for p in self.PARTS}
        self.data = None
        typed = [self.parts[p] for p in self.PARTS if self.parts[p]]
        self.raw_data = [" ".join(typed)] if typed else []  # what InputRequired looks at
        missing = [p for p in self.PARTS if not self.parts[p]]
        label = self.label.text
        if not typed:
            return  # the required check says what to do
        if missing:
            self.error_part = missing[0]
            self.process_errors.append(f"{label} must include a {' and a '.join(missing)}")
            return
        try:
            day, month, year = (int(self.parts[p]) for p in self.PARTS)
            if year < 1000:
                raise ValueError
            self.data = date(year, month, day)
        except ValueError:
            self.error_part = "day"
            self.process_errors.append(f"{label} must be a real date, like 27 3 2026")


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


def start_date_field(label: str = "Start date") -> DatePartsField:
    return DatePartsField(
        label,
        validators=[InputRequired("Enter a start date")],
        description="Induction deadlines count from this date. For example, 2 11 2026.",
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


