"""People administration: the list, a person's page, add and edit, invitations, leavers,
bulk actions, the roster import, the audit log and personal data exports."""

from __future__ import annotations

import base64
import zlib

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select
from wtforms.fields.choices import SelectChoice

from .. import csvexport, transaction
from ..auth.second_factor import operations as second_factor
from ..dates import local_today, month_start, next_month_start
from ..extensions import db
from ..formatting import plural
from ..models import AuditEvent, Permission, User, UserCategory
from ..pagination import paginate
from ..permissions import requires
from ..plan.loader import current_plan
from ..records import reminders_log
from ..records.reminders import remind_people
from . import audit_log, bp, managers, operations, personal_data, roster
from .forms import (
    MAX_ROSTER_BYTES,
    ActionForm,
    AuditFilterForm,
    BulkForm,
    InviteForm,
    PeopleFilterForm,
    PersonForm,
    RosterConfirmForm,
    RosterUploadForm,
)
from .operations import NotAllowed

# --- the list --------------------------------------------------------------------------------


@bp.route("/people")
@requires(Permission.LEAD)
def list_people():
    form = PeopleFilterForm(request.args)
    if not form.validate():
        for field in (form.category, form.permission, form.status, form.started):
            if field.errors:
                field.data = field.default
    query = select(User).order_by(User.name, User.id)
    q = (form.q.data or "").strip()
    if q:
        like = f"%{q.lower()}%"
        query = query.where(or_(func.lower(User.name).like(like), User.email.like(like)))
    if form.category.data:
        query = query.where(
            User.id.in_(select(UserCategory.user_id).where(UserCategory.category == form.category.data))
        )
    if form.permission.data:
        query = query.where(User.permission == Permission.parse(form.permission.data).value)
    status = form.status.data
    if status == "active":
        query = query.where(User.active.is_(True))
    elif status == "left":
        query = query.where(User.active.is_(False))
    elif status == "invited":  # invited or imported, and never signed in by any route
        query = query.where(User.active.is_(True), User.last_login_at.is_(None))
    if form.started.data == "this-month":
        today = local_today()
        query = query.where(User.start_date >= month_start(today), User.start_date < next_month_start(today))
    page = paginate(query)
    args = {k: v for k, v in request.args.items() if k != "page" and k in form.data}
    return render_template("people/list_people.html", page=page, form=form, args=args, bulk=BulkForm(), q=q)


@bp.route("/people/bulk", methods=["POST"])
@requires(Permission.LEAD)
def bulk_action():
    form = BulkForm()
    ids = [int(v) for v in request.form.getlist("user_id") if v.isdigit()]
    people = operations.load_people(ids)
    if not form.validate_on_submit():
        flash(form.action.errors[0] if form.action.errors else "Choose what to do with the people selected.", "error")
        return redirect(url_for("people.list_people"))
    if not people:
        flash("Select at least one person.", "error")
        return redirect(url_for("people.list_people"))
    selection = operations.select_for_bulk(current_user, form.action.data, people)
    if form.confirm.data != "yes" or not selection.people:
        return render_template("people/confirm_bulk.html", selection=selection, form=form, label=operations.BULK_ACTIONS[selection.action])
    try:
        if selection.action == "invite":
            count = operations.run_bulk_invite(current_user, selection.people)
            flash(f"Invitations sent to {plural(count, 'person')}.", "success")
        elif selection.action == "deactivate":
            count = operations.run_bulk_deactivate(current_user, selection.people)
            flash(f"{plural(count, 'person')} deactivated. Their records are kept.", "success")
        else:
            run = remind_people(current_plan(), local_today(), [p.id for p in selection.people], current_user)
            if run.people:
                flash(f"Reminders sent to {plural(len(run.people), 'person')}. {run.already_phrase}".strip(), "success")
            elif run.already_today:
                flash(f"{run.already_phrase} No reminder was sent.", "info")
            else:
                flash("Nobody selected has anything to do, so no reminder was sent.", "info")
    except NotAllowed as exc:
        transaction.discard()
        flash(str(exc), "error")
    return redirect(url_for("people.list_people"))


# --- one person --------------------------------------------------------------------------------


def _apply(change, success: str) -> None:
    """Make one change to a person and say so, or drop it and say why not (the request commits)."""
    try:
        change()
    except NotAllowed as exc:
        transaction.discard()
        flash(str(exc), "error")
    else:
        flash(success, "success")


@bp.route("/people/invite", methods=["GET", "POST"])
@requires(Permission.LEAD)
def invite_person():
    form = InviteForm()
    if form.validate_on_submit():
        person = operations.add_person(
            current_user,
            name=form.name.data,
            email=form.email.data,
            categories=form.categories.data,
            start_date=form.start_date.data,
            permission=Permission.parse(form.permission.data),
        )
        managers.set_manager(current_user, person, form.manager)
        flash(f"Invitation sent to {person.email}.", "success")
        return redirect(url_for("people.list_people"))
    return render_template("people/invite_person.html", form=form)


@bp.route("/people/<int:user_id>")
@requires(Permission.LEAD)
def show_person(user_id: int):
    person = db.get_or_404(User, user_id)
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.target_type == "user", AuditEvent.target_id == str(person.id))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(10)
    ).all()
    return render_template(
        "people/show_person.html",
        person=person,
        events=events,
        invitation=operations.latest_invitation(person),
        state=operations.invitation_state(person),
        may_manage=operations.may_manage(current_user, person),
        can_invite=operations.can_invite(person),
        can_show_link=operations.may_see_invitation_link(current_user, person),
        reports=managers.reports_of(person),
        reminders=reminders_log.for_person(person),
        second_factor=second_factor.factor_of(person),
        form=ActionForm(),
    )


def _managed_person(user_id: int) -> User:
    person = db.get_or_404(User, user_id)
    if not operations.may_manage(current_user, person):
        abort(403)
    return person


@bp.route("/people/<int:user_id>/edit", methods=["GET", "POST"])
@requires(Permission.LEAD)
def edit_person(user_id: int):
    person = _managed_person(user_id)
    if person.is_anonymised:
        abort(404)
    data = {
        "name": person.name,
        "email": person.email,
        "categories": person.categories,
        "start_date": person.start_date,
        "permission": person.perm.name.lower(),
        "manager_email": person.manager.email if person.manager else "",
    }
    form = PersonForm(person=person, data=None if request.method == "POST" else data)
    if form.validate_on_submit():
        try:
            changes = operations.update_person(
                current_user,
                person,
                name=form.name.data,
                email=form.email.data,
                categories=form.categories.data,
                start_date=form.start_date.data,
                permission=Permission.parse(form.permission.data),
                today=local_today(),
            )
            changes = managers.set_manager(current_user, person, form.manager) or changes
        except NotAllowed as exc:
            transaction.discard()
            form.permission.errors.append(str(exc))
        except managers.ManagerError as exc:
            transaction.discard()
            form.manager_email.errors.append(exc.message)
        else:
            flash("Changes saved." if changes else "Nothing changed.", "success")
            return redirect(url_for("people.show_person", user_id=person.id))
    return render_template("people/edit_person.html", form=form, person=person)


@bp.route("/people/<int:user_id>/invite", methods=["POST"])
@requires(Permission.LEAD)
def invite_again(user_id: int):
    person = _managed_person(user_id)
    if ActionForm().validate_on_submit():
        _apply(
            lambda: operations.send_invitation(current_user, person),
            f"Invitation sent to {person.email}. Earlier invitation links no longer work.",
        )
    return redirect(url_for("people.show_person", user_id=person.id))


@bp.route("/people/<int:user_id>/invitation-link", methods=["POST"])
@requires(Permission.LEAD)
def new_invitation_link(user_id: int):
    """Shown once, on this response only: it is not kept anywhere a page could show it again."""
    person = _managed_person(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        link = operations.new_invitation_link(current_user, person)
    except NotAllowed as exc:
        transaction.discard()
        flash(str(exc), "error")
        return redirect(url_for("people.show_person", user_id=person.id))
    return render_template("people/invitation_link.html", person=person, link=link, days=current_app.config["INVITE_DAYS"])


@bp.route("/people/<int:user_id>/deactivate", methods=["GET", "POST"])
@requires(Permission.LEAD)
def deactivate_person(user_id: int):
    person = _managed_person(user_id)
    if not person.active:
        flash(f"{person.name} has left already.", "info")
        return redirect(url_for("people.show_person", user_id=person.id))
    form = ActionForm()
    if form.validate_on_submit():
        _apply(
            lambda: operations.deactivate(current_user, person),
            f"{person.name} is deactivated. They cannot sign in; their records are kept.",
        )
        return redirect(url_for("people.show_person", user_id=person.id))
    return render_template("people/deactivate_person.html", person=person, form=form)


@bp.route("/people/<int:user_id>/reactivate", methods=["POST"])
@requires(Permission.LEAD)
def reactivate_person(user_id: int):
    person = _managed_person(user_id)
    if ActionForm().validate_on_submit():
        _apply(lambda: operations.reactivate(current_user, person), f"{person.name} is active again.")
    return redirect(url_for("people.show_person", user_id=person.id))


@bp.route("/people/<int:user_id>/personal-data", methods=["POST"])
@requires(Permission.ADMIN)
def export_personal_data(user_id: int):
    person = db.get_or_404(User, user_id)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("people.show_person", user_id=person.id))
    data = personal_data.export_zip(person, current_user)
    filename = f"personal-data-{person.id}-{local_today().isoformat()}.zip"
    return Response(
        data,
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


# --- roster import -------------------------------------------------------------------------------


@bp.route("/people/import", methods=["GET", "POST"])
@requires(Permission.LEAD)
def import_roster():
    form = RosterUploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        text = roster.decode(upload.read())
        carried = _carry(text)
        if len(carried) > current_app.config["MAX_FORM_MEMORY_SIZE"] - 64 * 1024:
            form.file.errors.append(
                "The file is too large to import here: remove the columns the import does not use, "
                "or split it into smaller files"
            )
            return render_template("people/import_roster.html", form=form)
        result = roster.import_roster(
            text, actor=current_user, dry_run=True, deactivate_missing=form.deactivate_missing.data
        )
        confirm = RosterConfirmForm(
            formdata=None,
            data={
                "roster": carried,
                "filename": upload.filename or "roster.csv",
                "fingerprint": result.fingerprint,
                "deactivate_missing": "y" if form.deactivate_missing.data else "",
                "invite": "y" if form.invite.data else "",
            },
        )
        return render_template("people/preview_roster.html", result=result, confirm=confirm, invite=form.invite.data)
    return render_template("people/import_roster.html", form=form)


def _carry(text: str) -> str:
    """The file as the preview's form carries it back: compressed, within the form size limit."""
    return base64.b64encode(zlib.compress(text.encode(), 6)).decode()


def _uncarry(value: str) -> str:
    """The file back from the preview's form; ValueError when it is not what _carry made."""
    unpacker = zlib.decompressobj()
    data = unpacker.decompress(base64.b64decode(value, validate=True), MAX_ROSTER_BYTES * 2)
    if unpacker.unconsumed_tail or not unpacker.eof:
        raise ValueError("not a roster carried by the preview")
    return data.decode()


@bp.route("/people/import/confirm", methods=["POST"])
@requires(Permission.LEAD)
def confirm_import():
    form = RosterConfirmForm()
    if not form.validate_on_submit():
        flash("The preview has expired. Upload the file again.", "error")
        return redirect(url_for("people.import_roster"))
    invite = form.invite.data == "y"
    try:
        text = _uncarry(form.roster.data)
    except (ValueError, zlib.error):
        flash("The preview could not be read. Upload the file again.", "error")
        return redirect(url_for("people.import_roster"))
    try:
        result = roster.import_roster(
            text,
            actor=current_user,
            filename=form.filename.data or "roster.csv",
            invite=invite,
            deactivate_missing=form.deactivate_missing.data == "y",
            expected=form.fingerprint.data,
        )
    except NotAllowed as exc:
        transaction.discard()
        flash(str(exc), "error")
        return redirect(url_for("people.import_roster"))
    if not result.applied:
        form.fingerprint.data = result.fingerprint
        if not result.errors:
            flash("People's records changed since the preview. Check this new preview, then import.", "error")
        return render_template("people/preview_roster.html", result=result, confirm=form, invite=invite)
    message = f"Roster imported: {result.summary}."
    if result.invited:
        message += f" Invitations sent to {plural(result.invited, 'person')}."
    flash(message, "success")
    return redirect(url_for("people.list_people"))


# --- the audit log -------------------------------------------------------------------------------


def _audit_filters(form: AuditFilterForm) -> audit_log.AuditFilters:
    valid = form.validate()
    person = form.person.data.strip() if valid and form.person.data else ""
    return audit_log.AuditFilters(
        action=form.action.data or "",
        actor=(form.actor.data or "").strip(),
        person_id=int(person) if person else None,
        date_from=form.date_from.data if valid else None,
        date_to=form.date_to.data if valid else None,
    )


@bp.route("/audit")
@requires(Permission.LEAD)
def list_audit():
    form = AuditFilterForm(request.args)
    form.action.choices += [SelectChoice(a, a) for a in audit_log.actions()]
    filters = _audit_filters(form)
    page = paginate(audit_log.query(filters))
    args = {k: v for k, v in request.args.items() if k != "page" and k in form.data}
    return render_template("people/list_audit.html", form=form, page=page, args=args)


@bp.route("/audit.csv")
@requires(Permission.LEAD)
def export_audit():
    filters = _audit_filters(AuditFilterForm(request.args))
    return csvexport.download(audit_log.csv_lines(filters), f"audit-log-{local_today().isoformat()}.csv")
