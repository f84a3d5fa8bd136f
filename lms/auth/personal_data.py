"""A person's accounts at the sign-in provider and their second factor, for the subject
access export and erasure. The export says when each was linked or set up; the secret, the
recovery codes and the provider's subject stay out of it, since they are credentials or
identify the person only to the provider."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select

from ..extensions import db
from ..models import RecoveryCode, SecondFactor, SsoIdentity, User
from ..people.personal_data import PersonalDataSource, _row, register


def _identities(person: User) -> list[dict[str, Any]]:
    rows = db.session.scalars(select(SsoIdentity).where(SsoIdentity.user_id == person.id).order_by(SsoIdentity.id))
    return [_row(i, ("issuer", "email_at_link", "created_at", "last_used_at")) for i in rows]


def _purge_identities(person: User) -> None:
    db.session.execute(delete(SsoIdentity).where(SsoIdentity.user_id == person.id))


def _second_factor(person: User) -> dict[str, Any] | None:
    factor = db.session.scalar(select(SecondFactor).where(SecondFactor.user_id == person.id))
    if factor is None:
        return None
    left = db.session.scalar(
        select(func.count()).where(RecoveryCode.second_factor_id == factor.id, RecoveryCode.used_at.is_(None))
    )
    return {**_row(factor, ("created_at", "confirmed_at")), "recovery_codes_left": left}


def _purge_second_factor(person: User) -> None:
    factor_ids = select(SecondFactor.id).where(SecondFactor.user_id == person.id).scalar_subquery()
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.second_factor_id.in_(factor_ids)))
    db.session.execute(delete(SecondFactor).where(SecondFactor.user_id == person.id))


register(PersonalDataSource(
    "sign_in_provider", "Accounts at the single sign-on provider linked to this person (when linked and last used)",
    export=_identities, purge=_purge_identities,
))
register(PersonalDataSource(
    "second_factor", "The authenticator app set up as a second factor (when, not the secret or the codes)",
    export=_second_factor, purge=_purge_second_factor,
))
