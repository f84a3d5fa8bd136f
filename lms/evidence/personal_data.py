"""What the evidence area holds about a person, for the subject access export and the purge
of old leavers (see lms/people/personal_data.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from ..extensions import db
from ..models import User
from ..models.evidence import Attestation, Evidence, IssuedCertificate, PolicyAcknowledgement
from ..people.personal_data import PersonalDataSource, _row, register


def _evidence(person: User) -> list[dict[str, Any]]:
    rows = db.session.scalars(select(Evidence).where(Evidence.user_id == person.id).order_by(Evidence.id))
    columns = ("id", "certificate_ref", "filename", "mime", "size", "sha256", "certificate_date",
               "certificate_number", "status", "uploaded_at", "decided_at", "reason")
    return [{**_row(e, columns), "file": f"evidence/{e.id}.{e.extension}"} for e in rows]


def _evidence_files(person: User):
    for e in db.session.scalars(select(Evidence).where(Evidence.user_id == person.id).order_by(Evidence.id)):
        yield f"{e.id}.{e.extension}", e.data


def _purge_evidence(person: User) -> None:
    # The certificate files show the person's name; the decision and dates stay for reports.
    db.session.execute(
        update(Evidence).where(Evidence.user_id == person.id)
        .values(data=b"", size=0, filename="removed", certificate_number=None)
    )


def _attestations(person: User) -> list[dict[str, Any]]:
    rows = db.session.scalars(select(Attestation).where(Attestation.user_id == person.id).order_by(Attestation.id))
    return [_row(a, ("id", "ref", "declaration_version", "declaration_text", "items", "attested_on",
                     "created_at", "address", "user_agent", "prev_hash", "hash")) for a in rows]


def _acknowledgements(person: User) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(PolicyAcknowledgement).where(PolicyAcknowledgement.user_id == person.id).order_by(PolicyAcknowledgement.id)
    )
    return [_row(a, ("policy_ref", "policy_version", "statement", "acknowledged_at", "acknowledged_on",
                     "address", "user_agent")) for a in rows]


def _purge_acknowledgements(person: User) -> None:
    db.session.execute(
        update(PolicyAcknowledgement).where(PolicyAcknowledgement.user_id == person.id).values(address=None, user_agent=None)
    )


def _certificates(person: User) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(IssuedCertificate).where(IssuedCertificate.user_id == person.id).order_by(IssuedCertificate.id)
    )
    return [_row(c, ("code", "scope", "ref", "title", "items", "completed_on", "valid_until", "issued_at")) for c in rows]


register(PersonalDataSource("evidence", "Uploaded certificates (the files are in the evidence folder)",
                            export=_evidence, files=_evidence_files, purge=_purge_evidence))
# Self-certifications are append-only evidence for an inspector: exported, never rewritten.
register(PersonalDataSource("attestations", "Directors' self-certifications", export=_attestations))
register(PersonalDataSource("policy_acknowledgements", "Policy acknowledgements",
                            export=_acknowledgements, purge=_purge_acknowledgements))
register(PersonalDataSource("completion_certificates", "Completion certificates issued", export=_certificates))
