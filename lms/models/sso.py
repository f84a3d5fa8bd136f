"""Which account at the OpenID Connect provider is which person (lms/auth/oidc.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .people import User
from .types import UTCDateTime, utcnow


class SsoIdentity(db.Model):
    """A person's account at a provider, named by the provider's issuer and subject.

    Made at the person's first sign-in through the provider, matched by email to someone on
    the roster; from then on only issuer and subject are matched, so an address renamed or
    given to someone else at the provider never opens this person's account. One per person
    and issuer.
    """

    __tablename__ = "sso_identity"
    __table_args__ = (
        UniqueConstraint("issuer", "subject", name="uq_sso_identity_issuer_subject"),
        UniqueConstraint("user_id", "issuer", name="uq_sso_identity_user_id_issuer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    # The address the provider gave at the first sign-in, for the audit trail only.
    email_at_link: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
