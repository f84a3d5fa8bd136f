"""Organisation contacts, reminder settings and the mail outbox (people are in lms/people)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from .. import mail, org, transaction
from ..extensions import db
from ..models import OutboxMessage, Permission
from ..models.system import MailState
from ..pagination import paginate
from ..permissions import requires
from ..records import schedule
from . import bp
from .forms import ContactsForm, ReminderSettingsForm, SendAgainForm


@bp.app_template_filter("tel_number")
def tel_number(text: str) -> str:
    """A contact's phone number as a tel: link dials it; "" when it is not one (a value saved
    before numbers were checked), so the page shows it without a link."""
    return org.tel_number(text or "") or ""


@bp.route("/settings/contacts", methods=["GET", "POST"])
@requires(Permission.ADMIN)
def edit_contacts():
    form = ContactsForm(data=org.contacts())
    if form.validate_on_submit():
        changes = org.update_contacts(
            {f.key: getattr(form, f.key).data for f in org.CONTACT_FIELDS}, current_user
        )
        flash(f"Saved. {len(changes)} contact details changed." if changes else "Nothing changed.", "success")
        return redirect(url_for("admin.edit_contacts"))
    return render_template("admin/edit_contacts.html", form=form, fields=org.CONTACT_FIELDS)


@bp.route("/settings/reminders", methods=["GET", "POST"])
@requires(Permission.ADMIN)
def edit_reminders():
    form = ReminderSettingsForm(data=schedule.load().as_text())
    if form.validate_on_submit():
        changes = schedule.save(
            schedule.Schedule(
                deadline_days=form.deadline_days.parsed,
                expiry_days=form.expiry_days.parsed,
                manager_after_days=form.manager_after_days.data,
                lead_digest=form.lead_digest.data,
            ),
            current_user,
        )
        flash("Reminder settings saved." if changes else "Nothing changed.", "success")
        return redirect(url_for("admin.edit_reminders"))
    return render_template("admin/edit_reminders.html", form=form)


@bp.route("/outbox")
@requires(Permission.ADMIN)
def list_outbox():
    query = select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    shown = request.args.get("state")
    if shown:
        if shown not in {state.value for state in MailState}:
            abort(404)
        query = query.where(OutboxMessage.state == shown)
    counts = dict(
        db.session.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)).all()
    )
    page = paginate(query)
    return render_template(
        "admin/list_outbox.html", page=page, counts=counts, shown=MailState(shown) if shown else None, MailState=MailState
    )


@bp.route("/outbox/<int:message_id>")
@requires(Permission.ADMIN)
def show_outbox_message(message_id: int):
    message = db.get_or_404(OutboxMessage, message_id)
    return render_template(
        "admin/show_outbox_message.html",
        message=message,
        message_id=mail.message_id(message),
        form=SendAgainForm(),
        can_send_again=message.mail_state in mail.SEND_AGAIN_FROM and bool(current_app.config["SMTP_HOST"]),
        MailState=MailState,
    )


@bp.route("/outbox/<int:message_id>/send-again", methods=["POST"])
@requires(Permission.ADMIN)
def send_outbox_message_again(message_id: int):
    message = db.get_or_404(OutboxMessage, message_id)
    if SendAgainForm().validate_on_submit():
        try:
            mail.send_again(message, current_user)
        except mail.CannotSendAgain as exc:
            transaction.discard()
            flash(str(exc), "error")
        else:
            flash(f"Queued to send again to {message.recipient}. The delivery worker sends it shortly.", "success")
    return redirect(url_for("admin.show_outbox_message", message_id=message_id))
