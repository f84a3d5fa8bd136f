"""Organisation settings, the mail outbox and the audit log."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .people import User
from .types import UTCDateTime, utcnow


class OrgSetting(db.Model):
    """A value an administrator edits in the app (contacts for "Raise a concern"...)."""

    __tablename__ = "org_setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))


class MailState(enum.StrEnum):
    """Where an outbox message is on its way out; `lms deliver-mail` (lms/mail.py) moves it on.

    queued -> sending -> sent, or back to retry (refused for now: tried again later) until it
    is failed (refused for good, or too often). A message whose connection was lost after the
    server may have accepted it is unknown: only an administrator sends it again. With no SMTP
    server set, a message is outbox_only: administrators read it in the Outbox.
    """

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    UNKNOWN = "unknown"
    OUTBOX_ONLY = "outbox_only"

    @property
    def label(self) -> str:
        return {
            MailState.QUEUED: "Queued",
            MailState.SENDING: "Sending",
            MailState.SENT: "Sent",
            MailState.RETRY: "Waiting to retry",
            MailState.FAILED: "Failed",
            MailState.UNKNOWN: "Not known if sent",
            MailState.OUTBOX_ONLY: "Not emailed",
        }[self]

    @property
    def colour(self) -> str:
        """The GOV.UK tag colour: green done, red needs an administrator, yellow on its way."""
        return {
            MailState.QUEUED: "blue",
            MailState.SENDING: "blue",
            MailState.SENT: "green",
            MailState.RETRY: "yellow",
            MailState.FAILED: "red",
            MailState.UNKNOWN: "orange",
            MailState.OUTBOX_ONLY: "grey",
        }[self]


class OutboxMessage(db.Model):
    """Every email the LMS sends, queued in the transaction of the change that sends it."""

    __tablename__ = "outbox_message"
    # The delivery worker's question: which messages are due now?
    __table_args__ = (Index("ix_outbox_message_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # A row written without a state is never emailed: during a rolling upgrade, app servers of
    # the version before write such rows, and send them themselves.
    state: Mapped[str] = mapped_column(String(16), server_default=MailState.OUTBOX_ONLY.value)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when a worker took it to send
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)  # the last attempt's problem

    @property
    def mail_state(self) -> MailState:
        return MailState(self.state)


class AuditEvent(db.Model):
    """Append-only record of who changed what, when and from where."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    address: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship()
