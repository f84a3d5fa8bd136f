"""Accounts: passwords, one-time tokens, invitations, sign-in and the first administrator."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import date, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, render_template
from sqlalchemy import bindparam, exists, select, update
from sqlalchemy.orm import lazyload

from .. import audit
from ..dates import local_today
from ..extensions import db
from ..links import external_url
from ..mail import send_email
from ..models import (
    Permission,
    Token,
    TokenPurpose,
    User,
    UserCategory,
    UserSession,
    new_session_token,
    utcnow,
)
from ..plan import standing

MIN_PASSWORD_LENGTH = 12

_hasher = PasswordHasher()
# A real hash to verify against when the email is unknown, so timing reveals nothing.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(user: User | None, password: str) -> bool:
    stored = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    try:
        ok = _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
    if ok and user is not None and user.password_hash and _hasher.check_needs_rehash(stored):
        user.password_hash = _hasher.hash(password)
    return ok and user is not None and user.password_hash is not None


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def authenticate(email: str, password: str) -> User | None:
    """The active person with this email and password, else None (whatever the reason)."""
    user = find_user(email)
    if not check_password(user, password) or user is None or not user.active:
        return None
    return user


def set_password(user: User, password: str) -> None:
    """Set a new password; ends all the person's sessions and voids their pending reset and
    invitation links (an invitation is for setting a first password, once)."""
    user.password_hash = hash_password(password)
    user.session_token = new_session_token()
    db.session.execute(
        update(Token)
        .where(
            Token.user_id == user.id,
            Token.purpose.in_([TokenPurpose.RESET, TokenPurpose.INVITE]),
            Token.used_at.is_(None),
        )
        .values(used_at=utcnow())
    )


# --- sessions --------------------------------------------------------------------------------


def open_session(user: User, address: str | None, user_agent: str | None) -> str:
    """Record a new sign-in; returns the key the session cookie carries (stored only hashed)."""
    key = secrets.token_urlsafe(32)
    user.last_login_at = utcnow()  # by any route: a password, an invitation, a reset
    db.session.add(
        UserSession(
            user=user,
            key_hash=key_digest(key),
            user_token=user.session_token,
            address=(address or "")[:64] or None,
            user_agent=(user_agent or "")[:200] or None,
        )
    )
    db.session.flush()
    return key


# Built once: every request asks it, and building a statement costs more than running it.
_SESSION_QUERY = (
    select(User, UserSession.id, UserSession.second_factor_required, UserSession.second_factor_at)
    .options(lazyload(User.category_rows))  # read when a page needs them, not to check a session
    .join(UserSession, UserSession.user_id == User.id)
    .where(
        UserSession.key_hash == bindparam("key_hash"),
        UserSession.ended_at.is_(None),
        UserSession.user_token == User.session_token,
        User.active.is_(True),
    )
)


def signed_in(key: str):
    """The signed-in person, their session's id and its second-factor state (required, given
    at), for the key a session cookie carries, or None: only while the session is open, the
    person active and their password unchanged."""
    return db.session.execute(_SESSION_QUERY, {"key_hash": key_digest(key)}).first()


def end_session(session_id: int) -> None:
    db.session.execute(
        update(UserSession)
        .where(UserSession.id == session_id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


def admin_exists() -> bool:
    return bool(db.session.scalar(select(exists().where(User.permission == Permission.ADMIN))))


# --- one-time tokens -------------------------------------------------------------------------


def key_digest(raw: str) -> str:
    """How one-time tokens and session keys are stored: never as given."""
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(
    purpose: TokenPurpose, lifetime: timedelta, user: User | None = None, *, user_id: int | None = None
) -> str:
    """A new one-time link's raw token (stored only hashed), for `user` or the person `user_id`."""
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    owner = {"user": user} if user is not None else {"user_id": user_id}
    db.session.add(
        Token(purpose=purpose.value, token_hash=key_digest(raw), created_at=now, expires_at=now + lifetime, **owner)
    )
    return raw


def find_token(raw: str, purpose: TokenPurpose) -> Token | None:
    """The token if it exists, is unused and has not expired."""
    if not raw or len(raw) > 128:
        return None
    token = db.session.scalar(
        select(Token).where(Token.token_hash == key_digest(raw), Token.purpose == purpose.value)
    )
    if token is None or token.used_at is not None or token.expires_at <= utcnow():
        return None
    return token


def consume_token(token: Token) -> bool:
    """Mark the token used; False when another request used it first."""
    result = db.session.execute(
        update(Token)
        .where(Token.id == token.id, Token.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def setup_link() -> str:
    """A fresh one-time link that creates the first administrator (callers check none exists)."""
    hours = current_app.config["SETUP_HOURS"]
    raw = issue_token(TokenPurpose.SETUP, timedelta(hours=hours))
    link = external_url("auth.setup", token=raw)
    db.session.flush()
    return link


# --- people ----------------------------------------------------------------------------------


def set_categories(user: User, categories: Iterable[str], on: date | None = None) -> tuple[list, list]:
    """Make the person's categories exactly these; new ones count from `on` (default: the
    organisation's today)."""
    wanted = set(categories)
    current = {row.category: row for row in user.category_rows}
    added = sorted(wanted - current.keys())
    removed = sorted(current.keys() - wanted)
    for name in removed:
        user.category_rows.remove(current[name])
    for name in added:
        user.category_rows.append(UserCategory(category=name, added_on=on or local_today()))
    return added, removed


def create_person(
    *, name: str, email: str, categories: Iterable[str], start_date: date, permission: Permission
) -> User:
    user = User(
        name=name.strip(),
        email=normalise_email(email),
        start_date=start_date,
        permission=permission.value,
    )
    # Categories held at creation apply from the start date.
    set_categories(user, categories, on=start_date)
    db.session.add(user)
    db.session.flush()
    standing.refresh([user.id])
    return user


def create_first_admin(token: Token, *, name: str, email: str, password: str, categories) -> User | None:
    """Create the first administrator from a setup token; None if the link was used meanwhile."""
    if admin_exists() or not consume_token(token):
        return None
    user = create_person(
        name=name,
        email=email,
        categories=categories,
        start_date=local_today(),
        permission=Permission.ADMIN,
    )
    set_password(user, password)
    audit.record("admin.created_by_setup", user, actor=user, email=user.email)
    db.session.flush()
    return user


def invite(user: User, invited_by: User | None) -> str:
    """Email the person a link to set their password, or, with local passwords off, to the
    page that signs them in through the provider; returns the link."""
    from . import oidc  # oidc's callers import this module

    days = current_app.config["INVITE_DAYS"]
    raw = issue_token(TokenPurpose.INVITE, timedelta(days=days), user)
    link = external_url("auth.accept_invitation", token=raw)
    button = None if oidc.passwords_allowed_for(user.email) else oidc.settings().button_label
    send_email(
        user.email,
        f"Your {current_app.config['ORG_NAME']} training account",
        render_template("email/invitation.txt", user=user, link=link, days=days, invited_by=invited_by, button=button),
    )
    audit.record("person.invited", user, email=user.email)
    return link


def invite_person(invited_by: User, **fields) -> User:
    user = create_person(**fields)
    audit.record(
        "person.created",
        user,
        email=user.email,
        categories=user.categories,
        permission=user.perm.name.lower(),
        start_date=user.start_date.isoformat(),
    )
    invite(user, invited_by)
    db.session.flush()
    return user


def accept_invitation(token: Token, password: str) -> User | None:
    user = token.user
    if user is None or not user.active or user.has_password or not consume_token(token):
        return None
    set_password(user, password)
    audit.record("person.accepted_invitation", user, actor=user)
    db.session.flush()
    return user


def request_password_reset(email: str, send: bool = True) -> None:
    """Queue a reset link if an active person has this email; say nothing either way.

    An address nobody has costs the same reads and writes but the outbox row (a token bound
    to no one, the email drawn but not queued), so the time taken does not tell who has an
    account. `send` is False once the address has had its share of reset emails.
    """
    email = normalise_email(email)
    found = db.session.execute(select(User.id, User.name, User.active).where(User.email == email)).first()
    known = found is not None and found.active and send
    hours = current_app.config["RESET_HOURS"]
    raw = issue_token(TokenPurpose.RESET, timedelta(hours=hours), user_id=found.id if known else None)
    link = external_url("auth.reset_password", token=raw)
    body = render_template("email/reset.txt", name=found.name if known else "", link=link, hours=hours)
    if known:
        send_email(email, "Reset your password", body)
    db.session.flush()


def reset_password(token: Token, password: str) -> User | None:
    user = token.user
    if user is None or not user.active or not consume_token(token):
        return None
    set_password(user, password)
    audit.record("person.reset_password", user, actor=user)
    db.session.flush()
    return user


def change_password(user: User, password: str) -> None:
    set_password(user, password)
    audit.record("person.changed_password", user, actor=user)
    db.session.flush()



