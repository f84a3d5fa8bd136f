"""Directors' self-certification: the declaration an administrator words (each edit a new
version), and attestations kept append-only in one hash chain that anyone can re-check.

A declaration names only training the completion ledger shows as done, with its date: a
Director cannot make a course count by ticking it. Training done elsewhere is named once its
certificate has been uploaded and a lead has verified it, which records it in the ledger.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..dates import local_today
from ..extensions import db
from ..models import Attestation, Completion, Declaration, Evidence, EvidenceStatus, User, utcnow
from ..plan import standing
from ..plan.compliance import Item
from ..plan.loader import current_plan
from ..plan.status import Status
from ..plan.transcript import transcript
from .operations import EvidenceError, client_details

GENESIS = "0" * 64

DEFAULT_DECLARATION = (
    "As a Director of {org}, I confirm that I have completed the Prevent Duty training named "
    "below on the dates shown, that I understand the duty the law places on the organisation "
    "to have due regard to the need to prevent people from being drawn into terrorism, and my "
    "part as a Director in meeting it, and that I will make sure the organisation's Prevent "
    "policy and procedures are in place and acted on."
)


def current_declaration(org_name: str) -> Declaration:
    """The newest declaration; the first use stores the default wording as version 1."""
    found = db.session.scalar(select(Declaration).order_by(Declaration.version.desc()).limit(1))
    if found is not None:
        return found
    first = Declaration(version=1, text=DEFAULT_DECLARATION.format(org=org_name))
    try:
        with db.session.begin_nested():
            db.session.add(first)
    except IntegrityError:  # another request stored it a moment ago
        return db.session.scalar(select(Declaration).order_by(Declaration.version.desc()).limit(1))
    db.session.flush()
    return first


def set_declaration(text: str, actor: User, org_name: str) -> Declaration | None:
    """Store new wording as the next version; None when nothing changed."""
    text = text.strip()
    current = current_declaration(org_name)
    if text == current.text:
        return None
    declaration = Declaration(version=current.version + 1, text=text, created_by_id=actor.id)
    db.session.add(declaration)
    db.session.flush()
    audit.record("declaration.updated", declaration, actor=actor, version=declaration.version)
    db.session.flush()
    return declaration


# -- what a Director certifies -----------------------------------------------------------


@dataclass
class CertifiableItem:
    item: Item
    evidence: Evidence | None  # the verified upload behind a certificate item

    @property
    def key(self) -> str:
        return f"{self.item.kind}:{self.item.ref}"

    @property
    def recorded(self) -> bool:
        """The ledger shows it done, so the declaration may name it."""
        return self.item.result.completed_on is not None

    @property
    def why_not(self) -> str:
        """Why it cannot be named yet, and how it can be; "" when it can."""
        if self.recorded:
            return ""
        if self.item.kind == "certificate":
            if self.item.status is Status.PENDING:
                return (
                    "Your certificate is waiting to be checked. You can name this training once the "
                    "Safeguarding Lead has verified it."
                )
            return (
                "The LMS has no record of this. If you did it elsewhere, upload its certificate: you "
                "can name it once the Safeguarding Lead has verified it."
            )
        return "The LMS has no record of this yet. You can name it once you have completed it here."


def attestation_refs(user: User) -> list[str]:
    plan = current_plan()
    return [t.ref for t in plan.terms_for(frozenset(user.categories)) if t.kind == "attestation"]


def certifiable_items(user: User, today: date) -> list[CertifiableItem]:
    """The person's requirements other than self-certification, with their status and evidence."""
    record = transcript(current_plan(), user, today)
    verified = {
        e.certificate_ref: e
        for e in db.session.scalars(
            select(Evidence)
            .where(Evidence.user_id == user.id, Evidence.status == EvidenceStatus.VERIFIED)
            .order_by(Evidence.certificate_date)
        )
    }
    return [
        CertifiableItem(i, verified.get(i.ref) if i.kind == "certificate" else None)
        for i in record.items
        if i.kind != "attestation"
    ]


def _snapshot(entry: CertifiableItem, confirmed: bool) -> dict[str, Any]:
    r = entry.item.result
    return {
        "kind": entry.item.kind,
        "ref": entry.item.ref,
        "title": entry.item.title,
        "status": entry.item.status.value,
        "completed_on": r.completed_on.isoformat() if r.completed_on else None,
        "valid_until": r.valid_until.isoformat() if r.valid_until else None,
        "evidence_id": entry.evidence.id if entry.evidence else None,
        "confirmed": confirmed,
    }


# -- the chain ----------------------------------------------------------------------------


def chain_hash(fields: dict[str, Any], prev_hash: str) -> str:
    """SHA-256 over the attestation's content and the previous hash, in a canonical form."""
    payload = json.dumps({"prev": prev_hash, **fields}, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def hashed_fields(a: Attestation) -> dict[str, Any]:
    return {
        "user_id": a.user_id,
        "ref": a.ref,
        "declaration_version": a.declaration_version,
        "declaration_text": a.declaration_text,
        "items": a.items,
        "attested_on": a.attested_on.isoformat(),
        "created_at": a.created_at.isoformat(timespec="microseconds"),
        "address": a.address,
        "user_agent": a.user_agent,
    }


def attest(user: User, ref: str, confirmed: set[str], org_name: str, declaration_version: int) -> Attestation:
    """Record a self-certification at the end of the chain and complete the requirement."""
    if ref not in attestation_refs(user):
        raise EvidenceError("Your training plan does not ask you for this self-certification")
    declaration = current_declaration(org_name)
    if declaration.version != declaration_version:
        raise EvidenceError("The declaration was reworded while you were reading it. Read it again, then confirm")
    today = local_today()
    items = certifiable_items(user, today)
    if not confirmed:
        raise EvidenceError("Select the training you confirm you have completed")
    unrecorded = [e.item.title for e in items if e.key in confirmed and not e.recorded]
    if unrecorded or not confirmed <= {e.key for e in items}:
        raise EvidenceError(
            "You can only name training the LMS has a record of"
            + (f"; it has none of {', '.join(unrecorded)}" if unrecorded else "")
        )
    address, agent = client_details()
    for _ in range(5):  # another attestation may take the end of the chain first: retry
        prev = db.session.scalar(select(Attestation.hash).order_by(Attestation.id.desc()).limit(1)) or GENESIS
        attestation = Attestation(
            user_id=user.id,
            ref=ref,
            declaration_id=declaration.id,
            declaration_version=declaration.version,
            declaration_text=declaration.text,
            items=[_snapshot(e, e.key in confirmed) for e in items],
            attested_on=today,
            created_at=utcnow(),
            address=address,
            user_agent=agent,
            prev_hash=prev,
        )
        attestation.hash = chain_hash(hashed_fields(attestation), prev)
        try:
            with db.session.begin_nested():
                db.session.add(attestation)
        except IntegrityError:
            continue
        break
    else:
        raise EvidenceError("The LMS is busy; please submit again")
    db.session.add(
        Completion(
            user_id=user.id,
            kind="attestation",
            ref=ref,
            completed_on=today,
            source="lms",
            content_version=f"declaration-{declaration.version}",
            attestation_id=attestation.id,
        )
    )
    audit.record("attestation.made", attestation, actor=user, ref=ref, hash=attestation.hash)
    standing.refresh([user.id])
    db.session.flush()
    return attestation


def verify_chain(attestations: list[Attestation]) -> list[str]:
    """Every break in the chain (attestations in id order); [] when it is intact."""
    problems = []
    prev = GENESIS
    for a in attestations:
        if a.prev_hash != prev:
            problems.append(f"attestation {a.id}: does not follow the one before it (a record is missing or changed)")
        if chain_hash(hashed_fields(a), a.prev_hash) != a.hash:
            problems.append(f"attestation {a.id}: its content does not match its hash (it was changed)")
        prev = a.hash
    return problems


def verify_all() -> tuple[int, list[str]]:
    rows = list(db.session.scalars(select(Attestation).order_by(Attestation.id)))
    return len(rows), verify_chain(rows)


def history(user_id: int | None = None):
    """Attestations newest first (one person's, or everyone's), for a paginated list."""
    q = select(Attestation).order_by(Attestation.id.desc())
    if user_id is not None:
        q = q.where(Attestation.user_id == user_id)
    return q


def latest_ids() -> set[int]:
    """The newest attestation of each person and ref: the others are superseded."""
    q = select(func.max(Attestation.id)).group_by(Attestation.user_id, Attestation.ref)
    return set(db.session.scalars(q))
