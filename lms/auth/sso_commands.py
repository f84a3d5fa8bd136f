"""`lms check-sso`: is single sign-on set up so that people can sign in, and will it stay so?"""

from __future__ import annotations

import secrets

import click
import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from flask import current_app
from sqlalchemy import select

from ..cli import lms_group
from ..dates import local_today
from ..extensions import db
from ..formatting import plural
from ..links import external_url
from ..models import Permission, User
from . import oidc
from .second_factor import operations as second_factor

# Warn this many days before the client secret expires (Entra ID secrets last at most two years).
EXPIRY_WARNING_DAYS = 30


class Report:
    def __init__(self) -> None:
        self.failed = False

    def ok(self, text: str) -> None:
        click.echo(f"ok       {text}")

    def warn(self, text: str) -> None:
        click.echo(f"warning  {text}")

    def fail(self, text: str) -> None:
        self.failed = True
        click.echo(f"error    {text}")


def _credentials(report: Report, sso: oidc.SsoSettings, metadata: dict, redirect_uri: str) -> None:
    """Ask the token endpoint to redeem a code that does not exist: a provider authenticates
    the client before it looks at the code, so "invalid_grant" means the id and secret were
    accepted and "invalid_client" that they were not. That is as far as the protocol lets a
    client test its credentials without a person signing in."""
    methods = metadata.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    method = "client_secret_basic" if "client_secret_basic" in methods else "client_secret_post"
    with OAuth2Session(
        sso.client_id, sso.client_secret, token_endpoint_auth_method=method, default_timeout=oidc.HTTP_TIMEOUT_S
    ) as session:
        try:
            session.fetch_token(
                metadata["token_endpoint"],
                grant_type="authorization_code",
                code="lms-check-sso-" + secrets.token_urlsafe(16),
                redirect_uri=redirect_uri,
                code_verifier=secrets.token_urlsafe(48),
            )
        except OAuthError as exc:
            if exc.error == "invalid_grant":
                report.ok(f"the provider accepted the client id and secret ({method})")
            elif exc.error in ("invalid_client", "unauthorized_client"):
                report.fail(
                    f"the provider refused the client id or secret: {exc.error} {exc.description or ''}".rstrip()
                )
            else:
                report.warn(f"could not tell whether the client secret is right: the provider answered {exc.error}")
            return
        except requests.RequestException as exc:
            report.fail(f"the token endpoint did not answer: {exc}")
            return
    report.warn("the provider accepted a made-up code: it is not checking codes")


def _expiry(report: Report, sso: oidc.SsoSettings) -> None:
    if sso.secret_expires is None:
        report.warn("LMS_OIDC_SECRET_EXPIRES is not set, so nothing warns before the client secret expires")
        return
    days = (sso.secret_expires - local_today()).days
    when = sso.secret_expires.isoformat()
    if days <= 0:
        report.fail(f"the client secret expired on {when}: make a new one and set LMS_OIDC_CLIENT_SECRET")
    elif days <= EXPIRY_WARNING_DAYS:
        report.warn(
            f"the client secret expires on {when}, in {plural(days, 'day')}: make a new one, set "
            f"LMS_OIDC_CLIENT_SECRET and LMS_OIDC_SECRET_EXPIRES"
        )
    else:
        report.ok(f"the client secret expires on {when}, in {plural(days, 'day')}")


def _break_glass(report: Report) -> None:
    email = oidc.break_glass_email()
    if oidc.local_passwords_on():
        report.ok("local passwords are on")
        return
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None or not user.active or not user.can(Permission.ADMIN):
        report.fail(f"LMS_BREAK_GLASS_EMAIL {email} is not an active administrator: nobody could sign in without the provider")
    elif not user.has_password:
        report.fail(f"the break-glass administrator {email} has no password yet (use Forgotten your password?)")
    elif not second_factor.is_enrolled(user):
        # Whoever next signs in with the password would set up their own app: a failure, not
        # a warning, since the account is the way in when the provider is not.
        report.fail(
            f"the break-glass administrator {email} has not set up a second factor: sign in with the "
            "password now and set one up, so nobody else can"
        )
    else:
        report.ok(f"local passwords are off; the break-glass administrator {email} can sign in with a password")


@lms_group.command("check-sso")
def check_sso_command() -> None:
    """Check the single sign-on settings against the provider; exit 1 when sign-in would fail."""
    report = Report()
    sso = oidc.settings()
    if sso is None:
        report.fail("LMS_OIDC_ISSUER is not set: single sign-on is off")
        raise SystemExit(1)
    click.echo(f"Checking {sso.kind.value} provider {sso.issuer}")
    try:
        response = requests.get(sso.discovery_url, timeout=oidc.HTTP_TIMEOUT_S)
        response.raise_for_status()
        metadata = response.json()
        oidc.check_metadata(sso, metadata)
    except (requests.RequestException, ValueError, oidc.ProviderUnavailable) as exc:
        report.fail(f"discovery at {sso.discovery_url} failed: {exc}")
        _expiry(report, sso)
        _break_glass(report)
        raise SystemExit(1) from None
    report.ok(f"discovery: issuer {metadata['issuer']}, PKCE S256, token and key endpoints present")
    try:
        keys = requests.get(metadata["jwks_uri"], timeout=oidc.HTTP_TIMEOUT_S).json().get("keys")
    except (requests.RequestException, ValueError) as exc:
        report.fail(f"the provider's signing keys could not be read: {exc}")
    else:
        if keys:
            report.ok(f"the provider publishes {plural(len(keys), 'signing key')}")
        else:
            report.fail("the provider publishes no signing keys")
    if sso.kind is oidc.ProviderKind.ENTRA and sso.tenant not in metadata["issuer"].lower():
        report.warn("the issuer is not your tenant's own: use https://login.microsoftonline.com/<tenant id>/v2.0")
    redirect_uri = ""
    if current_app.config["BASE_URL"]:
        redirect_uri = external_url("auth.sso_callback")
        click.echo(f"         redirect URI to register at the provider: {redirect_uri}")
    else:
        report.warn("LMS_BASE_URL is not set, so the redirect URI cannot be shown")
    _credentials(report, sso, metadata, redirect_uri or "http://localhost/login/sso/callback")
    _expiry(report, sso)
    _break_glass(report)
    if report.failed:
        raise SystemExit(1)
