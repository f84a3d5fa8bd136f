"""Single sign-on through an OpenID Connect provider: Microsoft Entra ID, Google Workspace or
any standard one, configured by the LMS_OIDC_* settings.

Authlib's Flask client does the protocol: discovery, the authorisation code with PKCE (S256),
state and nonce, and the ID token's signature, issuer, audience, expiry and nonce. This module
adds what is the LMS's to decide:

- **Whose email counts**, a rule per kind of provider (`trusted_email`): Entra ID tokens carry
  no `email_verified`, so the token's tenant must be ours and the address in an allowed
  domain; Google's must be verified and the account in an allowed hosted domain (`hd`); any
  other provider's must be verified (and in an allowed domain when some are listed).
- **Only known people** (`sign_in_person`): a first sign-in is matched by email to someone on
  the roster, then bound to the provider's issuer and subject (`SsoIdentity`); later sign-ins
  match by those alone. Nobody else gets an account. Permissions and categories stay the
  LMS's.
- **A state is used once** (`first_use`), recorded in the rate-limit store, so a callback
  replayed with an old session cookie is refused even though Flask's session is a cookie.
- **Whether the provider answers** (`provider_problem`): the sign-in page says when it does
  not, so the break-glass administrator knows to use the password form. The answer is
  remembered for half a minute per process; it is about the provider, never about people.

Local passwords and the break-glass administrator are in `passwords_allowed_for`.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import date

import requests
from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import OAuth
from flask import current_app, session
from joserfc.errors import JoseError
from limits import parse
from sqlalchemy import select

from .. import audit
from ..extensions import db, limiter
from ..models import User, utcnow
from ..models.sso import SsoIdentity
from ..transaction import DomainError

log = logging.getLogger(__name__)

CLIENT_NAME = "lms"
SCOPE = "openid email profile"
HTTP_TIMEOUT_S = 5
# How long the sign-in page trusts its last look at the provider before looking again.
STATUS_SECONDS = 30
# The sign-in page's look at the provider waits no longer than this: a provider that does not
# answer should cost the page two seconds, not the five a sign-in's own calls may take.
STATUS_TIMEOUT_S = 2
# A state is refused after this long (Authlib's own lifetime for it is the same hour).
STATE_SECONDS = 3600


class ProviderKind(enum.StrEnum):
    ENTRA = "entra"
    GOOGLE = "google"
    GENERIC = "generic"

    @property
    def default_label(self) -> str:
        return {
            "entra": "Sign in with Microsoft",
            "google": "Sign in with Google",
            "generic": "Sign in with your organisation account",
        }[self.value]


@dataclass(frozen=True)
class SsoSettings:
    issuer: str
    kind: ProviderKind
    client_id: str
    client_secret: str
    tenant: str
    domains: frozenset[str]
    button_label: str
    secret_expires: date | None

    @property
    def discovery_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"

    @property
    def provider_name(self) -> str:
        """How pages name the provider: "Microsoft", "Google" or "your organisation account"."""
        return self.button_label.removeprefix("Sign in with ").strip() or self.button_label


def _domains(text: str) -> frozenset[str]:
    return frozenset(d.strip().lower().lstrip("@") for d in text.split(",") if d.strip())


def read_settings(config) -> SsoSettings | None:
    """The single sign-on settings, or None when no issuer is set. Raises ValueError naming
    the setting that is wrong, so the app refuses to start with it."""
    issuer = (config.get("OIDC_ISSUER") or "").strip()
    passwords_off = not config.get("LOCAL_PASSWORDS", True)
    if not issuer:
        if passwords_off:
            raise ValueError("LMS_LOCAL_PASSWORDS is false but LMS_OIDC_ISSUER is not set: nobody could sign in")
        return None
    if not issuer.startswith("https://") and not issuer.startswith(("http://127.0.0.1", "http://localhost")):
        raise ValueError(f"LMS_OIDC_ISSUER must be an https:// address, not {issuer!r}")
    try:
        kind = ProviderKind((config.get("OIDC_PROVIDER") or "generic").strip().lower())
    except ValueError:
        raise ValueError(
            f"LMS_OIDC_PROVIDER must be entra, google or generic, not {config.get('OIDC_PROVIDER')!r}"
        ) from None
    for name in ("OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"):
        if not (config.get(name) or "").strip():
            raise ValueError(f"LMS_{name} must be set when LMS_OIDC_ISSUER is")
    domains = _domains(config.get("OIDC_ALLOWED_DOMAINS") or "")
    tenant = (config.get("OIDC_ENTRA_TENANT") or "").strip().lower()
    if kind is ProviderKind.ENTRA and not tenant:
        raise ValueError("LMS_OIDC_ENTRA_TENANT must be set for Microsoft Entra ID (LMS_OIDC_PROVIDER=entra)")
    if kind in (ProviderKind.ENTRA, ProviderKind.GOOGLE) and not domains:
        raise ValueError(f"LMS_OIDC_ALLOWED_DOMAINS must list your email domains for LMS_OIDC_PROVIDER={kind.value}")
    expires_text = (config.get("OIDC_SECRET_EXPIRES") or "").strip()
    try:
        expires = date.fromisoformat(expires_text) if expires_text else None
    except ValueError:
        raise ValueError(f"LMS_OIDC_SECRET_EXPIRES must be a date like 2027-03-31, not {expires_text!r}") from None
    if passwords_off and not (config.get("BREAK_GLASS_EMAIL") or "").strip():
        raise ValueError(
            "LMS_LOCAL_PASSWORDS is false: set LMS_BREAK_GLASS_EMAIL to the administrator who may still "
            "sign in with a password when the provider is down"
        )
    return SsoSettings(
        issuer=issuer,
        kind=kind,
        client_id=config["OIDC_CLIENT_ID"].strip(),
        client_secret=config["OIDC_CLIENT_SECRET"].strip(),
        tenant=tenant,
        domains=domains,
        button_label=(config.get("OIDC_BUTTON_LABEL") or "").strip() or kind.default_label,
        secret_expires=expires,
    )


def check_settings(config) -> None:
    """Refuse to start with single sign-on or break-glass settings that cannot work."""
    read_settings(config)
    try:
        parse(config["BREAK_GLASS_LIMIT"])
    except ValueError:
        raise ValueError(
            f"LMS_BREAK_GLASS_LIMIT must read like '5 per 15 minutes', not {config['BREAK_GLASS_LIMIT']!r}"
        ) from None


def settings() -> SsoSettings | None:
    return read_settings(current_app.config)


# --- local passwords and the break-glass administrator ---------------------------------------


def break_glass_email() -> str:
    return (current_app.config.get("BREAK_GLASS_EMAIL") or "").strip().lower()


def is_break_glass(email: str | None) -> bool:
    named = break_glass_email()
    return bool(named) and (email or "").strip().lower() == named


def local_passwords_on() -> bool:
    return bool(current_app.config.get("LOCAL_PASSWORDS", True))


def passwords_allowed_for(email: str | None) -> bool:
    """Whether this address may sign in (or reset, or be invited to set) a password."""
    return local_passwords_on() or is_break_glass(email)


# --- whose email counts ----------------------------------------------------------------------


class SignInRefused(DomainError):
    """The provider said who this is, but the LMS will not let them in; `reason` names why
    for the page and the log."""

    status = 403

    def __init__(self, reason: str, email: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.email = email


def _domain_of(email: str) -> str:
    return email.rpartition("@")[2].lower()


def _verified(claims) -> bool:
    # Some providers send the JSON string "true" rather than the boolean.
    return claims.get("email_verified") in (True, "true")


def trusted_email(sso: SsoSettings, claims) -> str:
    """The address from a validated ID token's claims that may be matched to the roster,
    lower-cased; raises SignInRefused when the provider's rule does not vouch for it."""
    email = str(claims.get("email") or "").strip().lower()
    if sso.kind is ProviderKind.ENTRA:
        # Entra's `email` is optional and unverified; without it the sign-in name (UPN) is the
        # address in most organisations. The tenant and domain checks are what make it count.
        if not email:
            email = str(claims.get("preferred_username") or "").strip().lower()
        if str(claims.get("tid") or "").lower() != sso.tenant:
            raise SignInRefused("wrong_tenant", email)
        if "@" not in email:
            raise SignInRefused("no_email")
        if _domain_of(email) not in sso.domains:
            raise SignInRefused("domain", email)
        return email
    if "@" not in email:
        raise SignInRefused("no_email")
    if not _verified(claims):
        raise SignInRefused("unverified", email)
    if sso.kind is ProviderKind.GOOGLE:
        if str(claims.get("hd") or "").lower() not in sso.domains:
            raise SignInRefused("domain", email)
    elif sso.domains and _domain_of(email) not in sso.domains:
        raise SignInRefused("domain", email)
    return email


def check_tenant(sso: SsoSettings, claims) -> None:
    """Entra ID: every sign-in, not only the first, must come from our tenant."""
    if sso.kind is ProviderKind.ENTRA and str(claims.get("tid") or "").lower() != sso.tenant:
        raise SignInRefused("wrong_tenant", str(claims.get("email") or ""))


# --- only known people -----------------------------------------------------------------------


def sign_in_person(sso: SsoSettings, claims) -> User:
    """The person these validated claims are, binding the provider's account to them at the
    first sign-in; raises SignInRefused for anyone the LMS does not know. Flushes."""
    issuer, subject = str(claims["iss"]), str(claims["sub"])
    check_tenant(sso, claims)
    identity = db.session.scalar(
        select(SsoIdentity).where(SsoIdentity.issuer == issuer, SsoIdentity.subject == subject)
    )
    now = utcnow()
    if identity is not None:
        user = identity.user
        if not user.active:
            raise SignInRefused("deactivated", user.email)
    else:
        email = trusted_email(sso, claims)
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None or user.is_anonymised:
            raise SignInRefused("unknown", email)
        if not user.active:
            raise SignInRefused("deactivated", email)
        bound = db.session.scalar(
            select(SsoIdentity.id).where(SsoIdentity.user_id == user.id, SsoIdentity.issuer == issuer)
        )
        if bound is not None:
            # This person already signs in with another account at the provider: an address
            # renamed or reused there does not move the LMS account to its new holder.
            raise SignInRefused("bound_elsewhere", email)
        identity = SsoIdentity(user=user, issuer=issuer, subject=subject, email_at_link=email)
        db.session.add(identity)
        audit.record("person.sso_linked", user, actor=user, issuer=issuer, subject=subject, email=email)
    identity.last_used_at = now
    user.last_login_at = now
    db.session.flush()
    return user


def first_use(state: str) -> bool:
    """True the first time this state comes back; False ever after (within its hour)."""
    key = "oidc-state/" + hashlib.sha256(state.encode()).hexdigest()
    return limiter.storage.incr(key, STATE_SECONDS) == 1


def has_pending_state(state: str) -> bool:
    """Whether this browser's session started a sign-in with this state (Authlib keeps it
    under this key)."""
    return bool(state) and f"_state_{CLIENT_NAME}_{state}" in session


# --- the provider ----------------------------------------------------------------------------


class ProviderUnavailable(Exception):
    """The provider cannot be reached or does not behave as configured; the message is for
    the administrator's log and `lms check-sso`, not for the sign-in page."""


@dataclass
class _Provider:
    sso: SsoSettings
    client: object
    checked_at: float = 0.0
    problem: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


def _provider() -> _Provider:
    """The Authlib client for the current settings, built on first use (and again when the
    settings change: tests set them after the app is made)."""
    sso = settings()
    if sso is None:
        raise ProviderUnavailable("single sign-on is not configured (LMS_OIDC_ISSUER)")
    held = current_app.extensions.get("lms_oidc")
    if held is None or held.sso != sso:
        oauth = OAuth(current_app._get_current_object())
        client = oauth.register(
            CLIENT_NAME,
            client_id=sso.client_id,
            client_secret=sso.client_secret,
            server_metadata_url=sso.discovery_url,
            client_kwargs={"scope": SCOPE, "code_challenge_method": "S256", "default_timeout": HTTP_TIMEOUT_S},
        )
        held = _Provider(sso=sso, client=client)
        current_app.extensions["lms_oidc"] = held
    return held


def check_metadata(sso: SsoSettings, metadata: dict) -> None:
    """Refuse a discovery document that is not the configured issuer's or lacks what the
    sign-in needs."""
    if str(metadata.get("issuer", "")).rstrip("/") != sso.issuer.rstrip("/"):
        raise ProviderUnavailable(
            f"the discovery document names issuer {metadata.get('issuer')!r}, not LMS_OIDC_ISSUER {sso.issuer!r}"
        )
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not metadata.get(key):
            raise ProviderUnavailable(f"the discovery document has no {key}")
    methods = metadata.get("code_challenge_methods_supported")
    if methods is not None and "S256" not in methods:
        raise ProviderUnavailable("the provider does not support PKCE with S256")


def client():
    """The Authlib client, its discovery document loaded and checked; raises
    ProviderUnavailable (and remembers the problem for the sign-in page) when it cannot be."""
    held = _provider()
    try:
        metadata = held.client.load_server_metadata()
        check_metadata(held.sso, metadata)
    except (requests.RequestException, ValueError, ProviderUnavailable) as exc:
        held.client.server_metadata.clear()  # look again next time
        problem = str(exc) if isinstance(exc, ProviderUnavailable) else f"discovery failed: {exc}"
        note_problem(problem)
        raise ProviderUnavailable(problem) from exc
    return held.client


def note_problem(problem: str | None) -> None:
    """Remember what the last attempt learnt about the provider, for the sign-in page."""
    held = _provider()
    with held.lock:
        held.problem, held.checked_at = problem, time.monotonic()
    if problem:
        log.warning("single sign-on: %s", problem)


def provider_problem() -> str | None:
    """Why signing in through the provider would fail now, or None when it answers; looks
    again when the last look is older than STATUS_SECONDS."""
    held = _provider()
    if held.checked_at and time.monotonic() - held.checked_at < STATUS_SECONDS:
        return held.problem
    try:
        client()
        # The document may be cached: ask the provider itself that it is there.
        requests.get(held.sso.discovery_url, timeout=STATUS_TIMEOUT_S).raise_for_status()
    except ProviderUnavailable as exc:
        return str(exc)
    except requests.RequestException as exc:
        note_problem(f"discovery failed: {exc}")
        return held.problem
    note_problem(None)
    return None


def authorize_redirect(redirect_uri: str, *, login_hint: str | None = None):
    """The redirect to the provider's sign-in, with a new state, nonce and PKCE verifier
    kept in this browser's session."""
    sso = settings()
    extra = {}
    if sso.kind is ProviderKind.GOOGLE and len(sso.domains) == 1:
        extra["hd"] = next(iter(sso.domains))  # Google shows only that domain's accounts
    if login_hint:
        extra["login_hint"] = login_hint
    return client().authorize_redirect(redirect_uri, **extra)


def finish_sign_in() -> dict:
    """Exchange the callback's code for tokens and return the ID token's validated claims.

    Raises SignInRefused("expired") for a state this session did not start, and
    ProviderUnavailable when the provider fails or refuses the LMS's credentials.
    """
    oauth_client = client()
    try:
        token = oauth_client.authorize_access_token()
    except MismatchingStateError:
        raise SignInRefused("expired") from None
    except OAuthError as exc:
        if exc.error in ("access_denied", "login_required", "consent_required", "interaction_required"):
            raise SignInRefused("cancelled") from None
        if exc.error in ("invalid_client", "unauthorized_client"):
            note_problem(f"the provider refused the client id or secret ({exc.error}: {exc.description})")
        raise ProviderUnavailable(f"{exc.error}: {exc.description}") from exc
    except requests.RequestException as exc:
        note_problem(f"the token request failed: {exc}")
        raise ProviderUnavailable(str(exc)) from exc
    except JoseError as exc:  # a signature, issuer, audience, expiry or nonce that is wrong
        raise SignInRefused("bad_token") from exc
    claims = token.get("userinfo")
    if not claims or not claims.get("sub"):
        raise SignInRefused("bad_token")
    return dict(claims)
