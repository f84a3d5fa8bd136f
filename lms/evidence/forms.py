from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, PasswordField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..dates import local_today
from ..forms import CheckboxesField, DatePartsField


class UploadCertificateForm(FlaskForm):
    file = FileField(
        "Certificate file",
        validators=[FileRequired("Select the certificate file")],
        description="A PDF, PNG or JPEG, smaller than 10 MB.",
    )
    certificate_date = DatePartsField(
        "Date on the certificate",
        validators=[InputRequired("Enter the date on the certificate")],
        description="The day you completed the course, as the certificate shows it. For example, 27 3 2026.",
    )
    certificate_number = StringField(
        "Certificate number (optional)",
        validators=[Optional(), Length(max=100, message="The certificate number must be 100 characters or fewer")],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
        description="If the certificate has one.",
    )
    submit = SubmitField("Upload certificate")

    def validate_certificate_date(self, field) -> None:
        if field.data and field.data > local_today():
            raise ValidationError("The date on the certificate must be today or in the past")
        if field.data and field.data < date(2000, 1, 1):
            raise ValidationError("The date on the certificate must be after 1 January 2000")


class WithdrawForm(FlaskForm):
    submit = SubmitField("Withdraw")


class VerifyForm(FlaskForm):
    submit = SubmitField("Verify the certificate")


class RejectForm(FlaskForm):
    reason = TextAreaField(
        "Why it is not accepted",
        validators=[
            DataRequired("Enter the reason the certificate is not accepted"),
            Length(max=2000, message="The reason must be 2,000 characters or fewer"),
        ],
        description="This is emailed to the person, so say what they need to do, for example upload a clearer copy.",
    )
    submit = SubmitField("Reject the certificate")


class AttestationForm(FlaskForm):
    declaration_version = HiddenField()
    items = CheckboxesField(
        "What you confirm you have completed",
        validators=[InputRequired("Select the training you confirm you have completed")],
        description="Select each item you completed on the date shown.",
    )
    password = PasswordField(
        "Your password",
        validators=[DataRequired("Enter your password to confirm that this is you")],
        description="Re-entering your password confirms that you, and nobody else, make this declaration.",
    )
    submit = SubmitField("Make the declaration")


class DeclarationForm(FlaskForm):
    text = TextAreaField(
        "Declaration",
        validators=[
            DataRequired("Enter the declaration"),
            Length(max=5000, message="The declaration must be 5,000 characters or fewer"),
        ],
        description="Directors read and confirm this. Saving a change makes a new version; earlier "
        "self-certifications keep the wording their Director confirmed.",
    )
    submit = SubmitField("Save the declaration")


class AcknowledgePolicyForm(FlaskForm):
    version = HiddenField()  # the version the person read
    submit = SubmitField("Confirm")


class VerifyCodeForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search

    code = StringField(
        "Verification code",
        validators=[DataRequired("Enter the verification code"), Length(max=40, message="Enter the code as printed")],
        description="Printed on the certificate, for example ABCD-EFGH-JKMN-PQRS.",
    )

