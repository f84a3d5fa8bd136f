"""State changes for evidence: uploading a certificate, the lead's decision, withdrawal, and
acknowledging a policy. Each function writes its audit row in the caller's transaction and
flushes; a refusal raises EvidenceError, and the route then discards what was begun."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import IO
from zoneinfo import ZoneInfo

from flask import current_app, has_request_context, render_template, request
from sqlalchemy import func, select, update

from .. import audit
from ..dates import day_start_utc, local_today
from ..extensions import db
from ..formatting import long_date
from ..mail import send_email
from ..models import (
    Completion,
    Course,
    CourseVersion,
    Evidence,
    EvidenceStatus,
    Permission,
    PolicyAcknowledgement,
    User,
    utcnow,
)
from ..plan import standing
from ..plan.loader import current_plan
from ..transaction import Conflict
from .files import check_content, check_filename, read_limited


class EvidenceError(Conflict):
    """A request we refuse, with the message shown to the person."""


def max_upload_bytes() -> int:
    return current_app.config["MAX_UPLOAD_MB"] * 1024 * 1024


def client_details() -> tuple[str | None, str | None]:
    """The address and browser of the current request (None outside one)."""
    if not has_request_context():
        return None, None
    return request.remote_addr, (request.user_agent.string or "")[:400]


# -- certificates ------------------------------------------------------------------------


def upload_certificate(
    user: User,
    ref: str,
    stream: IO[bytes],
    filename: str | None,
    certificate_date: date,
    certificate_number: str | None,
) -> Evidence:
    """Check and store an uploaded certificate as pending evidence; raises BadFile or
    EvidenceError (nothing stored) when it is refused."""
    if ref not in current_plan().certificate_types:
        raise EvidenceError("That certificate type is not in the training plan")
    name = check_filename(filename)
    data = read_limited(stream, max_upload_bytes())
    mime = check_content(data)
    digest = hashlib.sha256(data).hexdigest()

    earlier = db.session.scalars(
        select(Evidence).where(Evidence.sha256 == digest, Evidence.status != EvidenceStatus.WITHDRAWN)
    ).all()
    mine = [e for e in earlier if e.user_id == user.id]
    if mine:
        first = mine[0]
        raise EvidenceError(
            f"You uploaded this file already, on {long_date(first.uploaded_at, ZoneInfo(current_app.config['TIMEZONE']))} "
            f"({_status_words(first.status)}). Upload a different file"
        )
    others = [e for e in earlier if e.user_id != user.id]
    evidence = Evidence(
        user_id=user.id,
        certificate_ref=ref,
        filename=name,
        mime=mime,
        size=len(data),
        sha256=digest,
        data=data,
        certificate_date=certificate_date,
        certificate_number=(certificate_number or "").strip() or None,
        possibly_shared=bool(others),
    )
    # The person's row is locked first (PostgreSQL; SQLite has one writer at a time anyway), so
    # their uploads are written and counted one after another.
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update(key_share=True))
    db.session.add(evidence)
    db.session.flush()
    check_allowance(user)
    audit.record("evidence.uploaded", evidence, actor=user, ref=ref, sha256=digest, size=len(data), mime=mime)
    if others:
        for other in others:
            other.possibly_shared = True
        audit.record(
            "evidence.possibly_shared", evidence, actor=user, sha256=digest, other_evidence=[e.id for e in others]
        )
    standing.refresh([user.id])
    db.session.flush()
    return evidence


def check_allowance(user: User) -> None:
    """Refuse the upload just written when it takes the person past the hourly count or their
    stored total (withdrawn and rejected files count until deleted), counted in the database
    so that every app server counts the same uploads.

    Counted after the new row is written, in the same transaction: a second upload at the same
    moment waits for this one to commit (the write lock on SQLite, the person's row lock on
    PostgreSQL), so two cannot both slip under a limit.
    """
    cfg = current_app.config
    hour_ago = utcnow() - timedelta(hours=1)
    count, first = db.session.execute(
        select(func.count(), func.min(Evidence.uploaded_at)).where(
            Evidence.user_id == user.id, Evidence.uploaded_at > hour_ago
        )
    ).one()
    if count > cfg["UPLOADS_PER_HOUR"]:
        again = (first + timedelta(hours=1)).astimezone(ZoneInfo(cfg["TIMEZONE"]))
        at = f"{again.hour % 12 or 12}:{again:%M}{'am' if again.hour < 12 else 'pm'}"
        raise EvidenceError(
            f"You can upload {cfg['UPLOADS_PER_HOUR']} files an hour, and you have reached that. Try again after {at}"
        )
    stored = db.session.scalar(select(func.coalesce(func.sum(Evidence.size), 0)).where(Evidence.user_id == user.id))
    quota = cfg["UPLOAD_QUOTA_MB"] * 1024 * 1024
    if stored > quota:
        raise EvidenceError(
            f"You can keep {cfg['UPLOAD_QUOTA_MB']} MB of uploaded files, and this file would take you past "
            "that (withdrawn and rejected files count too). Upload a smaller copy, such as a screenshot of "
            "the certificate, or ask the Safeguarding Lead for help"
        )


def _status_words(status: str) -> str:
    return {
        EvidenceStatus.PENDING: "it is waiting to be checked",
        EvidenceStatus.VERIFIED: "it was verified",
        EvidenceStatus.REJECTED: "it was rejected",
    }.get(status, status)


def pending_certificates(today: date, user_ids: list[int] | None = None) -> Iterable[tuple[int, str, str]]:
    """PENDING_SOURCES entry: (person, "certificate", type) for each upload awaiting a lead.

    For an earlier day (a report of it, the compliance history), the uploads that were
    awaiting a lead then: uploaded by that day's end and not decided or withdrawn by it."""
    if today < local_today():
        end = day_start_utc(today + timedelta(days=1))
        waiting = (Evidence.uploaded_at < end) & (
            (Evidence.status == EvidenceStatus.PENDING) | (Evidence.decided_at >= end)
        )
    else:
        waiting = Evidence.status == EvidenceStatus.PENDING
    q = select(Evidence.user_id, Evidence.certificate_ref).where(waiting)
    if user_ids is not None:
        q = q.where(Evidence.user_id.in_(user_ids))
    return [(user_id, "certificate", ref) for user_id, ref in db.session.execute(q)]


def pending_queue() -> list[Evidence]:
    """Evidence awaiting a decision, oldest first."""
    return list(
        db.session.scalars(
            select(Evidence)
            .where(Evidence.status == EvidenceStatus.PENDING)
            .order_by(Evidence.uploaded_at, Evidence.id)
        )
    )


def same_file_elsewhere(evidence: Evidence) -> list[Evidence]:
    """Uploads of the same file by other people."""
    return list(
        db.session.scalars(
            select(Evidence)
            .where(Evidence.sha256 == evidence.sha256, Evidence.user_id != evidence.user_id)
            .order_by(Evidence.uploaded_at)
        )
    )


def my_evidence(user: User) -> list[Evidence]:
    return list(
        db.session.scalars(
            select(Evidence).where(Evidence.user_id == user.id).order_by(Evidence.uploaded_at.desc(), Evidence.id.desc())
        )
    )


def latest_rejections(user: User) -> dict[str, Evidence]:
    """Each certificate type whose latest upload (withdrawn ones aside) was not accepted, with
    that upload: My training says why, beside the item, until a new upload replaces it."""
    latest: dict[str, Evidence] = {}
    for evidence in my_evidence(user):
        if evidence.status != EvidenceStatus.WITHDRAWN:
            latest.setdefault(evidence.certificate_ref, evidence)
    return {ref: e for ref, e in latest.items() if e.status == EvidenceStatus.REJECTED}


def may_open(user: User, evidence: Evidence) -> bool:
    """The file is for its owner, leads and administrators only."""
    return evidence.user_id == user.id or user.can(Permission.LEAD)


def _decide(evidence: Evidence, lead: User, status: EvidenceStatus, reason: str | None = None) -> None:
    """Move pending evidence to `status`, refusing when someone decided it meanwhile."""
    if evidence.user_id == lead.id:
        raise EvidenceError("You cannot decide on your own evidence; another lead or administrator must")
    result = db.session.execute(
        update(Evidence)
        .where(Evidence.id == evidence.id, Evidence.status == EvidenceStatus.PENDING)
        .values(status=status.value, decided_at=utcnow(), decided_by_id=lead.id, reason=reason)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise EvidenceError("This evidence is no longer waiting for a decision")
    db.session.refresh(evidence)


def verify(evidence: Evidence, lead: User) -> Completion:
    """The certificate is genuine: the requirement is complete from the certificate's date."""
    _decide(evidence, lead, EvidenceStatus.VERIFIED)
    completion = Completion(
        user_id=evidence.user_id,
        kind="certificate",
        ref=evidence.certificate_ref,
        completed_on=evidence.certificate_date,
        source="lms",
        content_version=evidence.sha256,
        evidence_id=evidence.id,
        recorded_by_id=lead.id,
    )
    db.session.add(completion)
    audit.record("evidence.verified", evidence, actor=lead, ref=evidence.certificate_ref, person=evidence.user_id)
    standing.refresh([evidence.user_id])
    db.session.flush()
    return completion


def reject(evidence: Evidence, lead: User, reason: str) -> None:
    """Not accepted: the person is told why by email; their requirement stays as it was."""
    reason = reason.strip()
    _decide(evidence, lead, EvidenceStatus.REJECTED, reason)
    plan = current_plan()
    cert = plan.certificate_types.get(evidence.certificate_ref)
    send_email(
        evidence.user.email,
        "Your certificate was not accepted",
        render_template(
            "evidence/email_rejected.txt",
            person=evidence.user,
            evidence=evidence,
            title=cert.title if cert else evidence.certificate_ref,
            reason=reason,
        ),
    )
    audit.record(
        "evidence.rejected", evidence, actor=lead, ref=evidence.certificate_ref, person=evidence.user_id, reason=reason
    )
    standing.refresh([evidence.user_id])
    db.session.flush()


def withdraw(evidence: Evidence, user: User) -> None:
    """The owner takes back evidence nobody has decided on yet."""
    if evidence.user_id != user.id:
        raise EvidenceError("Only the person who uploaded evidence can withdraw it")
    result = db.session.execute(
        update(Evidence)
        .where(Evidence.id == evidence.id, Evidence.status == EvidenceStatus.PENDING)
        .values(status=EvidenceStatus.WITHDRAWN.value, decided_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise EvidenceError("This evidence has already been checked, so it cannot be withdrawn")
    db.session.refresh(evidence)
    audit.record("evidence.withdrawn", evidence, actor=user, ref=evidence.certificate_ref)
    standing.refresh([evidence.user_id])
    db.session.flush()


# -- policy acknowledgement --------------------------------------------------------------


@dataclass
class PolicyState:
    """What a person has acknowledged of one policy course's current version."""

    version: CourseVersion
    current: PolicyAcknowledgement | None  # latest acknowledgement of the current version
    earlier: PolicyAcknowledgement | None  # latest of an earlier version, when none of this one

    @property
    def changed_since(self) -> bool:
        return self.current is None and self.earlier is not None


def policy_state(user: User, version: CourseVersion) -> PolicyState:
    acks = db.session.scalars(
        select(PolicyAcknowledgement)
        .where(PolicyAcknowledgement.user_id == user.id, PolicyAcknowledgement.policy_ref == version.policy_ref)
        .order_by(PolicyAcknowledgement.acknowledged_at.desc(), PolicyAcknowledgement.id.desc())
    ).all()
    current = next((a for a in acks if a.policy_version == version.policy_version), None)
    earlier = None if current else next(iter(acks), None)
    return PolicyState(version, current, earlier)


def acknowledge_policy(user: User, course: Course, version_seen: str) -> PolicyAcknowledgement:
    """Record that the person read and understood the current version of the policy."""
    version = course.current_version
    if version is None or not version.is_policy:
        raise EvidenceError("This course is not a policy")
    if version_seen != version.policy_version:
        raise EvidenceError(
            f"The policy changed to version {version.policy_version} while you were reading it. "
            "Read the new version, then confirm"
        )
    address, agent = client_details()
    today = local_today()
    ack = PolicyAcknowledgement(
        user_id=user.id,
        policy_ref=version.policy_ref,
        policy_version=version.policy_version,
        course_version_id=version.id,
        statement=version.policy_statement or default_statement(version),
        acknowledged_on=today,
        address=address,
        user_agent=agent,
    )
    db.session.add(ack)
    db.session.flush()
    db.session.add(
        Completion(
            user_id=user.id,
            kind="policy",
            ref=version.policy_ref,
            completed_on=today,
            source="lms",
            content_version=version.policy_version,
            course_version_id=version.id,
            acknowledgement_id=ack.id,
        )
    )
    audit.record("policy.acknowledged", ack, actor=user, ref=version.policy_ref, version=version.policy_version)
    standing.refresh([user.id])
    db.session.flush()
    return ack


def default_statement(version: CourseVersion) -> str:
    return f"I have read and understood {version.title}, version {version.policy_version}."
