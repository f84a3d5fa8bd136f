"""The audit log: one append-only row per change that matters to an inspector."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import Session

from .extensions import db
from .models import AuditEvent


def record(action: str, target: Any = None, actor: Any = None, **details: Any) -> AuditEvent:
    """Add an audit row to the current transaction (the caller commits with the change)."""
    event = AuditEvent(**entry(action, target, actor, **details))
    db.session.add(event)
    return event


def entry(action: str, target: Any = None, actor: Any = None, **details: Any) -> dict[str, Any]:
    """An audit row's values, for `record` or for a bulk insert of many (the roster import)."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    return {
        "action": action,
        "actor_id": getattr(actor, "id", None),
        "address": request.remote_addr if has_request_context() else "cli",
        "target_type": type(target).__name__.lower() if target is not None else None,
        "target_id": str(target.id) if target is not None and getattr(target, "id", None) else None,
        "details": details,
    }


@event.listens_for(Session, "before_flush")
def _append_only(session: Session, flush_context, instances) -> None:
    """Audit rows are never changed or deleted through the application."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditLogIsAppendOnly(f"audit event {obj.id} cannot be changed or deleted")


class AuditLogIsAppendOnly(RuntimeError):
    pass
