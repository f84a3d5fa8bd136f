"""Importing earlier records (leads) and sending reminders from the dashboard."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..dates import local_today
from ..models import Permission
from ..permissions import requires
from ..plan.loader import current_plan
from . import bp
from .forms import ImportRecordsForm
from .importing import import_records
from .reminders import remind_people


@bp.route("/records/import", methods=["GET", "POST"])
@requires(Permission.LEAD)
def import_records_page():
    form = ImportRecordsForm()
    result = None
    dry_run = True
    if form.validate_on_submit():
        dry_run = not form.submit.data
        upload = form.file.data
        result = import_records(
            upload.read(),
            current_plan(),
            local_today(),
            actor=current_user,
            filename=upload.filename or "upload.csv",
            dry_run=dry_run,
        )
        if not dry_run and not result.errors:
            flash(f"Records imported: {result.summary}.", "success")
            return redirect(url_for("records.import_records_page"))
    return render_template("records/import_records.html", form=form, result=result, dry_run=dry_run)


@bp.route("/dashboard/remind", methods=["POST"])
@requires(Permission.LEAD)
def remind():
    ids = []
    for raw in request.form.getlist("user_id"):
        try:
            ids.append(int(raw))
        except ValueError:
            continue
    back = request.form.get("back", "")
    back = back if back.startswith("/dashboard") else url_for("oversight.show_dashboard")
    if not ids:
        flash("Select at least one person to remind.", "error")
        return redirect(back)
    run = remind_people(current_plan(), local_today(), ids, current_user)
    if run.people:
        flash(f"Reminders sent to {len(run.people)} {'person' if len(run.people) == 1 else 'people'}. {run.already_phrase}".strip(), "success")
    elif run.already_today:
        flash(f"{run.already_phrase} No reminder was sent.", "info")
    else:
        flash("Nobody selected has anything to do, so no reminder was sent.", "info")
    return redirect(back)
