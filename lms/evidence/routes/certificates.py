"""Completion certificates: the PDFs a person downloads and the public page that verifies one."""

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

from ...dates import local_today
from ...extensions import db, limiter
from ...models import Permission, User
from ...permissions import public, requires
from .. import bp, certificates
from ..forms import (
    VerifyCodeForm,
)

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
