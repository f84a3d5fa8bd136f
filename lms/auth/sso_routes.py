"""Sign-in through the OpenID Connect provider (lms/auth/oidc.py): the button's start, the
callback, and the page that says why someone was refused."""

from __future__ import annotations

import logging

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from ..links import external_url
from ..permissions import public
from . import bp, oidc
from .routes import _start_session, safe_next

log = logging.getLogger(__name__)

NEXT_KEY = "sso_next"

REFUSAL_STATUS = {"expired": 400, "cancelled": 400}


@bp.context_processor
def _sign_in_options():
    return {"sso_sign_in": sign_in_options}


def sign_in_options() -> dict:
    """What the sign-in pages show of single sign-on: the button, and whether it works now."""
    sso = oidc.settings()
    if sso is None:
        return {"enabled": False, "passwords_on": True}
    return {
        "enabled": True,
        "label": sso.button_label,
        "provider": sso.provider_name,
        "problem": oidc.provider_problem() is not None,
        "passwords_on": oidc.local_passwords_on(),
        "start_url": url_for("auth.sso_start", next=request.args.get("next") or None),
    }


# --- through the provider --------------------------------------------------------------------


@bp.route("/login/sso")
@public
def sso_start():
    if oidc.settings() is None:
        abort(404)
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    session[NEXT_KEY] = safe_next(request.args.get("next"))
    try:
        return oidc.authorize_redirect(external_url("auth.sso_callback"))
    except oidc.ProviderUnavailable:
        sso = oidc.settings()
        flash(f"Signing in with {sso.provider_name} is not working at the moment. Try again later.", "error")
        return redirect(url_for("auth.login"))


@bp.route("/login/sso/callback")
@public
def sso_callback():
    sso = oidc.settings()
    if sso is None:
        abort(404)
    state = request.args.get("state", "")
    try:
        if request.args.get("error"):
            raise oidc.SignInRefused("cancelled")
        # A state this browser did not start, or one that has come back before, is refused
        # before the provider is asked anything.
        if not oidc.has_pending_state(state) or not oidc.first_use(state):
            raise oidc.SignInRefused("expired")
        claims = oidc.finish_sign_in()
        user = oidc.sign_in_person(sso, claims)
    except oidc.SignInRefused as refused:
        log.info("single sign-on refused (%s) for %r", refused.reason, refused.email)
        return _refusal(sso, refused)
    except oidc.ProviderUnavailable:
        flash(f"Signing in with {sso.provider_name} is not working at the moment. Try again later.", "error")
        return redirect(url_for("auth.login"))
    target = session.get(NEXT_KEY)
    # The provider vouched for the person, with its own second factor: none is asked here.
    _start_session(user, via_provider=True)
    return redirect(safe_next(target))


def _refusal(sso: oidc.SsoSettings, refused: oidc.SignInRefused):
    session.pop(NEXT_KEY, None)
    return (
        render_template(
            "auth/sso_refused.html",
            reason=refused.reason,
            email=refused.email,
            provider=sso.provider_name,
            org=current_app.config["ORG_NAME"],
        ),
        REFUSAL_STATUS.get(refused.reason, 403),
    )
