from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, FileSize
from wtforms import FieldList, IntegerField, SubmitField

MAX_CSV_BYTES = 5 * 1024 * 1024


class ImportRecordsForm(FlaskForm):
    file = FileField(
        "CSV file",
        validators=[
            FileRequired("Choose a CSV file"),
            FileSize(MAX_CSV_BYTES, message="The file must be 5 MB or smaller"),
        ],
        description="Columns: email, requirement, completed_on (YYYY-MM-DD or DD/MM/YYYY), and optionally note.",
    )
    check = SubmitField("Check the file")
    submit = SubmitField("Import records")


class RemindForm(FlaskForm):
    user_ids = FieldList(IntegerField(), min_entries=0)
    submit = SubmitField("Send reminders")
