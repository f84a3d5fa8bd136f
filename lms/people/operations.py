"""Changes to people: edit, invite, deactivate and reactivate, one at a time or in bulk.

Every change is audited with before and after. The rules that protect the organisation live
here, so routes, bulk actions and the roster import all obey them: only an administrator
grants, removes or changes lead and administrator permission, and nobody removes the last
active administrator.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select, update

from .. import audit
from ..auth import operations as accounts
from ..auth.second_factor import operations as second_factor
from ..extensions import db
from ..models import Permission, Token, TokenPurpose, User, new_session_token, utcnow
from ..plan import standing
from ..transaction import DomainError


class NotAllowed(DomainError):
    """A change the rules forbid; the message says why, for the person who tried."""

    status = 403


# --- the rules -------------------------------------------------------------------------------


def may_manage(actor: User, person: User) -> bool:
    """Leads manage learners and Directors; only an administrator manages leads and admins."""
    return actor.can(Permission.ADMIN) or person.permission < Permission.LEAD


def grantable(actor: User) -> list[Permission]:
    if actor.can(Permission.ADMIN):
        return list(Permission)
    return [Permission.LEARNER, Permission.DIRECTOR]


def check_manage(actor: User, person: User) -> None:
    if not may_manage(actor, person):
        raise NotAllowed(f"Only an administrator can change {person.name}, who has {person.perm.label.lower()} permission.")


def active_admin_ids(lock: bool = False) -> set[int]:
    """Ids of active administrators; with lock, their rows stay locked until commit
    (PostgreSQL), so two admins demoting each other at once cannot leave none."""
    q = select(User.id).where(User.permission == Permission.ADMIN, User.active.is_(True))
    if lock:
        q = q.with_for_update()
    return set(db.session.scalars(q))


def check_admins_remain(losing: Iterable[int]) -> None:
    """Refuse a change that would leave no active administrator."""
    losing = set(losing)
    admins = active_admin_ids(lock=True)
    if admins and admins <= losing:
        raise NotAllowed("There must always be at least one active administrator: this change would remove the last one.")


# --- one person --------------------------------------------------------------------------------


def snapshot(person: User) -> dict:
    return {
        "name": person.name,
        "email": person.email,
        "categories": sorted(person.categories),
        "start_date": person.start_date.isoformat(),
        "permission": person.perm.name.lower(),
        "active": person.active,
    }


def changes_between(before: dict, after: dict) -> dict:
    return {k: {"before": before[k], "after": after[k]} for k in before if before[k] != after[k]}


def update_person(
    actor: User | None,
    person: User,
    *,
    name: str,
    email: str,
    categories: Sequence[str],
    start_date: date,
    permission: Permission | None = None,
    active: bool | None = None,
    today: date | None = None,
    source: str = "form",
) -> dict:
    """Apply the fields that differ; returns the audited changes (empty: nothing changed).

    The caller commits. actor None is the command line, which may do what an admin may.
    """
    if actor is not None:
        check_manage(actor, person)
        if permission is not None and permission != person.perm and permission not in grantable(actor):
            raise NotAllowed("Only an administrator can grant lead or administrator permission.")
    before = snapshot(person)
    if permission is not None and before["permission"] == "admin" and permission != Permission.ADMIN:
        check_admins_remain([person.id])
    if active is False and person.active and person.permission == Permission.ADMIN:
        check_admins_remain([person.id])

    person.name = " ".join(name.split())
    person.email = accounts.normalise_email(email)
    if start_date != person.start_date:
        # A corrected start date moves the categories held since the start, so induction
        # deadlines count from the new date; categories added later keep their own dates.
        for row in person.category_rows:
            if row.added_on == person.start_date:
                row.added_on = start_date
        person.start_date = start_date
    accounts.set_categories(person, categories, on=today)
    if permission is not None and permission.value != person.permission:
        raised_from = person.permission
        person.permission = permission.value
        if person.permission > raised_from:
            second_factor.permission_raised(person, raised_from)
    if active is not None and active != person.active:
        _set_active(person, active)
    standing.refresh([person.id])
    changes = changes_between(before, snapshot(person))
    if changes:
        audit.record("person.updated", person, actor=actor, email=person.email, source=source, changes=changes)
    return changes


def _set_active(person: User, active: bool) -> None:
    person.active = active
    if active:
        person.deactivated_at = None
    else:
        person.deactivated_at = utcnow()
        person.session_token = new_session_token()  # signs them out everywhere
        _void_tokens(person)


def _void_tokens(person: User, purposes: Iterable[TokenPurpose] = tuple(TokenPurpose)) -> None:
    db.session.execute(
        update(Token)
        .where(Token.user_id == person.id, Token.used_at.is_(None), Token.purpose.in_([p.value for p in purposes]))
        .values(used_at=utcnow())
    )


def deactivate(actor: User | None, person: User, source: str = "form") -> bool:
    """Mark a leaver: they cannot sign in, links sent to them stop working, records stay.
    False when they had left already. The caller commits."""
    if actor is not None:
        check_manage(actor, person)
    if not person.active:
        return False
    if person.permission == Permission.ADMIN:
        check_admins_remain([person.id])
    _set_active(person, False)
    standing.refresh([person.id])
    audit.record(
        "person.deactivated", person, actor=actor, email=person.email, source=source,
        changes={"active": {"before": True, "after": False}},
    )
    return True


def reactivate(actor: User | None, person: User, source: str = "form") -> bool:
    if actor is not None:
        check_manage(actor, person)
    if person.is_anonymised:
        raise NotAllowed("This person's details were erased after they left; they cannot be reactivated.")
    if person.active:
        return False
    _set_active(person, True)
    standing.refresh([person.id])
    audit.record(
        "person.reactivated", person, actor=actor, email=person.email, source=source,
        changes={"active": {"before": False, "after": True}},
    )
    return True


def can_invite(person: User) -> bool:
    return person.active and not person.has_password and not person.is_anonymised


def invitation_state(person: User) -> str:
    """What a lead needs to know: has this person got in yet?"""
    if person.is_anonymised:
        return "anonymised"
    if person.has_password:
        return "accepted"
    latest = db.session.scalar(
        select(Token)
        .where(Token.user_id == person.id, Token.purpose == TokenPurpose.INVITE.value)
        .order_by(Token.created_at.desc(), Token.id.desc())
        .limit(1)
    )
    if latest is None:
        return "not invited"
    if latest.used_at is None and latest.expires_at > utcnow():
        return "invited"
    return "expired"


def latest_invitation(person: User) -> Token | None:
    return db.session.scalar(
        select(Token)
        .where(Token.user_id == person.id, Token.purpose == TokenPurpose.INVITE.value)
        .order_by(Token.created_at.desc(), Token.id.desc())
        .limit(1)
    )


def send_invitation(actor: User | None, person: User) -> str:
    """Invite or re-invite: earlier invitation links stop working. Returns the new link."""
    if actor is not None:
        check_manage(actor, person)
    if not person.active:
        raise NotAllowed(f"{person.name} has left; reactivate them before inviting them.")
    if person.has_password:
        raise NotAllowed(f"{person.name} has set a password already; they can reset it from the sign-in page.")
    _void_tokens(person, [TokenPurpose.INVITE])
    return accounts.invite(person, actor)


def may_see_invitation_link(actor: User, person: User) -> bool:
    """A link that signs someone in is shown only for people below the viewer's own
    permission: a lead may pass one to a learner or a Director, never to another lead."""
    return person.permission < actor.permission


def new_invitation_link(actor: User, person: User) -> str:
    """A fresh invitation link to show the actor once (and emailed, when mail is set up), for
    when the email cannot reach the person; earlier links stop working. Audited."""
    if not may_see_invitation_link(actor, person):
        raise NotAllowed(f"{person.name} has {person.perm.label.lower()} permission, as high as yours: only the email can carry their link.")
    link = send_invitation(actor, person)
    audit.record("person.invitation_link_shown", person, actor=actor, email=person.email)
    return link


def add_person(actor: User, *, invite: bool = True, **fields) -> User:
    permission = fields["permission"]
    if permission not in grantable(actor):
        raise NotAllowed("Only an administrator can grant lead or administrator permission.")
    person = accounts.create_person(**fields)
    audit.record(
        "person.created",
        person,
        actor=actor,
        email=person.email,
        source="form",
        changes={k: {"before": None, "after": v} for k, v in snapshot(person).items()},
    )
    if invite:
        accounts.invite(person, actor)
    db.session.flush()
    return person


# --- bulk ------------------------------------------------------------------------------------

BULK_ACTIONS = {
    "invite": "Send invitations",
    "remind": "Send reminders",
    "deactivate": "Deactivate (leavers)",
}


@dataclass
class BulkSelection:
    """Who a bulk action would change, and who it would skip and why."""

    action: str
    people: list[User] = field(default_factory=list)
    skipped: list[tuple[User, str]] = field(default_factory=list)


def load_people(ids: Iterable[int]) -> list[User]:
    ids = list(set(ids))[:1000]
    if not ids:
        return []
    return list(db.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.name, User.id)))


def select_for_bulk(actor: User, action: str, people: list[User]) -> BulkSelection:
    selection = BulkSelection(action)
    for person in people:
        reason = _skip_reason(actor, action, person)
        if reason:
            selection.skipped.append((person, reason))
        else:
            selection.people.append(person)
    if action == "deactivate":
        losing = {p.id for p in selection.people if p.permission == Permission.ADMIN}
        admins = active_admin_ids()
        if admins and admins <= losing:
            keep = next(p for p in selection.people if p.id in losing)
            selection.people.remove(keep)
            selection.skipped.append((keep, "the last active administrator"))
    return selection


def _skip_reason(actor: User, action: str, person: User) -> str:
    if action == "deactivate" and person.id == actor.id:
        return "you cannot deactivate yourself"
    if not may_manage(actor, person):
        return "only an administrator can change a lead or administrator"
    if action == "invite":
        if not person.active:
            return "has left"
        if person.has_password:
            return "has an account already"
    elif action == "remind":
        if not person.active:
            return "has left"
    elif action == "deactivate":
        if not person.active:
            return "has left already"
    return ""


def run_bulk_invite(actor: User, people: list[User]) -> int:
    for person in people:
        send_invitation(actor, person)
    db.session.flush()
    return len(people)


def run_bulk_deactivate(actor: User, people: list[User]) -> int:
    count = sum(deactivate(actor, person, source="bulk") for person in people)
    db.session.flush()
    return count
