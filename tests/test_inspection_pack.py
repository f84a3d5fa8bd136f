"""The inspection pack: one ZIP of the report, the CSVs, the certificates and the chain check,
with a manifest of hashes; for Directors, leads and admins only; its link emailed to Directors
once a month, never the pack itself."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import date, datetime

import pytest
import time_machine
from sqlalchemy import func, select

from lms.evidence import operations as evidence
from lms.extensions import db
from lms.models import Evidence, OrgSetting, OutboxMessage, Permission, PolicyAcknowledgement
from lms.models.content import Completion
from lms.plan import standing

from .clock import LONDON
from .evidence_helpers import PLAN, pdf_bytes, png_bytes, upload
from .factories import make_user
from .test_attestations import PASSWORD, attest


@pytest.fixture
def app_overrides(tmp_path):
    path = tmp_path / "plan.toml"
    path.write_text(PLAN)
    return {"TRAINING_PLAN": str(path), "ORG_NAME": "Example Psychotherapy"}


@pytest.fixture
def clock(app):
    with time_machine.travel(datetime(2026, 11, 25, 12, tzinfo=LONDON), tick=True) as traveller:
        yield traveller


def organisation(client, auth):
    """A Director who uploaded a certificate (verified) and self-certified twice, a staff member
    with a verified PNG and one awaiting a lead, and a policy acknowledged in two versions."""
    lead = make_user(name="Lee Lead", email="lead@example.org", permission=Permission.LEAD, categories=("staff",))
    dee = make_user(name="Dee Director", email="dee@example.org", categories=("director",), password=PASSWORD,
                    permission=Permission.DIRECTOR)
    auth.login(dee)
    certificate = pdf_bytes("Dee's certificate")
    upload(client, certificate, "dee-certificate.pdf", on=date(2026, 1, 5))
    sam = make_user(name="Sam Staff", email="sam@example.org", categories=("staff",))
    auth.login(sam)
    picture = png_bytes()
    assert upload(client, picture, "sam photo.png", on=date(2026, 2, 1), content_type="image/png").status_code == 302
    assert upload(client, pdf_bytes("a second one"), "waiting.pdf", on=date(2026, 3, 1)).status_code == 302
    for e in db.session.scalars(select(Evidence).order_by(Evidence.id)).all()[:2]:
        evidence.verify(e, lead)
    db.session.commit()
    auth.login(dee)
    assert attest(client).status_code == 302
    assert attest(client).status_code == 302
    for version, on in (("2025-1", date(2025, 6, 1)), ("2026-1", date(2026, 6, 1))):
        ack = PolicyAcknowledgement(user_id=sam.id, policy_ref="prevent-policy", policy_version=version,
                                    statement="I have read the policy.", acknowledged_on=on)
        db.session.add(ack)
        db.session.flush()
        db.session.add(Completion(user_id=sam.id, kind="policy", ref="prevent-policy", completed_on=on, source="lms",
                                  content_version=version, acknowledgement_id=ack.id))
    standing.refresh([sam.id])
    db.session.commit()
    return lead, dee, sam, certificate, picture


def unzip(response) -> zipfile.ZipFile:
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/zip"
    assert response.headers["Cache-Control"] == "no-store"
    return zipfile.ZipFile(io.BytesIO(response.data))


def read_csv(pack: zipfile.ZipFile, name: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(pack.read(name).decode("utf-8"))))


@pytest.mark.dates
@pytest.mark.usefixtures("clock")
def test_the_pack_holds_everything_an_inspector_asks_for_with_a_manifest_of_hashes(client, auth):
    lead, dee, sam, certificate, picture = organisation(client, auth)
    auth.login(dee)
    response = client.get("/dashboard/inspection-pack.zip")
    assert 'filename=prevent-inspection-pack-2026-11-25.zip' in response.headers["Content-Disposition"]
    pack = unzip(response)
    names = set(pack.namelist())
    certificates = sorted(n for n in names if n.startswith("certificates/") and n != "certificates.csv")
    assert certificates == [
        f"certificates/dee@example.org/{certificate_id(dee)}-dee-certificate.pdf",
        f"certificates/sam@example.org/{certificate_id(sam)}-sam_photo.png",
    ]
    assert {"report.pdf", "compliance.csv", "certificates.csv", "policy-acknowledgements.csv",
            "self-certifications.csv", "self-certifications-chain.txt", "manifest.json", "SHA256SUMS"} <= names
    assert pack.read(certificates[0]) == certificate and pack.read(certificates[1]) == picture
    assert pack.read("report.pdf").startswith(b"%PDF")
    assert "waiting.pdf" not in " ".join(names)  # not verified: not in the pack

    manifest = json.loads(pack.read("manifest.json"))
    assert manifest["organisation"] == "Example Psychotherapy"
    assert manifest["statuses_as_on"] == "2026-11-25"
    assert manifest["generated_at"].startswith("2026-11-25T12:")
    assert manifest["self_certification_chain"] == {"checked": 2, "intact": True, "problems": []}
    listed = {f["path"]: f for f in manifest["files"]}
    assert set(listed) == names - {"manifest.json", "SHA256SUMS"}
    for path, entry in listed.items():
        data = pack.read(path)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest(), path
        assert entry["bytes"] == len(data)
    sums = dict(line.split("  ", 1)[::-1] for line in pack.read("SHA256SUMS").decode().splitlines())
    assert sums == {path: entry["sha256"] for path, entry in listed.items()}

    index = read_csv(pack, "certificates.csv")
    assert [(r["email"], r["sha256_at_upload"]) for r in index] == [
        ("dee@example.org", hashlib.sha256(certificate).hexdigest()),
        ("sam@example.org", hashlib.sha256(picture).hexdigest()),
    ]
    acks = read_csv(pack, "policy-acknowledgements.csv")
    assert [(r["policy"], r["version"], r["email"], r["acknowledged_on"]) for r in acks] == [
        ("prevent-policy", "2025-1", "sam@example.org", "2025-06-01"),
        ("prevent-policy", "2026-1", "sam@example.org", "2026-06-01"),
    ]
    attestations = read_csv(pack, "self-certifications.csv")
    assert [(r["email"], r["superseded"]) for r in attestations] == [("dee@example.org", "yes"), ("dee@example.org", "no")]
    assert attestations[1]["prev_hash"] == attestations[0]["hash"]
    assert "The chain is intact" in pack.read("self-certifications-chain.txt").decode()
    rows = read_csv(pack, "compliance.csv")
    assert {r["email"] for r in rows} >= {"dee@example.org", "sam@example.org"}


def test_a_file_name_cannot_leave_its_folder():
    from lms.oversight.pack import _safe

    assert _safe("../../etc/passwd") == "etc_passwd"
    assert _safe("my certificate (1).pdf") == "my_certificate_1_.pdf"
    assert _safe("..") == "file"


def certificate_id(user) -> int:
    return db.session.scalar(
        select(Evidence.id).where(Evidence.user_id == user.id, Evidence.status == "verified").order_by(Evidence.id)
    )


@pytest.mark.dates
@pytest.mark.usefixtures("clock")
def test_a_months_pack_holds_what_was_recorded_by_its_last_day(client, auth):
    lead, dee, sam, certificate, picture = organisation(client, auth)
    auth.login(lead)
    pack = unzip(client.get("/dashboard/inspection-pack.zip?month=2026-01"))
    assert json.loads(pack.read("manifest.json"))["statuses_as_on"] == "2026-01-31"
    assert not [n for n in pack.namelist() if n.startswith("certificates/") and n != "certificates.csv"]  # verified later
    assert [r["version"] for r in read_csv(pack, "policy-acknowledgements.csv")] == ["2025-1"]
    assert read_csv(pack, "self-certifications.csv") == []
    for month in ("2026-12", "2026-13", "26-01", "nonsense"):
        assert client.get(f"/dashboard/inspection-pack.zip?month={month}").status_code == 404


@pytest.mark.parametrize("permission", [Permission.DIRECTOR, Permission.LEAD, Permission.ADMIN])
def test_directors_leads_and_admins_may_download_it(client, auth, permission):
    auth.login_as(permission)
    assert unzip(client.get("/dashboard/inspection-pack.zip"))


def test_a_learner_may_not_and_no_one_signed_out_may(client, auth):
    response = client.get("/dashboard/inspection-pack.zip?month=2026-01")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    auth.login_as("learner", categories=("director",))  # the category alone opens nothing
    assert client.get("/dashboard/inspection-pack.zip").status_code == 403


@pytest.mark.dates
def test_directors_are_emailed_a_link_once_a_month_and_never_the_pack(app, client, auth, runner):
    with time_machine.travel(datetime(2026, 12, 1, 7, tzinfo=LONDON), tick=True) as clock:
        dee = make_user(name="Dee Director", email="dee@example.org", categories=("director",),
                        permission=Permission.DIRECTOR)
        make_user(name="Ada Admin", email="ada@example.org", categories=("director", "staff"),
                  permission=Permission.ADMIN)
        make_user(name="Lee Lead", email="lee@example.org", categories=("staff",), permission=Permission.LEAD)
        make_user(name="Dora Category", email="dora@example.org", categories=("director",))  # cannot open it

        def pack_mail():
            return db.session.scalars(
                select(OutboxMessage).where(OutboxMessage.subject.like("%inspection pack%")).order_by(OutboxMessage.id)
            ).all()

        dry = runner.invoke(args=["lms", "send-reminders", "--dry-run"])
        assert "would email 2 Directors the link to 2026-11's pack" in dry.output
        assert pack_mail() == []
        result = runner.invoke(args=["lms", "send-reminders"])
        assert result.exit_code == 0, result.output
        assert "Inspection pack for 2026-11: link emailed to ada@example.org, dee@example.org." in result.output
        sent = pack_mail()
        assert [m.recipient for m in sent] == ["ada@example.org", "dee@example.org"]
        assert all(m.subject == "Prevent training inspection pack for November 2026" for m in sent)
        link = "http://localhost/dashboard/inspection-pack.zip?month=2026-11"
        assert link in sent[0].body and "sign in" in sent[0].body
        assert "%PDF" not in sent[0].body and len(sent[0].body) < 2000  # a link, never the pack

        assert "Inspection pack" not in runner.invoke(args=["lms", "send-reminders"]).output
        clock.move_to(datetime(2026, 12, 2, 7, tzinfo=LONDON))
        runner.invoke(args=["lms", "send-reminders"])
        assert len(pack_mail()) == 2
        assert db.session.scalar(select(func.count()).select_from(OrgSetting).where(
            OrgSetting.key.like("inspection_pack.emailed.%"))) == 1

        # The link opens after signing in.
        path = link.removeprefix("http://localhost")
        assert "/login" in client.get(path).headers["Location"]
        auth.login(dee)
        assert json.loads(unzip(client.get(path)).read("manifest.json"))["statuses_as_on"] == "2026-11-30"

        clock.move_to(datetime(2027, 1, 1, 7, tzinfo=LONDON))
        result = runner.invoke(args=["lms", "send-reminders"])
        assert "Inspection pack for 2026-12" in result.output
        assert len(pack_mail()) == 4
