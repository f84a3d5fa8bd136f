"""People (invite and list), organisation contacts and the mail outbox."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select

from .. import org
from ..auth import operations as accounts
from ..extensions import db
from ..models import OutboxMessage, Permission, User
from ..permissions import requires
from . import bp
from .forms import ContactsForm, InviteForm


@bp.route("/people")
@requires(Permission.LEAD)
def list_people():
    q = request.args.get("q", "").strip()
    query = select(User).order_by(User.name, User.id)
    if q:
        like = f"%{q.lower()}%"
        query = query.where(or_(func.lower(User.name).like(like), User.email.like(like)))
    page = db.paginate(query, per_page=current_app.config["PAGE_SIZE"], max_per_page=200)
    return render_template("admin/list_people.html", page=page, q=q)


@bp.route("/people/invite", methods=["GET", "POST"])
@requires(Permission.LEAD)
def invite_person():
    form = InviteForm()
    if form.validate_on_submit():
        person = accounts.invite_person(
            current_user,
            name=form.name.data,
            email=form.email.data,
            categories=form.categories.data,
            start_date=form.start_date.data,
            permission=Permission.parse(form.permission.data),
        )
        flash(f"Invitation sent to {person.email}.", "success")
        return redirect(url_for("admin.list_people"))
    return render_template("admin/invite_person.html", form=form)


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


@bp.route("/outbox")
@requires(Permission.ADMIN)
def list_outbox():
    query = select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    page = db.paginate(query, per_page=current_app.config["PAGE_SIZE"], max_per_page=200)
    return render_template("admin/list_outbox.html", page=page)


@bp.route("/outbox/<int:message_id>")
@requires(Permission.ADMIN)
def show_outbox_message(message_id: int):
    message = db.get_or_404(OutboxMessage, message_id)
    return render_template("admin/show_outbox_message.html", message=message)
