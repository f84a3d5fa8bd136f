"""Sign in and out, the first administrator, invitations and password resets."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from ..extensions import client_address
from ..formatting import plural
from ..models import CATEGORIES, Permission, TokenPurpose
from ..permissions import public, requires
from . import bp, break_glass, oidc, operations, second_factor, throttle
from .forms import ChangePasswordForm, ForgotPasswordForm, LoginForm, SetPasswordForm, SetupForm


def safe_next(target: str | None) -> str:
    """A local path to go back to after signing in; anything else goes home."""
    if target:
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
            and "\\" not in target
            and target.isprintable()  # no CR, LF or other control characters in a Location header
        ):
            return target
    return landing_page()


def landing_page() -> str:
    """Where a sign-in lands: the overview for those who oversee others, else My training."""
    if current_user.is_authenticated and current_user.can(Permission.DIRECTOR):
        return url_for("oversight.show_overview")
    return url_for("main.home")


def _start_session(user, *, via_provider: bool = False, second_factor_done: bool = False) -> None:
    """Sign in with a fresh session, recorded on the server, so no identifier survives from
    before and signing out can end it.

    Unless `via_provider` (the OpenID Connect provider vouched for the person, with its own
    second factor), a person who needs a second factor is half signed in until they give a
    code (lms/auth/second_factor); `second_factor_done` carries it over from the session
    this one replaces."""
    key = operations.open_session(user, request.remote_addr, request.user_agent.string)
    second_factor.mark_session(key, user, via_provider=via_provider, done=second_factor_done)
    session.clear()
    login_user(user)
    session["_user_id"] = key  # the cookie names the session, not the person
    session.permanent = False


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        refusal = break_glass.password_refusal(form.email.data)
        if refusal:
            form.form_errors.append(refusal)
            return render_template("auth/login.html", form=form), 403
        guess = break_glass.reserve_guess(form.email.data)
        if guess.refused_by:
            form.form_errors.append(break_glass.refusal_message(guess))
            return render_template("auth/login.html", form=form), 429
        user = operations.authenticate(form.email.data, form.password.data)
        guess.settle(right=user is not None)
        if user is not None:
            _start_session(user)
            return redirect(safe_next(request.args.get("next")))
        form.form_errors.append("Enter a correct email address and password")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@requires(Permission.LEARNER)
def logout():
    if g.get("session_id"):
        operations.end_session(g.session_id)
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect(url_for("auth.login"))


@bp.route("/setup/<token>", methods=["GET", "POST"])
@public
def setup(token: str):
    if operations.admin_exists():
        abort(404)
    found = operations.find_token(token, TokenPurpose.SETUP)
    if found is None:
        abort(404)
    form = SetupForm()
    form.categories.data = form.categories.data or (["staff"] if request.method == "GET" else [])
    if form.validate_on_submit():
        user = operations.create_first_admin(
            found,
            name=form.name.data,
            email=form.email.data,
            password=form.password.data,
            categories=[c for c in form.categories.data if c in CATEGORIES],
        )
        if user is None:
            abort(404)
        _start_session(user)
        flash("Your administrator account is ready. Next, invite the people you train.", "success")
        return redirect(landing_page())
    return render_template("auth/setup.html", form=form)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str):
    found = operations.find_token(token, TokenPurpose.INVITE)
    if found is None or found.user is None or not found.user.active or found.user.has_password:
        return render_template("auth/link_invalid.html", kind="invitation"), 404
    if not oidc.passwords_allowed_for(found.user.email):
        return render_template("auth/use_provider.html", person=found.user)
    form = SetPasswordForm()
    if form.validate_on_submit():
        user = operations.accept_invitation(found, form.password.data)
        if user is None:
            return render_template("auth/link_invalid.html", kind="invitation"), 404
        _start_session(user)
        flash(f"Welcome, {user.name}. Your password is set.", "success")
        return redirect(landing_page())
    return render_template("auth/accept_invitation.html", form=form, person=found.user)


@bp.route("/forgot-password", methods=["GET", "POST"])
@public
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        address = client_address()
        if not throttle.RESET_ADDRESS.reserve(address):
            minutes = throttle.RESET_ADDRESS.minutes_left(address)
            form.form_errors.append(
                f"There have been too many reset requests from your network. Try again in "
                f"{plural(minutes, 'minute')}."
            )
            return render_template("auth/forgot_password.html", form=form), 429
        # Over the per-email limit, the page reads the same but no further email goes out.
        send = oidc.passwords_allowed_for(form.email.data) and throttle.RESET_EMAIL.reserve(
            operations.normalise_email(form.email.data)
        )
        operations.request_password_reset(form.email.data, send=send)
        return render_template("auth/reset_sent.html", email=form.email.data)
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    found = operations.find_token(token, TokenPurpose.RESET)
    if found is None or found.user is None or not found.user.active:
        return render_template("auth/link_invalid.html", kind="reset"), 404
    if not oidc.passwords_allowed_for(found.user.email):
        return render_template("auth/use_provider.html", person=None)
    form = SetPasswordForm()
    form.submit.label.text = "Set new password"
    if form.validate_on_submit():
        user = operations.reset_password(found, form.password.data)
        if user is None:
            return render_template("auth/link_invalid.html", kind="reset"), 404
        _start_session(user)
        flash("Your password has been changed.", "success")
        return redirect(landing_page())
    return render_template("auth/reset_password.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@requires(Permission.LEARNER)
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        guess = throttle.reserve_guess(current_user.email)
        if guess.refused_by:
            form.current_password.errors.append(throttle.refusal_message(guess))
            return render_template("auth/change_password.html", form=form), 429
        right = operations.check_password(current_user, form.current_password.data)
        guess.settle(right)
        if not right:
            form.current_password.errors.append("Your current password is not correct")
        else:
            user = current_user._get_current_object()
            operations.change_password(user, form.password.data)
            _start_session(user, second_factor_done=True)  # only a full session reaches this page
            flash("Your password has been changed. Other sessions have been signed out.", "success")
            return redirect(landing_page())
    return render_template("auth/change_password.html", form=form)
