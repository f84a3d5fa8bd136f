from __future__ import annotations

from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, FileSize
from wtforms import BooleanField, DateField, EmailField, HiddenField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..auth.operations import find_user
from ..forms import categories_field, email_field, name_field, start_date_field
from ..models import CATEGORIES, CATEGORY_LABELS, Permission
from . import managers, operations

MAX_ROSTER_BYTES = 5 * 1024 * 1024  # room for 20,000 rows with columns the import ignores

PERMISSION_HINT = (
    "Learners see their own training. Directors also oversee everyone's, read-only. "
    "Safeguarding leads verify evidence and manage people. Administrators also run the service."
)


def _permission_field() -> SelectField:
    return SelectField(
        "Permission",
        choices=[SelectChoice(p.name.lower(), p.label) for p in Permission],
        default="learner",
        invalid_choice_message="Select a permission from the list",
        description=PERMISSION_HINT,
    )


class PersonForm(FlaskForm):
    """Add or edit a person; `person` is the one being edited (None when adding)."""

    name = name_field()
    email = email_field()
    categories = categories_field()
    start_date = start_date_field()
    permission = _permission_field()
    manager_email = EmailField(
        "Line manager's email (optional)",
        validators=[Optional(), Length(max=254, message="Must be 254 characters or fewer")],
        description="Someone already in the LMS. They see this person's training on My team, and hear when it is overdue.",
    )
    submit = SubmitField("Save changes")

    def __init__(self, *args, person=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.person = person
        self.manager = None  # set by validate_manager_email
        allowed = operations.grantable(current_user)
        if person is not None and person.perm not in allowed:
            allowed = [person.perm] + allowed
        self.permission.choices = [SelectChoice(p.name.lower(), p.label) for p in allowed]

    def validate_email(self, field) -> None:
        other = find_user(field.data)
        if other is not None and other is not self.person:
            raise ValidationError("A person with this email address already exists")

    def validate_manager_email(self, field) -> None:
        """The manager, a person in the LMS, is kept in `self.manager` (None: no manager)."""
        self.manager = None
        if not (field.data or "").strip():
            return
        manager = find_user(field.data)
        if manager is None or manager.is_anonymised:
            raise ValidationError("There is nobody with this email address in the LMS: add them first")
        try:
            managers.check_manager(self.person, manager)
        except managers.ManagerError as exc:
            raise ValidationError(exc.message.rstrip(".")) from None
        self.manager = manager

    def validate_permission(self, field) -> None:
        if field.data not in {p.name.lower() for p in Permission}:
            return  # the field's own choice check reports it
        wanted = Permission.parse(field.data)
        unchanged = self.person is not None and wanted == self.person.perm
        if not unchanged and wanted not in operations.grantable(current_user):
            raise ValidationError("Only an administrator can grant lead or administrator permission")


class InviteForm(PersonForm):
    submit = SubmitField("Send invitation")


class ActionForm(FlaskForm):
    """A button that changes one thing (invite, deactivate, reactivate)."""

    submit = SubmitField("Confirm")


class PeopleFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("Name or email", validators=[Optional(), Length(max=200)])
    category = SelectField(
        "Category", choices=[SelectChoice("", "Any category")] + [SelectChoice(c, CATEGORY_LABELS[c]) for c in CATEGORIES],
        default="",
    )
    permission = SelectField(
        "Permission", choices=[SelectChoice("", "Any permission")] + [SelectChoice(p.name.lower(), p.label) for p in Permission],
        default="",
    )
    status = SelectField(
        "Status",
        choices=[
            SelectChoice("active", "Active"),
            SelectChoice("left", "Left"),
            SelectChoice("invited", "Never signed in"),
            SelectChoice("all", "Everyone"),
        ],
        default="active",
    )
    started = SelectField(
        "Start date",
        choices=[SelectChoice("", "Any start date"), SelectChoice("this-month", "Starting this month")],
        default="",
    )


class BulkForm(FlaskForm):
    """The first step of a bulk action: what to do; the ticked people come as user_id."""

    action = SelectField(
        "With the people selected",
        choices=[SelectChoice("", "Choose an action")] + [SelectChoice(k, v) for k, v in operations.BULK_ACTIONS.items()],
        validators=[DataRequired("Choose what to do with the people selected")],
    )
    confirm = HiddenField()
    submit = SubmitField("Continue")


class RosterUploadForm(FlaskForm):
    file = FileField(
        "Roster CSV file",
        validators=[
            FileRequired("Choose a CSV file"),
            FileSize(MAX_ROSTER_BYTES, message="The file must be 5 MB or smaller"),
        ],
        description="Save the spreadsheet as CSV, with up to 20,000 people in one file. Columns: email, name "
        "(or first name and last name), categories, start date, and optionally active (yes or no) and manager email "
        "(their line manager: someone in the LMS or in the file).",
    )
    deactivate_missing = BooleanField(
        "Deactivate everyone who is not in the file",
        description="Use this when the file lists everyone who works here: people missing from it are marked as leavers.",
    )
    invite = BooleanField("Send invitations to the new people", default=True)
    submit = SubmitField("Check the file")


class RosterConfirmForm(FlaskForm):
    roster = HiddenField(validators=[DataRequired("Upload the file again")])
    filename = HiddenField()
    fingerprint = HiddenField(validators=[DataRequired("Upload the file again")])
    deactivate_missing = HiddenField()
    invite = HiddenField()
    submit = SubmitField("Import")


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    action = SelectField("Action", choices=[SelectChoice("", "Any action")], default="", validate_choice=False)
    actor = StringField("Changed by (name or email)", validators=[Optional(), Length(max=200)])
    person = StringField("About person number", validators=[Optional(), Length(max=12)])
    date_from = DateField("From", validators=[Optional()], format="%Y-%m-%d", render_kw={"placeholder": "YYYY-MM-DD"})
    date_to = DateField("To", validators=[Optional()], format="%Y-%m-%d", render_kw={"placeholder": "YYYY-MM-DD"})

    def validate_person(self, field) -> None:
        if field.data and not field.data.strip().isdigit():
            raise ValidationError("Enter a person's number, like 42")
