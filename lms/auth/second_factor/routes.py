"""The second-factor pages: set up, give a code, recovery codes, an administrator's reset and
setting, and the check that keeps a half-signed-in session on these pages."""

from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from ... import transaction
from ...extensions import db
from ...models import Permission, User
from ...permissions import PUBLIC, declared_permission, requires
from .. import bp
from ..routes import safe_next
from . import operations
from .forms import EVERYONE, LEADS, CodeForm, EnrolForm, NewRecoveryCodesForm, ResetForm, SettingsForm

# What a half-signed-in session may open, besides public pages.
STEP_ENDPOINTS = frozenset({"auth.enter_second_factor", "auth.enrol_second_factor", "auth.logout"})


def _step_url(user: User, target: str | None) -> str:
    endpoint = "auth.enter_second_factor" if operations.is_enrolled(user) else "auth.enrol_second_factor"
    return url_for(endpoint, next=target) if target and target != "/" else url_for(endpoint)


@bp.before_app_request
def second_factor_first():
    """Every page that needs a signed-in person sends a session still waiting for its second
    factor to the code page (the session row says so: lms/security.py loads it)."""
    endpoint = request.endpoint
    if endpoint is None or endpoint in STEP_ENDPOINTS:
        return None
    view = current_app.view_functions.get(endpoint)
    if view is None or declared_permission(view) == PUBLIC:
        return None
    if not current_user.is_authenticated or not g.get("second_factor_pending"):
        return None
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(_step_url(current_user, target))


def _target() -> str:
    return safe_next(request.args.get("next"))


def _refused(form, message: str) -> None:
    transaction.discard()
    form.code.errors.append(message)


@bp.route("/login/second-factor", methods=["GET", "POST"])
@requires(Permission.LEARNER)
def enter_second_factor():
    if not g.get("second_factor_pending"):
        return redirect(_target())
    user = current_user._get_current_object()
    if not operations.is_enrolled(user):
        return redirect(url_for("auth.enrol_second_factor", next=request.args.get("next")))
    form = CodeForm()
    if form.validate_on_submit():
        guess = operations.reserve_code_guess(user)
        if guess.refused:
            form.code.errors.append(guess.refused)
            return render_template("auth/enter_second_factor.html", form=form), 429
        try:
            accepted = operations.give_code(user, form.code.data, g.session_id)
        except operations.CodeRefused as exc:
            _refused(form, exc.message)
        else:
            guess.settle(right=True)
            if accepted.recovery_codes_left is not None:
                left = accepted.recovery_codes_left
                flash(
                    f"You used a recovery code: you have {left} left. "
                    + ("Get new ones from Your second factor." if left <= 3 else "Each one works once."),
                    "warning" if left <= 3 else "info",
                )
            return redirect(_target())
    return render_template("auth/enter_second_factor.html", form=form)


@bp.route("/login/second-factor/set-up", methods=["GET", "POST"])
@requires(Permission.LEARNER)
def enrol_second_factor():
    if not g.get("second_factor_pending"):
        return redirect(_target())
    user = current_user._get_current_object()
    if operations.is_enrolled(user):
        return redirect(url_for("auth.enter_second_factor", next=request.args.get("next")))
    factor = operations.begin_enrolment(user)
    form = EnrolForm()
    if form.validate_on_submit():
        guess = operations.reserve_code_guess(user)
        if guess.refused:
            form.code.errors.append(guess.refused)
            return _enrol_page(factor, form), 429
        try:
            codes = operations.confirm_enrolment(user, form.code.data, g.session_id)
        except operations.CodeRefused as exc:
            _refused(form, exc.message)
            factor = operations.begin_enrolment(user)
        else:
            guess.settle(right=True)
            return render_template("auth/recovery_codes.html", codes=codes, target=_target(), first=True)
    return _enrol_page(factor, form)


def _enrol_page(factor, form):
    uri = operations.provisioning_uri(factor)
    return render_template(
        "auth/enrol_second_factor.html",
        form=form,
        qr=operations.qr_svg(uri),
        secret=operations.secret_text(factor.secret),
    )


@bp.route("/account/second-factor", methods=["GET", "POST"])
@requires(Permission.LEARNER)
def show_second_factor():
    user = current_user._get_current_object()
    factor = operations.factor_of(user)
    enrolled = factor is not None and factor.confirmed_at is not None
    form = NewRecoveryCodesForm()
    status = 200
    if enrolled and form.validate_on_submit():
        guess = operations.reserve_code_guess(user)
        if guess.refused:
            form.code.errors.append(guess.refused)
            status = 429
        else:
            try:
                codes = operations.replace_recovery_codes(user, form.code.data)
            except operations.CodeRefused as exc:
                _refused(form, exc.message)
                factor = operations.factor_of(user)
            else:
                guess.settle(right=True)
                return render_template(
                    "auth/recovery_codes.html", codes=codes, target=url_for("auth.show_second_factor"), first=False
                )
    return render_template(
        "auth/show_second_factor.html",
        factor=factor if enrolled else None,
        left=operations.recovery_codes_left(factor) if enrolled else 0,
        required=operations.needs_second_factor(user, via_provider=False),
        form=form,
    ), status


@bp.route("/admin/people/<int:user_id>/second-factor/reset", methods=["POST"])
@requires(Permission.ADMIN)
def reset_second_factor(user_id: int):
    person = db.get_or_404(User, user_id)
    if ResetForm().validate_on_submit():
        if operations.reset(person, current_user._get_current_object()):
            flash(
                f"{person.name}'s second factor is reset, and their open sessions have ended. "
                "They set up a new one the next time they sign in.",
                "success",
            )
        else:
            flash(f"{person.name} has no second factor to reset.", "info")
    return redirect(url_for("people.show_person", user_id=person.id))


@bp.route("/admin/settings/second-factor", methods=["GET", "POST"])
@requires(Permission.ADMIN)
def edit_second_factor_settings():
    form = SettingsForm(data={"who": EVERYONE if operations.required_for_everyone() else LEADS})
    if form.validate_on_submit():
        changed = operations.set_required_for_everyone(form.who.data == EVERYONE, current_user._get_current_object())
        flash("Second factor setting saved. It applies from each person's next sign-in." if changed else "Nothing changed.", "success")
        return redirect(url_for("auth.edit_second_factor_settings"))
    return render_template("auth/edit_second_factor_settings.html", form=form)
