"""The leads' queue: evidence waiting for a decision, verified or rejected with a reason."""

from __future__ import annotations

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_login import current_user

from ... import transaction
from ...extensions import db
from ...models import Evidence, Permission
from ...permissions import requires
from ...plan.loader import current_plan
from .. import bp, operations
from ..forms import (
    RejectForm,
    VerifyForm,
)

# -- certificates: the lead's queue ------------------------------------------------------


@bp.route("/evidence/queue")
@requires(Permission.LEAD)
def list_pending():
    queue = operations.pending_queue()
    return render_template("evidence/list_pending.html", queue=queue, types=current_plan().certificate_types)


def _review(evidence: Evidence, reject_form: RejectForm | None = None, status: int = 200):
    return (
        render_template(
            "evidence/review_evidence.html",
            evidence=evidence,
            cert=current_plan().certificate_types.get(evidence.certificate_ref),
            shared=operations.same_file_elsewhere(evidence),
            verify_form=VerifyForm(),
            reject_form=reject_form or RejectForm(formdata=None),
        ),
        status,
    )


@bp.route("/evidence/<int:evidence_id>/review")
@requires(Permission.LEAD)
def review_evidence(evidence_id: int):
    return _review(db.get_or_404(Evidence, evidence_id))


@bp.route("/evidence/<int:evidence_id>/verify", methods=["POST"])
@requires(Permission.LEAD)
def verify_evidence(evidence_id: int):
    evidence = db.get_or_404(Evidence, evidence_id)
    if not VerifyForm().validate_on_submit():
        abort(400)
    try:
        operations.verify(evidence, current_user)
    except operations.EvidenceError as exc:
        transaction.discard()
        flash(str(exc), "error")
        return redirect(url_for(".review_evidence", evidence_id=evidence_id))
    flash(f"You verified {evidence.user.name}’s certificate.", "success")
    return redirect(url_for(".list_pending"))


@bp.route("/evidence/<int:evidence_id>/reject", methods=["POST"])
@requires(Permission.LEAD)
def reject_evidence(evidence_id: int):
    evidence = db.get_or_404(Evidence, evidence_id)
    form = RejectForm()
    if not form.validate_on_submit():
        return _review(evidence, form, 400)
    try:
        operations.reject(evidence, current_user, form.reason.data)
    except operations.EvidenceError as exc:
        transaction.discard()
        flash(str(exc), "error")
        return redirect(url_for(".review_evidence", evidence_id=evidence_id))
    flash(f"You rejected {evidence.user.name}’s certificate; they have been emailed the reason.", "success")
    return redirect(url_for(".list_pending"))
