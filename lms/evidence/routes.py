"""Evidence pages: uploads and the lead's queue, self-certification, the declaration,
policy acknowledgement, completion certificates and their public verification."""

from __future__ import annotations

from datetime import date

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
from wtforms.fields.choices import SelectChoice

from ..auth.operations import check_password
from ..courses.operations import active_course
from ..dates import local_today
from ..extensions import db, limiter
from ..models import Attestation, Evidence, Permission, User
from ..pagination import paginate
from ..permissions import public, requires
from ..plan.actions import next_actions
from ..plan.loader import current_plan
from ..plan.views import KIND_LABELS, TAG, date_phrase
from . import attestations, bp, certificates, operations
from .files import BadFile
from .forms import (
    AcknowledgePolicyForm,
    AttestationForm,
    DeclarationForm,
    RejectForm,
    UploadCertificateForm,
    VerifyCodeForm,
    VerifyForm,
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
    from ..errors import render_error

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
        flash(str(exc), "error")
        return redirect(url_for(".review_evidence", evidence_id=evidence_id))
    flash(f"You rejected {evidence.user.name}’s certificate; they have been emailed the reason.", "success")
    return redirect(url_for(".list_pending"))


# -- Directors' self-certification -------------------------------------------------------


@bp.route("/self-certification", methods=["GET", "POST"])
@requires(Permission.LEARNER)
@limiter.limit("10 per 15 minutes", methods=["POST"], scope="self-certification")
def self_certify():
    refs = attestations.attestation_refs(current_user)
    if not refs:
        return render_template("evidence/no_self_certification.html")
    ref = request.args.get("ref") if request.args.get("ref") in refs else refs[0]
    org_name = current_app.config["ORG_NAME"]
    declaration = attestations.current_declaration(org_name)
    today = local_today()
    items = attestations.certifiable_items(current_user, today)
    form = AttestationForm()
    form.items.choices = [SelectChoice(e.key, e.item.title) for e in items]
    if request.method == "GET":
        form.declaration_version.data = str(declaration.version)
    if form.validate_on_submit():
        if not check_password(current_user, form.password.data or ""):
            db.session.commit()  # a rehash, if any
            form.password.errors.append("The password is not right; enter the password you sign in with")
        else:
            try:
                attestations.attest(
                    current_user,
                    ref,
                    set(form.items.data or ()),
                    org_name,
                    int(form.declaration_version.data or 0),
                )
            except operations.EvidenceError as exc:
                form.items.errors.append(str(exc))
            else:
                flash("Your self-certification is recorded.", "success")
                return redirect(url_for("main.home"))
    title = current_plan().title_of("attestation", ref, {})
    unrecorded = [e for e in items if not e.recorded]
    return render_template(
        "evidence/self_certify.html",
        form=form,
        declaration=declaration,
        items=[e for e in items if e.recorded],
        unrecorded=unrecorded,
        actions=next_actions([e.item for e in unrecorded]),
        title=title,
        history=db.session.scalars(attestations.history(current_user.id)).all(),
        today=today,
        TAG=TAG,
        KIND_LABELS=KIND_LABELS,
        date_phrase=date_phrase,
    )


@bp.route("/self-certifications")
@requires(Permission.DIRECTOR)
def list_attestations():
    page = paginate(attestations.history())
    return render_template("evidence/list_attestations.html", page=page, latest=attestations.latest_ids())


@bp.route("/self-certifications/<int:attestation_id>")
@requires(Permission.LEARNER)
def show_attestation(attestation_id: int):
    attestation = db.get_or_404(Attestation, attestation_id)
    if attestation.user_id != current_user.id and not current_user.can(Permission.DIRECTOR):
        abort(404)  # as for a missing id, so nobody learns which ids exist
    return render_template(
        "evidence/show_attestation.html",
        attestation=attestation,
        superseded=attestation.id not in attestations.latest_ids(),
    )


@bp.route("/admin/declaration", methods=["GET", "POST"])
@requires(Permission.ADMIN)
def edit_declaration():
    org_name = current_app.config["ORG_NAME"]
    current = attestations.current_declaration(org_name)
    form = DeclarationForm()
    if request.method == "GET":
        form.text.data = current.text
    if form.validate_on_submit():
        saved = attestations.set_declaration(form.text.data, current_user, org_name)
        if saved is None:
            flash("The declaration is unchanged.", "info")
        else:
            flash(f"The declaration is saved as version {saved.version}.", "success")
        return redirect(url_for(".edit_declaration"))
    return render_template("evidence/edit_declaration.html", form=form, current=current)


# -- policy acknowledgement ---------------------------------------------------------------


@bp.route("/courses/<slug>/acknowledge", methods=["POST"])
@requires(Permission.LEARNER)
def acknowledge_policy(slug: str):
    course = active_course(slug)
    if not course.current_version.is_policy:
        abort(404)
    form = AcknowledgePolicyForm()
    if not form.validate_on_submit():
        abort(400)
    from ..courses.operations import course_progress

    if not course_progress(current_user, course).complete:
        flash("Read every lesson of the policy before you confirm that you have read it.", "error")
        return redirect(url_for("courses.show_course", slug=slug) + "#acknowledge")
    try:
        ack = operations.acknowledge_policy(current_user, course, form.version.data or "")
    except operations.EvidenceError as exc:
        flash(str(exc), "error")
    else:
        flash(f"Thank you: you have acknowledged version {ack.policy_version} of the policy.", "success")
    return redirect(url_for("courses.show_course", slug=slug))


@bp.app_context_processor
def _policy_helpers():
    """show_course.html asks for the person's acknowledgement of a policy course."""

    def policy_acknowledgement(version):
        if version is None or not version.is_policy or not current_user.is_authenticated:
            return None
        return {"state": operations.policy_state(current_user, version), "form": AcknowledgePolicyForm(formdata=None)}

    return {"policy_acknowledgement": policy_acknowledgement}


@bp.app_template_filter("isodate")
def isodate(value: str | None) -> str:
    """A date kept as ISO text in a snapshot, shown like the `date` filter."""
    if not value:
        return ""
    d = date.fromisoformat(value)
    return f"{d.day} {d:%B %Y}"


# -- completion certificates ---------------------------------------------------------------


@bp.route("/certificates")
@requires(Permission.LEARNER)
def list_certificates():
    today = local_today()
    return render_template(
        "evidence/list_certificates.html",
        plan_offer=certificates.plan_offer(current_user, today),
        course_offers=certificates.course_offers(current_user, today),
    )


def _pdf(cert, name: str):
    response = make_response(certificates.build_pdf(cert, current_app.config["ORG_NAME"]))
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/certificates/plan.pdf")
@requires(Permission.LEARNER)
def download_plan_certificate():
    offer = certificates.plan_offer(current_user)
    if offer is None:
        flash("Your certificate is available once everything in your training plan is complete.", "info")
        return redirect(url_for(".list_certificates"))
    return _pdf(certificates.issue(current_user, offer), "prevent-training-certificate.pdf")


@bp.route("/certificates/courses/<slug>.pdf")
@requires(Permission.LEARNER)
def download_course_certificate(slug: str):
    offer = next((o for o in certificates.course_offers(current_user) if o.ref == slug), None)
    if offer is None:
        abort(404)
    return _pdf(certificates.issue(current_user, offer), f"certificate-{slug}.pdf")


@bp.route("/verify")
@public
@limiter.limit("30 per minute", scope="verify")
def find_certificate():
    form = VerifyCodeForm(request.args)
    if request.args and form.validate():
        return redirect(url_for(".verify_certificate", code=certificates.normalise_code(form.code.data)))
    return render_template("evidence/find_certificate.html", form=form)


@bp.route("/verify/<code>")
@public
@limiter.limit("30 per minute;300 per day", scope="verify")
def verify_certificate(code: str):
    cert = certificates.find(code)
    today = local_today()
    if cert is None:
        return render_template("evidence/verify_certificate.html", cert=None, code=code[:40], form=VerifyCodeForm()), 404
    holder = db.session.get(User, cert.user_id)
    return render_template(
        "evidence/verify_certificate.html",
        cert=cert,
        name=holder.name if holder else "",
        valid=certificates.is_valid(cert, today),
        today=today,
        pretty=certificates.pretty_code(cert.code),
    )

