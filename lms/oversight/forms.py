from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice

from ..models import CATEGORIES, CATEGORY_LABELS
from ..plan.status import STATUS_ORDER


class DashboardFilterForm(FlaskForm):
    """Filters in the query string (GET), so a filtered view can be bookmarked and shared."""

    class Meta:
        csrf = False

    q = StringField("Name or email")
    category = SelectField(
        "Category",
        choices=[SelectChoice("", "All categories")] + [SelectChoice(c, CATEGORY_LABELS[c]) for c in CATEGORIES],
        default="",
    )
    requirement = SelectField("Requirement", choices=[SelectChoice("", "All requirements")], default="")
    status = SelectField(
        "Status",
        choices=[SelectChoice("", "Any status")] + [SelectChoice(s.value, s.label) for s in STATUS_ORDER],
        default="",
    )
    include_inactive = BooleanField("Include people who have left")
    submit = SubmitField("Apply filters")
