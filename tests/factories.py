"""Builders for test data; each commits so that a request sees it."""

from __future__ import annotations

import itertools
from datetime import date

from lms.auth import operations
from lms.auth.second_factor import mark_session
from lms.dates import local_today
from lms.extensions import db
from lms.models import Permission, User

_seq = itertools.count(1)


def make_user(
    *,
    name: str | None = None,
    email: str | None = None,
    categories=("staff",),
    start_date: date | None = None,
    permission: Permission = Permission.LEARNER,
    password: str | None = None,
    active: bool = True,
) -> User:
    n = next(_seq)
    user = operations.create_person(
        name=name or f"Person {n}",
        email=email or f"person{n}@example.org",
        categories=categories,
        start_date=start_date or local_today(),
        permission=permission,
    )
    if password:
        operations.set_password(user, password)
    user.active = active
    db.session.commit()
    return user


def session_key(user: User) -> str:
    """A signed-in session for `user`, as signing in with a password makes one: the key its
    cookie carries. A person who needs a second factor is half signed in until they give it
    (conftest.Auth.login does, through the pages)."""
    key = operations.open_session(user, "127.0.0.1", "tests")
    mark_session(key, user)
    db.session.commit()
    return key


def date_parts(name: str, day: date) -> dict[str, str]:
    """A date as a form's day, month and year boxes post it (GOV.UK's date input)."""
    return {f"{name}-day": str(day.day), f"{name}-month": str(day.month), f"{name}-year": str(day.year)}


def sync_content():
    """Store the content packs and commit, as `lms sync-content` does."""
    from lms.packs import operations as packs

    changes = packs.sync_content()
    db.session.commit()
    return changes
