"""People: accounts, their staff categories and their one-time tokens."""

from __future__ import annotations

import enum
import secrets
from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import FetchedValue, ForeignKey, Index, String, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow

# The ten categories of the ECPT Prevent Policy ("who does this policy apply to").
CATEGORIES: tuple[str, ...] = (
    "director",
    "staff",
    "trainee",
    "trainer",
    "volunteer",
    "contractor",
    "agency",
    "visitor",
    "consultant",
    "self-employed",
)

CATEGORY_LABELS = {
    "director": "Director",
    "staff": "Staff",
    "trainee": "Trainee",
    "trainer": "Trainer",
    "volunteer": "Volunteer",
    "contractor": "Contractor",
    "agency": "Agency staff",
    "visitor": "Visitor",
    "consultant": "Consultant",
    "self-employed": "Self-employed",
}


class Permission(enum.IntEnum):
    """What a person may do; each level includes the ones below it."""

    LEARNER = 1
    DIRECTOR = 2
    LEAD = 3
    ADMIN = 4

    @property
    def label(self) -> str:
        return {1: "Learner", 2: "Director", 3: "Safeguarding lead", 4: "Administrator"}[self.value]

    @classmethod
    def parse(cls, name: str) -> Permission:
        try:
            return cls[name.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown permission {name!r}") from None


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, db.Model):
    """A person: staff member, trainee, contractor, Director... Never deleted, only deactivated."""

    __tablename__ = "user"
    # Only the rows with a manager: most people have none, and an index counting them all as
    # one value leads planners to scan the table to count someone's reports.
    __table_args__ = (
        Index("ix_user_manager_id", "manager_id", postgresql_where=text("manager_id IS NOT NULL"),
              sqlite_where=text("manager_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # always stored lower-case
    name: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[date]
    active: Mapped[bool] = mapped_column(default=True)
    permission: Mapped[int] = mapped_column(default=Permission.LEARNER.value)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # Copied into each of the person's sessions at sign-in (UserSession.user_token): replaced
    # at each password change or deactivation, which ends every session of this person.
    session_token: Mapped[str] = mapped_column(
        String(64), unique=True, default=new_session_token
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when a leaver's personal details were erased after the retention period.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Moved on by the database whenever a row of this person's that their pages show changes
    # (lms/models/versioning.py); part of their pages' ETags (lms/revalidation.py). The ORM
    # reads it back rather than keep its own copy, since the database moves it.
    data_version: Mapped[int] = mapped_column(
        default=0, server_default="0", server_onupdate=FetchedValue()
    )

    # Their line manager, another person (lms/people/managers.py checks there is no loop).
    # Kept when the manager leaves: escalation then goes to the Lead instead.
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    manager: Mapped[User | None] = relationship(remote_side=[id], foreign_keys=[manager_id])

    category_rows: Mapped[list[UserCategory]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        order_by="UserCategory.category",
        lazy="selectin",
    )

    @property
    def is_active(self) -> bool:  # inactive people cannot sign in
        return self.active

    @property
    def perm(self) -> Permission:
        return Permission(self.permission)

    def can(self, needed: Permission) -> bool:
        return self.active and self.permission >= needed

    @property
    def categories(self) -> list[str]:
        return [row.category for row in self.category_rows]

    @property
    def category_labels(self) -> str:
        return ", ".join(CATEGORY_LABELS[c] for c in self.categories)

    @property
    def is_anonymised(self) -> bool:
        return self.anonymised_at is not None

    @property
    def has_password(self) -> bool:
        return self.password_hash is not None

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class UserSession(db.Model):
    """One sign-in, named by the session cookie; signing out ends it.

    The cookie holds a random key whose SHA-256 is stored here, so a copy of the cookie taken
    before sign-out opens nothing afterwards. `user_token` is the person's `session_token` at
    sign-in: a password change or deactivation replaces that, which ends all their sessions.
    """

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(200))
    # Whether this sign-in needs a second factor (a password sign-in of someone who must use
    # one: lms/auth/second_factor), and when it was given. Until then the session opens only
    # the second-factor pages and signing out.
    second_factor_required: Mapped[bool] = mapped_column(default=False, server_default=false())
    second_factor_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class UserCategory(db.Model):
    """A category a person holds, and the day it was added (requirements apply from then)."""

    __tablename__ = "user_category"
    __table_args__ = (UniqueConstraint("user_id", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    category: Mapped[str] = mapped_column(String(32))
    added_on: Mapped[date]

    user: Mapped[User] = relationship(back_populates="category_rows")


class TokenPurpose(enum.StrEnum):
    SETUP = "setup"
    INVITE = "invite"
    RESET = "reset"


class Token(db.Model):
    """A one-time link's token, stored as a SHA-256 hash; used once, then void."""

    __tablename__ = "token"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship()
