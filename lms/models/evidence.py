"""Evidence behind requirements: uploaded external certificates, Directors' self-certifications
(append-only, hash-chained), policy acknowledgements and the completion certificates we issue."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import DDL, JSON, ForeignKey, LargeBinary, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from ..extensions import db
from .people import User
from .types import UTCDateTime, utcnow


class EvidenceStatus(enum.StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Evidence(db.Model):
    """An uploaded certificate from an external course, stored in the database itself."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    certificate_ref: Mapped[str] = mapped_column(String(80))  # the plan's certificate type
    filename: Mapped[str] = mapped_column(String(200))  # as the person named it, checked
    mime: Mapped[str] = mapped_column(String(40))  # from the content, never from the name
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    certificate_date: Mapped[date]
    certificate_number: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default=EvidenceStatus.PENDING.value, index=True)
    possibly_shared: Mapped[bool] = mapped_column(default=False)  # someone else uploaded the same file
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reason: Mapped[str | None] = mapped_column(Text)  # why it was rejected

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def is_pending(self) -> bool:
        return self.status == EvidenceStatus.PENDING

    @property
    def extension(self) -> str:
        return {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}.get(self.mime, "bin")


class Declaration(db.Model):
    """A version of the Directors' declaration text; an administrator's edit adds a version."""

    __tablename__ = "declaration"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    created_by: Mapped[User | None] = relationship()


class Attestation(db.Model):
    """A Director's self-certification. Append-only: never updated or deleted (the database
    refuses both), a later one supersedes it, and each carries the hash of the one before."""

    __tablename__ = "attestation"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    ref: Mapped[str] = mapped_column(String(80))  # the plan's attestation ref
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declaration.id"))
    declaration_version: Mapped[int]
    declaration_text: Mapped[str] = mapped_column(Text)  # as the Director read it
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # the snapshot they confirmed
    attested_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(400))
    # The chain: unique, so two attestations can never both follow the same one.
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    user: Mapped[User] = relationship()


# Append-only in the database too, whatever code runs against it.
_NO_CHANGE_SQLITE = (
    "CREATE TRIGGER IF NOT EXISTS attestation_no_{op} BEFORE {OP} ON attestation "
    "BEGIN SELECT RAISE(ABORT, 'attestations are append-only'); END"
)
_NO_CHANGE_PG_FUNCTION = (
    "CREATE OR REPLACE FUNCTION attestation_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'attestations are append-only'; END; $$ LANGUAGE plpgsql"
)
_NO_CHANGE_PG_TRIGGER = (
    "CREATE TRIGGER attestation_append_only BEFORE UPDATE OR DELETE ON attestation "
    "FOR EACH ROW EXECUTE FUNCTION attestation_append_only()"
)
APPEND_ONLY_DDL = {
    "sqlite": [_NO_CHANGE_SQLITE.format(op=op, OP=op.upper()) for op in ("update", "delete")],
    "postgresql": [_NO_CHANGE_PG_FUNCTION, _NO_CHANGE_PG_TRIGGER],
}
for _dialect, _statements in APPEND_ONLY_DDL.items():
    for _sql in _statements:
        event.listen(Attestation.__table__, "after_create", DDL(_sql).execute_if(dialect=_dialect))


@event.listens_for(Session, "before_flush")
def _refuse_attestation_changes(session, flush_context, instances) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, Attestation) and (obj in session.deleted or session.is_modified(obj)):
            raise ValueError("attestations are append-only")


class PolicyAcknowledgement(db.Model):
    """A person confirmed they read and understood one version of a policy."""

    __tablename__ = "policy_acknowledgement"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    policy_ref: Mapped[str] = mapped_column(String(80))
    policy_version: Mapped[str] = mapped_column(String(40))
    course_version_id: Mapped[int | None] = mapped_column(ForeignKey("course_version.id"))
    statement: Mapped[str] = mapped_column(Text)  # the words they confirmed
    acknowledged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_on: Mapped[date]
    address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(400))

    user: Mapped[User] = relationship()


class IssuedCertificate(db.Model):
    """A completion certificate we issued, found by its verification code at /verify/<code>."""

    __tablename__ = "issued_certificate"
    __table_args__ = (UniqueConstraint("user_id", "scope", "ref", "completed_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    scope: Mapped[str] = mapped_column(String(16))  # plan | course
    ref: Mapped[str] = mapped_column(String(80))  # course slug; "" for the whole plan
    title: Mapped[str] = mapped_column(String(200))
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{title, completed_on, valid_until}]
    completed_on: Mapped[date]
    valid_until: Mapped[date | None]
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()
