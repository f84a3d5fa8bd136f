"""A person's second factor: a time-based one-time code secret and its recovery codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .people import User
from .types import UTCDateTime, utcnow


class SecondFactor(db.Model):
    """One person's authenticator app (RFC 6238 codes), from enrolment until an
    administrator resets it.

    `confirmed_at` is empty while the person is enrolling (the secret is shown, no code has
    matched yet). `last_step` is the time step of the last code accepted: a code is taken only
    for a later step, so one seen over a shoulder cannot be used again.
    """

    __tablename__ = "second_factor"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), unique=True)
    # The shared secret the authenticator app holds (base32). Codes are checked against it,
    # so it is stored as it is: like the database itself, backups must be kept private.
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_step: Mapped[int | None]

    user: Mapped[User] = relationship()
    recovery_codes: Mapped[list[RecoveryCode]] = relationship(
        back_populates="second_factor", cascade="all, delete-orphan", passive_deletes=True
    )


class RecoveryCode(db.Model):
    """A single-use code that stands in for the app (a lost phone); stored only hashed."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    second_factor_id: Mapped[int] = mapped_column(
        ForeignKey("second_factor.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    second_factor: Mapped[SecondFactor] = relationship(back_populates="recovery_codes")
