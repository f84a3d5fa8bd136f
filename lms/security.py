"""Sessions and the headers every response carries."""

from __future__ import annotations

from flask import Flask, Response, flash, g, redirect, request, url_for

from .auth.operations import signed_in
from .extensions import login_manager
from .models import User

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(key: str) -> User | None:
        row = signed_in(key)
        if row is None:
            return None
        user, g.session_id, required, given_at = row
        # Half signed in: only the second-factor pages open (lms/auth/second_factor/routes.py).
        g.second_factor_pending = required and given_at is None
        return user

    @login_manager.unauthorized_handler
    def unauthorized() -> Response:
        flash(login_manager.login_message, "info")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        headers["Referrer-Policy"] = "same-origin"
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if app.config["HTTPS"]:
            headers["Strict-Transport-Security"] = "max-age=31536000"
        if response.mimetype == "text/html":
            headers.setdefault("Cache-Control", "no-store")
        return response
