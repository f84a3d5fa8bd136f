"""The one authorisation mechanism: each view declares the permission it needs.

`@requires(Permission.LEAD)` on a view: anonymous people are sent to sign in, people with a
lower permission get 403. `@public` marks a view anyone may open. create_app refuses to start
when a view declares neither, so no route is left open by accident.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user

from .extensions import login_manager
from .models import Permission

PUBLIC = "public"


def requires(permission: Permission) -> Callable:
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.can(permission):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_permission = permission  # type: ignore[attr-defined]
        return wrapped

    return decorator


def public(view: Callable) -> Callable:
    view.required_permission = PUBLIC  # type: ignore[attr-defined]
    return view


def declared_permission(view: Callable) -> Permission | str | None:
    return getattr(view, "required_permission", None)


def check_declared(app) -> None:
    missing = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static" and declared_permission(view) is None
    ]
    if missing:
        raise RuntimeError(f"views without a declared permission: {', '.join(sorted(missing))}")
