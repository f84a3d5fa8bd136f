"""Certificate uploads: a learner uploads, lists and withdraws their evidence; an upload is
opened only by its owner or a lead, in a sandbox."""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from ... import transaction
from ...extensions import db
from ...models import Evidence, Permission
from ...permissions import requires
from ...plan.loader import current_plan
from .. import bp, operations
from ..files import BadFile
from ..forms import (
    UploadCertificateForm,
    WithdrawForm,
)

# An opened upload can run nothing and reach nothing, even if a browser renders it.
FILE_CSP = "default-src 'none'; sandbox"
UPLOAD_OVERHEAD = 64 * 1024  # the form's other fields and multipart headers


@bp.url_value_preprocessor
def _limit_upload(endpoint, values) -> None:
    """Refuse an oversize upload from its Content-Length, before the body is read; this runs
    before the CSRF check, which is what would read it."""
    if endpoint == "evidence.upload_certificate" and request.method == "POST":
        request.max_content_length = operations.max_upload_bytes() + UPLOAD_OVERHEAD


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error):
    if request.endpoint == "evidence.upload_certificate":
        ref = (request.view_args or {}).get("ref", "")
        cert = current_plan().certificate_types.get(ref)
        if cert is not None and current_user.is_authenticated:
            form = UploadCertificateForm(formdata=None)
            form.file.errors = [f"The selected file must be smaller than {current_app.config['MAX_UPLOAD_MB']} MB"]
            return render_template("evidence/upload_certificate.html", form=form, cert=cert, ref=ref), 413
    from ...errors import render_error

    return render_error(413)


# -- certificates: the learner -----------------------------------------------------------


@bp.route("/evidence/certificates/<ref>/upload", methods=["GET", "POST"])
@requires(Permission.LEARNER)
def upload_certificate(ref: str):
    cert = current_plan().certificate_types.get(ref)
    if cert is None:
        abort(404)
    form = UploadCertificateForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            operations.upload_certificate(
                current_user,
                ref,
                upload.stream,
                upload.filename,
                form.certificate_date.data,
                form.certificate_number.data,
            )
        except (BadFile, operations.EvidenceError) as exc:
            transaction.discard()
            form.file.errors.append(str(exc))
        else:
            flash(
                f"Your certificate for “{cert.title}” was uploaded. The Safeguarding Lead will check it; "
                "until then it shows as waiting to be checked.",
                "success",
            )
            return redirect(url_for("main.home"))
    return render_template("evidence/upload_certificate.html", form=form, cert=cert, ref=ref)


@bp.route("/evidence")
@requires(Permission.LEARNER)
def list_my_evidence():
    return render_template(
        "evidence/list_my_evidence.html",
        evidence=operations.my_evidence(current_user),
        types=current_plan().certificate_types,
        form=WithdrawForm(),
    )


@bp.route("/evidence/<int:evidence_id>/withdraw", methods=["POST"])
@requires(Permission.LEARNER)
def withdraw_evidence(evidence_id: int):
    evidence = db.get_or_404(Evidence, evidence_id)
    if evidence.user_id != current_user.id:
        abort(404)
    if not WithdrawForm().validate_on_submit():
        abort(400)
    try:
        operations.withdraw(evidence, current_user)
    except operations.EvidenceError as exc:
        transaction.discard()
        flash(str(exc), "error")
    else:
        flash(f"You withdrew “{evidence.filename}”.", "success")
    return redirect(url_for(".list_my_evidence"))


@bp.route("/evidence/<int:evidence_id>/file")
@requires(Permission.LEARNER)
def download_evidence(evidence_id: int):
    evidence = db.get_or_404(Evidence, evidence_id)
    if not operations.may_open(current_user, evidence):
        abort(404)  # as for a missing id, so nobody learns which ids exist
    response = make_response(evidence.data)
    response.mimetype = evidence.mime
    response.headers["Content-Disposition"] = f'attachment; filename="certificate-{evidence.id}.{evidence.extension}"'
    response.headers["Content-Security-Policy"] = FILE_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
