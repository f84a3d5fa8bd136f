"""Settings: a default for each, then instance/lms.toml, then LMS_* environment variables.

Each setting is documented in README.md ("Configuration"); `SETTINGS` is the one list.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str


SETTINGS: list[Setting] = [
    Setting("DATABASE_URL", "", "SQLAlchemy URL; default: SQLite file lms.sqlite3 in the instance folder"),
    Setting("ORG_NAME", "Ellesmere Centre for Psychotherapy Training", "Organisation name on pages, emails and reports"),
    Setting("BASE_URL", "", "Public address of the LMS, e.g. https://lms.example.org: every link in an email, PDF or QR code is built from it; required to serve"),
    Setting("TRUSTED_HOSTS", "", "Further host names requests may use beside the base address's and localhost, separated by commas"),
    Setting("CONTENT_PATHS", "", "Extra content folders, separated by ':'; each may hold courses/ and quizzes/"),
    Setting("TRAINING_PLAN", "", "Path of the training plan TOML (default: instance/training-plan.toml, else the shipped plan)"),
    Setting("SAFE_MODE", False, "Skip third-party content packs found through the lms.packs entry point"),
    Setting("HTTPS", False, "Serve behind HTTPS: Secure cookies and HSTS"),
    Setting("PROXY_FIX", 0, "Number of reverse proxies in front of the app whose X-Forwarded-* headers to trust"),
    Setting("RATELIMIT_STORAGE_URI", "memory://", "Where rate-limit counters live; redis://host:6379/0 when several app servers run"),
    Setting("LOGIN_LIMIT", "5 per 15 minutes", "Wrong passwords checked per account (sign-in and change of password); only failures count"),
    Setting("LOGIN_ADDRESS_LIMIT", "50 per 15 minutes", "Wrong passwords checked per client address, which an office may share; only failures count"),
    Setting("RESET_EMAIL_LIMIT", "3 per hour", "Password reset emails sent to one address"),
    Setting("RESET_ADDRESS_LIMIT", "50 per hour", "Password reset requests per client address"),
    Setting("OIDC_ISSUER", "", "OpenID Connect provider's issuer URL (discovery is read from it); empty: no single sign-on. See \"Single sign-on\""),
    Setting("OIDC_PROVIDER", "generic", "Which rule decides whose email counts: entra (tenant id and allowed domains), google (verified email and hosted domain) or generic (verified email)"),
    Setting("OIDC_CLIENT_ID", "", "The LMS's client id at the provider"),
    Setting("OIDC_CLIENT_SECRET", "", "The LMS's client secret at the provider (keep it in the environment or instance/lms.toml, never in the repository)"),
    Setting("OIDC_SECRET_EXPIRES", "", "The day the client secret expires (YYYY-MM-DD); `lms check-sso` warns 30 days before"),
    Setting("OIDC_ENTRA_TENANT", "", "Microsoft Entra ID: the directory (tenant) id that tokens must carry"),
    Setting("OIDC_ALLOWED_DOMAINS", "", "Email domains that may sign in through the provider, separated by commas (required for entra and google)"),
    Setting("OIDC_BUTTON_LABEL", "", "Text of the sign-in button (default: Sign in with Microsoft, Sign in with Google, or Sign in with your organisation account)"),
    Setting("LOCAL_PASSWORDS", True, "Let people sign in with a password; false: only the break-glass administrator may, everyone else signs in through the provider"),
    Setting("BREAK_GLASS_EMAIL", "", "The one administrator who may sign in with a password when LMS_LOCAL_PASSWORDS is false"),
    Setting("BREAK_GLASS_LIMIT", "5 per 15 minutes", "Wrong passwords checked for the break-glass account per client address (never per account, so nobody can lock it)"),
    Setting("PAGE_SIZE", 50, "Rows per page in lists"),
    Setting("INVITE_DAYS", 14, "Days an invitation link stays valid"),
    Setting("RESET_HOURS", 1, "Hours a password reset link stays valid"),
    Setting("SETUP_HOURS", 24, "Hours the first administrator's setup link stays valid"),
    Setting("TIMEZONE", "Europe/London", "Time zone for dates shown and for 'today'"),
    Setting("SMTP_HOST", "", "SMTP server; when empty, mail goes to the in-app outbox"),
    Setting("SMTP_PORT", 587, "SMTP port"),
    Setting("SMTP_USER", "", "SMTP user name"),
    Setting("SMTP_PASSWORD", "", "SMTP password"),
    Setting("SMTP_STARTTLS", True, "Use STARTTLS with the SMTP server"),
    Setting("SMTP_CA_FILE", "", "PEM file of the certificate authorities to trust for the SMTP server's certificate, instead of the system's (a private mail server)"),
    Setting("MAIL_FROM", "lms@localhost", "Sender address of the LMS's emails"),
    Setting("LEAVER_RETENTION_YEARS", 6, "Years after a leaver's last activity before `lms purge-leavers` anonymises them"),
    Setting("MAX_UPLOAD_MB", 10, "Largest evidence upload, in megabytes"),
    Setting("UPLOADS_PER_HOUR", 20, "Evidence files one person may upload in an hour"),
    Setting("UPLOAD_QUOTA_MB", 100, "Evidence one person may have stored, in megabytes (withdrawn and rejected files count until deleted)"),
]

_DEFAULTS = {s.name: s.default for s in SETTINGS}


def instance_path() -> Path:
    """The instance folder: LMS_INSTANCE_PATH, else instance/ beside the package."""
    env = os.environ.get("LMS_INSTANCE_PATH")
    return Path(env).resolve() if env else PROJECT_ROOT / "instance"


def _coerce(name: str, raw: Any) -> Any:
    default = _DEFAULTS[name]
    if isinstance(default, bool):
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off", ""}:
            return False
        raise ValueError(f"LMS_{name} must be true or false, not {raw!r}")
    if isinstance(default, int):
        try:
            return int(raw)
        except (TypeError, ValueError):
            raise ValueError(f"LMS_{name} must be a whole number, not {raw!r}") from None
    return str(raw)


def load_settings(path: Path, environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Merge defaults, `<instance>/lms.toml` and LMS_* variables into one dict."""
    environ = os.environ if environ is None else environ
    values = dict(_DEFAULTS)
    toml_file = path / "lms.toml"
    if toml_file.exists():
        with toml_file.open("rb") as fh:
            data = tomllib.load(fh)
        for key, raw in data.items():
            name = key.upper()
            if name not in _DEFAULTS:
                raise ValueError(f"{toml_file}: unknown setting {key!r}")
            values[name] = _coerce(name, raw)
    for name in _DEFAULTS:
        if f"LMS_{name}" in environ:
            values[name] = _coerce(name, environ[f"LMS_{name}"])
    if not values["DATABASE_URL"]:
        values["DATABASE_URL"] = f"sqlite:///{path / 'lms.sqlite3'}"
    return values


def secret_key(path: Path) -> str:
    """Read the instance's secret key, generating it (mode 0600) on first start."""
    key_file = path / "secret_key"
    if not key_file.exists():
        path.mkdir(parents=True, exist_ok=True)
        # Written aside then linked into place, so two workers starting at once agree.
        tmp = path / f".secret_key.{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
        try:
            os.link(tmp, key_file)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return key_file.read_text().strip()
