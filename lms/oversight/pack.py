"""The inspection pack: what an inspector (Ofsted, CQC) asks for, in one ZIP.

- `report.pdf`: the compliance report (summaries, the last 12 months, the overdue list);
- `compliance.csv`: one row per person and requirement;
- `certificates/`: every verified certificate file, with `certificates.csv` naming each;
- `policy-acknowledgements.csv`: who acknowledged which version of each policy, and when;
- `self-certifications.csv` and `self-certifications-chain.txt`: the Directors'
  self-certifications and the result of checking their hash chain;
- `manifest.json` and `SHA256SUMS`: every file with its SHA-256 and size, when the pack was
  made, for which organisation and as on which day (`sha256sum -c SHA256SUMS` checks it).

A pack is of a day: today's, or a past month's last day ("November's pack"), with what was
recorded by then. It is written to a spooled temporary file (memory, then disk: certificates
can be large) and sent from there. Each month the daily run emails every Director a link to
the month just ended; the link opens only after signing in, and the pack itself never goes
by email (it holds everyone's records).
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import IO
from zoneinfo import ZoneInfo

import click
from flask import current_app, render_template
from sqlalchemy import exists, or_, select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..csvexport import CsvWriter
from ..dates import day_start_utc, local_today
from ..extensions import db
from ..links import external_url
from ..mail import send_email
from ..models import (
    Attestation,
    Evidence,
    EvidenceStatus,
    OrgSetting,
    Permission,
    PolicyAcknowledgement,
    User,
    UserCategory,
)
from ..plan.loader import current_plan
from ..plan.plan import Plan
from ..transaction import NotFound
from .operations import csv_lines
from .pdf import build_report

SPOOL_BYTES = 16 * 1024 * 1024  # kept in memory up to this, then on disk
EMAILED_KEY = "inspection_pack.emailed.{month}"  # one row per month: its email went out
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_UNSAFE = re.compile(r"[^A-Za-z0-9@._+-]+")
# Already compressed: stored as they are rather than deflated again.
_STORED = {"application/pdf", "image/png", "image/jpeg"}


@dataclass
class Manifest:
    organisation: str
    as_of: date
    generated_at: datetime
    files: list[dict] = field(default_factory=list)  # {path, bytes, sha256}
    chain: dict = field(default_factory=dict)

    def as_json(self) -> str:
        return json.dumps(
            {
                "pack": "Prevent training inspection pack",
                "organisation": self.organisation,
                "statuses_as_on": self.as_of.isoformat(),
                "generated_at": self.generated_at.isoformat(timespec="seconds"),
                "self_certification_chain": self.chain,
                "files": self.files,
            },
            indent=2,
            ensure_ascii=False,
        )

    def sums(self) -> str:
        return "".join(f"{f['sha256']}  {f['path']}\n" for f in self.files)


def month_of(value: str, today: date) -> date:
    """The day a month's pack is of: the month's last day, or today in the current month.
    A month that is malformed or still to come is not found."""
    match = _MONTH.fullmatch(value or "")
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 2000:
        raise NotFound()
    first = date(int(match[1]), int(match[2]), 1)
    if first > today:
        raise NotFound()
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return min(last, today)


def previous_month(today: date) -> str:
    return (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


class _Writer:
    """Entries into the ZIP, each hashed as it is written, for the manifest."""

    def __init__(self, archive: zipfile.ZipFile, manifest: Manifest):
        self.archive = archive
        self.manifest = manifest
        self.stamp = manifest.generated_at.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).timetuple()[:6]

    def add(self, path: str, chunks, compress: bool = True) -> None:
        info = zipfile.ZipInfo(path, date_time=self.stamp)
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        digest, size = hashlib.sha256(), 0
        with self.archive.open(info, "w") as entry:
            for chunk in chunks:
                data = chunk.encode("utf-8") if isinstance(chunk, str) else chunk
                digest.update(data)
                size += len(data)
                entry.write(data)
        self.manifest.files.append({"path": path, "bytes": size, "sha256": digest.hexdigest()})

    def add_unlisted(self, path: str, text: str) -> None:
        """The manifest itself, which cannot list its own hash."""
        info = zipfile.ZipInfo(path, date_time=self.stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        self.archive.writestr(info, text.encode("utf-8"))


def build_pack(plan: Plan, as_of: date, out: IO[bytes]) -> Manifest:
    """Write the pack of `as_of` into `out` and return its manifest."""
    # Here, not at the top: the evidence package's import reaches the daily run's job list,
    # which names this module's job.
    from ..evidence.attestations import verify_all

    cfg = current_app.config
    manifest = Manifest(cfg["ORG_NAME"], as_of, datetime.now(ZoneInfo(cfg["TIMEZONE"])))
    end = day_start_utc(as_of + timedelta(days=1))  # what was recorded by the day's end
    with zipfile.ZipFile(out, "w") as archive:
        writer = _Writer(archive, manifest)
        writer.add("report.pdf", [build_report(plan, as_of, cfg["ORG_NAME"], cfg["TIMEZONE"])], compress=False)
        writer.add("compliance.csv", csv_lines(plan, as_of))
        _certificates(writer, end)
        writer.add("policy-acknowledgements.csv", _acknowledgements(as_of))
        count, problems = verify_all()
        manifest.chain = {"checked": count, "intact": not problems, "problems": problems}
        writer.add("self-certifications.csv", _self_certifications(as_of))
        writer.add("self-certifications-chain.txt", [_chain_text(count, problems, manifest.generated_at)])
        writer.add_unlisted("manifest.json", manifest.as_json())
        writer.add_unlisted("SHA256SUMS", manifest.sums())
    return manifest


def spooled_pack(plan: Plan, as_of: date) -> tuple[IO[bytes], Manifest]:
    """The pack in a temporary file, read from the start; closing it removes it."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 -- the response closes it
    manifest = build_pack(plan, as_of, spool)
    spool.seek(0)
    return spool, manifest


def _safe(name: str) -> str:
    return _UNSAFE.sub("_", name).strip("._") or "file"


def _certificates(writer: _Writer, end: datetime) -> None:
    """Each certificate verified by the pack's day, and the index of them. One query, its
    files read a few at a time."""
    index = CsvWriter()
    index.row(["file", "email", "name", "certificate", "certificate_date", "certificate_number",
               "verified_at", "sha256_at_upload"])
    q = (
        select(
            Evidence.id, User.email, User.name, Evidence.certificate_ref, Evidence.certificate_date,
            Evidence.certificate_number, Evidence.decided_at, Evidence.filename, Evidence.mime,
            Evidence.sha256, Evidence.data,
        )
        .join(User, User.id == Evidence.user_id)
        .where(Evidence.status == EvidenceStatus.VERIFIED, Evidence.decided_at < end)
        .order_by(User.email, Evidence.id)
        .execution_options(yield_per=16)
    )
    for row in db.session.execute(q):
        path = f"certificates/{_safe(row.email)}/{row.id}-{_safe(row.filename)}"
        writer.add(path, [row.data], compress=row.mime not in _STORED)
        index.row([path, row.email, row.name, row.certificate_ref, row.certificate_date.isoformat(),
                   row.certificate_number or "", row.decided_at.isoformat(timespec="seconds"), row.sha256])
    writer.add("certificates.csv", [index.take()])


def _acknowledgements(as_of: date):
    """Policy acknowledgements by policy and version, then by day and person."""
    writer = CsvWriter()
    writer.row(["policy", "version", "email", "name", "acknowledged_on", "acknowledged_at", "statement"])
    q = (
        select(
            PolicyAcknowledgement.policy_ref, PolicyAcknowledgement.policy_version, User.email, User.name,
            PolicyAcknowledgement.acknowledged_on, PolicyAcknowledgement.acknowledged_at,
            PolicyAcknowledgement.statement,
        )
        .join(User, User.id == PolicyAcknowledgement.user_id)
        .where(PolicyAcknowledgement.acknowledged_on <= as_of)
        .order_by(
            PolicyAcknowledgement.policy_ref, PolicyAcknowledgement.policy_version,
            PolicyAcknowledgement.acknowledged_on, User.email,
        )
        .execution_options(yield_per=2000)
    )
    for part in db.session.execute(q).partitions():
        writer.rows(
            (ref, version, email, name, on.isoformat(), at.isoformat(timespec="seconds"), statement)
            for ref, version, email, name, on, at, statement in part
        )
        yield writer.take()
    yield writer.take()


def _self_certifications(as_of: date):
    """Every self-certification made by the pack's day, oldest first, with the hashes that
    chain them and whether a later one of the same person superseded it."""
    writer = CsvWriter()
    writer.row(["id", "email", "name", "requirement", "attested_on", "created_at", "declaration_version",
                "confirmed", "superseded", "prev_hash", "hash"])
    rows = db.session.execute(
        select(Attestation, User.email, User.name)
        .join(User, User.id == Attestation.user_id)
        .where(Attestation.attested_on <= as_of)
        .order_by(Attestation.id)
    ).all()
    latest: dict[tuple[int, str], int] = {}
    for a, _, _ in rows:
        latest[(a.user_id, a.ref)] = a.id
    for a, email, name in rows:
        confirmed = "; ".join(i.get("title", "") for i in a.items if i.get("confirmed"))
        writer.row([a.id, email, name, a.ref, a.attested_on.isoformat(), a.created_at.isoformat(timespec="seconds"),
                    a.declaration_version, confirmed, "no" if latest[(a.user_id, a.ref)] == a.id else "yes",
                    a.prev_hash, a.hash])
    yield writer.take()


def _chain_text(count: int, problems: list[str], at: datetime) -> str:
    checked = f"Checked {at.isoformat(timespec='seconds')}: {count} self-certification{'' if count == 1 else 's'}."
    if not problems:
        return f"{checked}\nThe chain is intact: no record is missing or changed.\n"
    return f"{checked}\nThe chain is BROKEN:\n" + "".join(f"- {p}\n" for p in problems)


# -- the monthly email ---------------------------------------------------------------------


def pack_recipients() -> list[User]:
    """The Directors: active people who hold the director category or permission and may
    open the pack (a person with the category but only a learner's permission may not)."""
    holds = exists().where(UserCategory.user_id == User.id, UserCategory.category == "director")
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.active.is_(True),
                User.permission >= Permission.DIRECTOR.value,
                or_(User.permission == Permission.DIRECTOR.value, holds),
            )
            .order_by(User.email)
        )
    )


def email_directors(today: date) -> list[str]:
    """Email each Director the link to last month's pack, unless this month's email went out
    already; returns who was emailed. The month's row in the settings is written in the same
    transaction, and is unique, so two runs at once cannot both send it."""
    month = previous_month(today)
    recipients = pack_recipients()
    if not recipients or db.session.get(OrgSetting, EMAILED_KEY.format(month=month)) is not None:
        return []
    try:
        with db.session.begin_nested():
            db.session.add(OrgSetting(key=EMAILED_KEY.format(month=month), value=today.isoformat()))
    except IntegrityError:
        return []
    first = date.fromisoformat(f"{month}-01")
    link = external_url("oversight.download_pack", month=month)
    for person in recipients:
        body = render_template("email/inspection_pack.txt", person=person, month=first, link=link,
                               org_name=current_app.config["ORG_NAME"])
        send_email(person.email, f"Prevent training inspection pack for {first:%B %Y}", body)
    audit.record("inspection_pack.emailed", month=month, recipients=[p.email for p in recipients])
    db.session.flush()
    return [p.email for p in recipients]


def pack_email_job(today: date, dry_run: bool) -> None:
    """The daily run's job: on the first run of a month, last month's pack link to Directors."""
    if today > local_today():
        return  # a run looking ahead (--as-of) sends no link to a month not yet ended
    if dry_run:
        month = previous_month(today)
        if db.session.get(OrgSetting, EMAILED_KEY.format(month=month)) is None:
            click.echo(f"Inspection pack: would email {len(pack_recipients())} Directors the link to {month}'s pack.")
        return
    sent = email_directors(today)
    db.session.commit()
    if sent:
        click.echo(f"Inspection pack for {previous_month(today)}: link emailed to {', '.join(sent)}.")


def download(month: str | None, user: User):
    """The pack a request asks for: a month's (`YYYY-MM`), or today's. Audited."""
    today = local_today()
    as_of = month_of(month, today) if month else today
    spool, manifest = spooled_pack(current_plan(), as_of)
    audit.record("inspection_pack.downloaded", actor=user, as_of=as_of.isoformat(), files=len(manifest.files))
    return spool, as_of
