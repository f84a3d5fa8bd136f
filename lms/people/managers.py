"""Line managers: who manages whom, with no one their own manager and no loops.

A person may have one line manager, another person in the LMS. The link stays when the
manager leaves (the reminders then escalate to the Lead instead), and is changed on the
person's page or by the roster import's "Manager email" column. A manager sees their
reports on My team (lms/team/), through the MANAGER relation of lms/permissions.py.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

from .. import audit
from ..extensions import db
from ..models import User
from ..transaction import DomainError


class ManagerError(DomainError):
    """The manager asked for cannot be this person's: themselves, or a loop."""

    status = 400


def chain_problem(person_key, manager_key, managers: Mapping) -> str | None:
    """Why `manager_key` cannot manage `person_key`, given who manages whom (`managers`:
    person -> their manager, either keys of any kind); None when they can."""
    if manager_key is None:
        return None
    if manager_key == person_key:
        return "a person cannot be their own line manager"
    seen = {person_key}
    step = manager_key
    while step is not None:
        if step in seen:
            return "this would make a loop: the manager is managed, directly or through others, by this person"
        seen.add(step)
        step = managers.get(step)
    return None


def _managers_of_everyone() -> dict[int, int]:
    return dict(db.session.execute(select(User.id, User.manager_id).where(User.manager_id.is_not(None))).all())


def check_manager(person: User | None, manager: User | None) -> None:
    """Raise ManagerError when `manager` cannot be `person`'s line manager."""
    if person is None or manager is None:
        return
    managers = _managers_of_everyone()
    managers.pop(person.id, None)
    problem = chain_problem(person.id, manager.id, managers)
    if problem:
        raise ManagerError(problem[0].upper() + problem[1:] + ".")


def set_manager(actor: User | None, person: User, manager: User | None, source: str = "form") -> bool:
    """Make `manager` the person's line manager (None: no manager), audited; True if changed."""
    if person.manager_id == (manager.id if manager else None):
        return False
    check_manager(person, manager)
    before = person.manager.email if person.manager else None
    person.manager = manager
    db.session.flush()
    audit.record(
        "person.updated",
        person,
        actor=actor,
        email=person.email,
        source=source,
        changes={"manager": {"before": before, "after": manager.email if manager else None}},
    )
    return True


def reports_of(manager: User) -> list[User]:
    """A manager's active reports, by name."""
    return list(
        db.session.scalars(
            select(User).where(User.manager_id == manager.id, User.active.is_(True)).order_by(User.name, User.id)
        )
    )
