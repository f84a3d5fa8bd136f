"""Directors' self-certification and the declaration they confirm."""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ... import transaction
from ...auth.operations import check_password
from ...dates import local_today
from ...extensions import db, limiter
from ...models import Attestation, Permission
from ...pagination import paginate
from ...permissions import requires
from ...plan.actions import next_actions
from ...plan.loader import current_plan
from ...plan.views import KIND_LABELS, TAG, date_phrase
from .. import attestations, bp, operations
from ..forms import (
    AttestationForm,
    DeclarationForm,
)

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
                transaction.discard()
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
