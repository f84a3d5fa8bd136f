"""Learner pages answer `304 Not Modified` when nothing they show has changed.

My training, a course, a lesson and a quiz's page are what people open again and again. Each
carries an ETag worked out, before the page is drawn, from everything it shows:

- the session (its forms carry the session's CSRF token) and the person: their row's shown
  columns, their permission and their `data_version`, which database triggers move whenever
  any of their rows changes (lms/models/versioning.py), whichever server made the change;
- the organisation's settings rows, which hold the Raise a concern contacts in the page
  shell, the content revision (moved by every `lms sync-content` that changes anything) and
  the training plan applied; and the plan file in force;
- how many reports the person has (the navigation's My team link), in the same query;
- the organisation's date, and this build of the app.

A browser that sends the same tag back gets a 304 without the page being drawn. Nothing is
kept in the server's memory between requests: the tag is worked out again each time, from
the person already loaded for the request and one small query. A page with a flash message
waiting carries no tag (the message shows once).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from importlib import metadata
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, make_response, request, session
from flask_login import current_user
from sqlalchemy import String, Text, bindparam, cast, func, literal, select

from .dates import local_today
from .extensions import db
from .models import OrgSetting, User
from .plan.loader import current_plan_file

CACHE_CONTROL = "private, no-cache"  # the browser may keep it, but asks each time
EXTENSION = "lms.build"


def init_app(app: Flask) -> None:
    """This build's identity: the package version and a hash of its templates and static
    files, the same in every worker of one deployment."""
    try:
        version = metadata.version("lms")
    except metadata.PackageNotFoundError:
        version = "unknown"
    digest = hashlib.sha256(version.encode())
    root = Path(__file__).parent
    for folder in ("templates", "static"):
        for path in sorted((root / folder).rglob("*")):
            if path.is_file():
                digest.update(path.relative_to(root).as_posix().encode())
                digest.update(path.read_bytes())
    app.extensions[EXTENSION] = digest.hexdigest()[:16]


# Built once, with the person as a bound value: every learner page asks it, and building a
# statement costs more than running it. The settings rows, and in the same query how many
# reports the person has (the navigation's My team link).
_SETTINGS = select(OrgSetting.key, OrgSetting.value).union_all(
    select(literal("~reports", String(64)), cast(func.count(), Text))
    .select_from(User)
    .where(User.manager_id == bindparam("person_id"), User.active.is_(True))
)


def page_tag() -> str | None:
    """The ETag of the signed-in person's page at this address, or None when it may not have one."""
    if "_flashes" in session or not g.get("session_id"):
        return None
    user = current_user._get_current_object()
    settings = sorted(db.session.execute(_SETTINGS, {"person_id": user.id}).all())
    g.has_reports = any(key == "~reports" and value != "0" for key, value in settings)  # for the navigation
    parts = (
        current_app.extensions[EXTENSION],
        g.session_id,
        user.id,
        user.data_version,
        user.name,
        user.email,
        user.start_date,
        user.permission,
        local_today(),
        current_plan_file(),
        settings,
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def revalidated(view: Callable) -> Callable:
    """Give `view`'s page an ETag and answer 304 when the browser has it already.

    Goes under `@requires(...)`, so the person is signed in and allowed before anything is
    compared."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any):
        tag = page_tag() if request.method in ("GET", "HEAD") else None
        if tag is not None and request.if_none_match.contains(tag):
            response = current_app.response_class(status=304)
            response.set_etag(tag)
            response.headers["Cache-Control"] = CACHE_CONTROL
            return response
        response = make_response(view(*args, **kwargs))
        if tag is not None and response.status_code == 200:
            response.set_etag(tag)
            response.headers["Cache-Control"] = CACHE_CONTROL
        return response

    return wrapped
