"""The Prevent-duty training and induction LMS."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
from flask import Flask, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import instance_path, load_settings, secret_key
from .extensions import csrf, db, limiter, login_manager, migrate

__all__ = ["create_app"]

MIGRATIONS = str(Path(__file__).parent / "migrations")


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    path = instance_path()
    if overrides and "INSTANCE_PATH" in overrides:
        path = Path(overrides["INSTANCE_PATH"])
    app = Flask(__name__, instance_path=str(path), instance_relative_config=True)
    path.mkdir(parents=True, exist_ok=True)

    settings = load_settings(path)
    app.config.update(settings)
    app.config.update(
        SECRET_KEY=secret_key(path),
        SQLALCHEMY_DATABASE_URI=settings["DATABASE_URL"],
        # A pooled connection the database dropped (a restart, a failover, an idle timeout) is
        # found at checkout and replaced, rather than failing a page.
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        RATELIMIT_STORAGE_URI=settings["RATELIMIT_STORAGE_URI"],
        RATELIMIT_HEADERS_ENABLED=False,
        MAX_CONTENT_LENGTH=(settings["MAX_UPLOAD_MB"] + 1) * 1024 * 1024,
        MAX_FORM_MEMORY_SIZE=2 * 1024 * 1024,
    )
    if overrides:
        app.config.update({k: v for k, v in overrides.items() if k != "INSTANCE_PATH"})
        if "DATABASE_URL" in overrides:
            app.config["SQLALCHEMY_DATABASE_URI"] = overrides["DATABASE_URL"]
    secure = app.config["HTTPS"]
    app.config.update(SESSION_COOKIE_SECURE=secure, REMEMBER_COOKIE_SECURE=secure)
    _configure_addresses(app)
    from .auth.throttle import check_settings

    check_settings(app.config)
    from .auth.oidc import check_settings as check_sso_settings

    check_sso_settings(app.config)

    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=MIGRATIONS,
        render_as_batch=True,
        compare_type=True,
        render_item=_render_migration_item,
    )
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)

    from . import revalidation, security, transaction
    from .errors import logs

    logs.init_app(app)
    security.init_app(app)
    revalidation.init_app(app)
    transaction.init_app(app)

    from .admin import bp as admin_bp
    from .auth import bp as auth_bp
    from .calendar import bp as calendar_bp
    from .courses import bp as courses_bp
    from .errors import bp as errors_bp
    from .evidence import bp as evidence_bp
    from .main import bp as main_bp
    from .oversight import bp as oversight_bp
    from .people import bp as people_bp
    from .quizzes import bp as quizzes_bp
    from .records import bp as records_bp
    from .team import bp as team_bp

    app.register_blueprint(errors_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(main_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(people_bp)
    app.register_blueprint(courses_bp)
    app.register_blueprint(oversight_bp)
    app.register_blueprint(records_bp)
    app.register_blueprint(evidence_bp)
    app.register_blueprint(quizzes_bp)
    app.register_blueprint(team_bp)
    app.register_blueprint(calendar_bp)

    from . import mail_commands, maintenance  # noqa: F401  (register `lms deliver-mail`, `lms backup`)
    from .auth import sso_commands  # noqa: F401  (register `lms check-sso`)
    from .cli import lms_group

    app.cli.add_command(lms_group)

    _template_helpers(app)

    from .permissions import check_declared

    check_declared(app)
    if _serving(app) and not app.config.get("TESTING"):
        from .plan.standing import warn_if_not_applied

        warn_if_not_applied(app)
    return app


def _configure_addresses(app: Flask) -> None:
    """Links come from LMS_BASE_URL alone, and only its host (or a local or listed one) is served."""
    from .links import LOCAL_HOSTS, BaseURLMissing, check_base_url, trusted_hosts

    if app.config["BASE_URL"]:
        app.config["BASE_URL"] = check_base_url(app.config["BASE_URL"])
    elif _serving(app):
        raise BaseURLMissing()
    app.config["TRUSTED_HOSTS"] = trusted_hosts(app.config["BASE_URL"], app.config["TRUSTED_HOSTS"] or "")
    app.wsgi_app = _LocalAndHealthHosts(app.wsgi_app, LOCAL_HOSTS[0])
    if app.config["PROXY_FIX"]:
        # Only the client's address and scheme come from the proxy; the proxy sets Host itself.
        n = app.config["PROXY_FIX"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=0, x_prefix=0)


def _serving(app: Flask) -> bool:
    """True unless the app was built for a command: the `lms` script, or `flask ... lms ...`.

    Serving (gunicorn, `flask run`) needs LMS_BASE_URL; commands that send nothing do not, and
    those that do stop with the same message when they first build a link.
    """
    if app.config.get("COMMAND_LINE"):
        return False
    ctx = click.get_current_context(silent=True)
    return ctx is None or ctx.info_name == "run"


class _LocalAndHealthHosts:
    """/healthz answers whatever Host a load balancer sends, and [::1] counts as local.

    (Werkzeug cannot match an IPv6 address in TRUSTED_HOSTS, so such requests are handed on
    under the name localhost.)
    """

    _IPV6_LOOPBACK = re.compile(r"\[::1\](:\d+)?")

    def __init__(self, wsgi_app, local_name: str):
        self.wsgi_app = wsgi_app
        self.local_name = local_name

    def __call__(self, environ, start_response):
        host = environ.get("HTTP_HOST", "")
        if environ.get("PATH_INFO") == "/healthz" or self._IPV6_LOOPBACK.fullmatch(host):
            environ["HTTP_HOST"] = self.local_name
        return self.wsgi_app(environ, start_response)


def _render_migration_item(type_, obj, autogen_context):
    """Migrations spell our column types in plain SQLAlchemy, so they never import the app."""
    from .models.types import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """WAL, foreign keys and a busy timeout on every SQLite connection."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def _template_helpers(app: Flask) -> None:
    from . import formatting
    from . import org as org_settings
    from .dates import local_today
    from .models import CATEGORY_LABELS, Permission

    tz = ZoneInfo(app.config["TIMEZONE"])

    # One way to write a date and a count, shared with emails and PDFs (lms/formatting.py).
    app.add_template_filter(lambda value: formatting.long_date(value, tz), "date")
    app.add_template_filter(lambda value: formatting.date_time(value, tz), "datetime")
    app.add_template_filter(formatting.plural, "plural")
    app.add_template_filter(formatting.noun, "noun")

    @app.template_filter("sentence")
    def sentence(value: str) -> str:
        """Capital first letter, the rest untouched (Jinja's capitalize lowers the rest)."""
        return value[:1].upper() + value[1:]

    @app.context_processor
    def inject() -> dict[str, Any]:
        return {
            "Permission": Permission,
            "CATEGORY_LABELS": CATEGORY_LABELS,
            "org_name": app.config["ORG_NAME"],
            "org_settings": org_settings,
            "today": local_today,
            "current_path": request.path if has_request_context() else "",
        }
