"""The one authorisation mechanism: each view declares the permission it needs.

`@requires(Permission.LEAD)` on a view: anonymous people are sent to sign in, people with a
lower permission get 403. `@public` marks a view anyone may open. create_app refuses to start
when a view declares neither, so no route is left open by accident.

Public views are the sign-in pages, Raise a concern, certificate verification, /healthz and
one personal address: a person's calendar feed (lms/calendar/), which calendar apps poll
without signing in or a second factor. Its secret token is the credential (stored hashed,
reset by its owner); any other token answers 404, and it shows titles and dates only.

A view may also need a relation between the signed-in person and the one it is about, on
top of the permission: `@requires(Permission.LEARNER, relation=Relation.MANAGER)` opens only
for a line manager, and only on their own reports' ids. It is not a permission level: a
learner, lead or anyone with reports has it. A relation that does not hold answers 404,
as for an id that does not exist.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user
from sqlalchemy import exists, select

from .extensions import db, login_manager
from .models import Permission, User
from .transaction import NotFound

PUBLIC = "public"


class Relation(enum.StrEnum):
    """A relation a view needs between the signed-in person and the person it shows."""

    # The signed-in person is the line manager of an active person: of the `user_id` in the
    # address when there is one, else of anyone (My team's list).
    MANAGER = "manager"


def manages(manager: User, person_id: int | None = None) -> bool:
    """Whether `manager` is the line manager of this active person (of anyone when None)."""
    condition = (User.manager_id == manager.id) & User.active.is_(True)
    if person_id is not None:
        condition &= User.id == person_id
    return bool(db.session.scalar(select(exists().where(condition))))


def _check_relation(relation: Relation, kwargs: dict[str, Any]) -> None:
    if relation is Relation.MANAGER and not manages(current_user, kwargs.get("user_id")):
        raise NotFound()


def requires(permission: Permission, relation: Relation | None = None) -> Callable:
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.can(permission):
                abort(403)
            if relation is not None:
                _check_relation(relation, kwargs)
            return view(*args, **kwargs)

        wrapped.required_permission = permission  # type: ignore[attr-defined]
        wrapped.required_relation = relation  # type: ignore[attr-defined]
        return wrapped

    return decorator


def public(view: Callable) -> Callable:
    view.required_permission = PUBLIC  # type: ignore[attr-defined]
    return view


def declared_permission(view: Callable) -> Permission | str | None:
    return getattr(view, "required_permission", None)


def declared_relation(view: Callable) -> Relation | None:
    return getattr(view, "required_relation", None)


def check_declared(app) -> None:
    missing = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static" and declared_permission(view) is None
    ]
    if missing:
        raise RuntimeError(f"views without a declared permission: {', '.join(sorted(missing))}")
