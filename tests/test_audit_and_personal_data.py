"""The audit log page and export, its append-only guarantee, subject access exports and
`lms purge-leavers`."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from lms import audit
from lms.audit import AuditLogIsAppendOnly
from lms.extensions import db
from lms.models import AuditEvent, OutboxMessage, Token, User
from lms.models.content import Completion
from lms.people import personal_data

from .clock import pinned_clock  # noqa: F401  (a fixture)
from .factories import make_user


@pytest.mark.dates
@pytest.mark.usefixtures("pinned_clock")
def test_audit_log_lists_and_filters(client, auth, today):
    lead = auth.login_as("lead", name="Lena Lead")
    person = make_user(name="Zoë Adams")
    other = make_user(name="Other")
    audit.record("person.updated", person, actor=lead, changes={"name": {"before": "Zoe", "after": "Zoë Adams"}})
    audit.record("person.deactivated", other, actor=None)
    db.session.commit()
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "2 entries" in html and "Zoe → Zoë Adams" in html and "System" in html
    html = client.get("/admin/audit?action=person.deactivated").get_data(as_text=True)
    assert "1 entry" in html and f"Person {other.id}" in html
    html = client.get("/admin/audit?actor=lena").get_data(as_text=True)
    assert "1 entry" in html and f"Person {person.id}" in html
    html = client.get(f"/admin/audit?person={person.id}").get_data(as_text=True)
    assert "1 entry" in html
    html = client.get(f"/admin/audit?date_from={(today + timedelta(days=2)).isoformat()}").get_data(as_text=True)
    assert "0 entries" in html
    html = client.get(f"/admin/audit?date_from={(today - timedelta(days=1)).isoformat()}&date_to={(today + timedelta(days=1)).isoformat()}").get_data(as_text=True)
    assert "2 entries" in html
    # Bad filters: a clear message, no 500.
    response = client.get("/admin/audit?person=abc&date_from=31/12/2025")
    assert response.status_code == 200
    assert "Enter a person&#39;s number" in response.get_data(as_text=True) or "Enter a person's number" in response.get_data(as_text=True)


def test_audit_csv_export_follows_the_filters_and_defuses_formulas(client, auth):
    lead = auth.login_as("lead")
    person = make_user(name="=HYPERLINK(1)")
    audit.record("person.updated", person, actor=lead, changes={"name": {"before": "=HYPERLINK(1)", "after": "x"}})
    audit.record("person.deactivated", person, actor=lead)
    db.session.commit()
    response = client.get("/admin/audit.csv?action=person.updated")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["when_utc", "actor_email", "address", "action", "target_type", "target_id", "details"]
    assert len(rows) == 2 and rows[1][1] == lead.email and rows[1][3] == "person.updated"
    assert json.loads(rows[1][6])["changes"]["name"]["before"] == "=HYPERLINK(1)"
    auth.login_as("director")
    assert client.get("/admin/audit.csv").status_code == 403


def test_the_audit_log_is_append_only(app):
    event = audit.record("person.updated", make_user())
    db.session.commit()
    event.action = "something.else"
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, event.id))
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(AuditEvent, event.id).action == "person.updated"


def test_no_page_edits_or_deletes_audit_entries(app):
    for rule in app.url_map.iter_rules():
        if "audit" in rule.rule:
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule


# --- subject access export -----------------------------------------------------------------------


def _export(client, person):
    return client.post(f"/admin/people/{person.id}/personal-data", data={})


def test_an_admin_exports_everything_about_a_person(client, auth):
    admin = auth.login_as("admin")
    person = make_user(name="Zoë Adams", email="zoe@example.org", categories=("staff", "trainer"))
    db.session.add(Completion(user_id=person.id, kind="course", ref="prevent-awareness", completed_on=date(2025, 3, 3), source="lms"))
    db.session.add(OutboxMessage(recipient="zoe@example.org", subject="Hello", body="Dear Zoë"))
    audit.record("person.updated", person, actor=admin, changes={"name": {"before": "Zoe", "after": "Zoë Adams"}})
    db.session.commit()
    response = _export(client, person)
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = set(archive.namelist())
    assert {"manifest.json", "profile.json", "completions.json", "emails.json", "audit.json", "links.json", "reminders.json"} <= names
    profile = json.loads(archive.read("profile.json"))
    assert profile["name"] == "Zoë Adams" and [c["category"] for c in profile["categories"]] == ["staff", "trainer"]
    assert "password_hash" not in profile and "session_token" not in profile
    assert json.loads(archive.read("completions.json"))[0]["ref"] == "prevent-awareness"
    assert json.loads(archive.read("emails.json"))[0]["body"] == "Dear Zoë"
    assert json.loads(archive.read("audit.json"))[0]["details"]["changes"]["name"]["after"] == "Zoë Adams"
    manifest = json.loads(archive.read("manifest.json"))
    assert set(manifest["contents"]) == set(personal_data.SOURCES)
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "person.data_exported")) == 1


def test_a_registered_source_adds_json_and_files(client, auth):
    auth.login_as("admin")
    person = make_user()
    source = personal_data.PersonalDataSource(
        "evidence-test",
        "Files for the test",
        export=lambda p: [{"file": "cert.pdf"}],
        files=lambda p: [("cert.pdf", b"%PDF-1.4")],
    )
    personal_data.register(source)
    try:
        archive = zipfile.ZipFile(io.BytesIO(_export(client, person).data))
        assert archive.read("evidence-test/cert.pdf") == b"%PDF-1.4"
        assert json.loads(archive.read("manifest.json"))["contents"]["evidence-test"]["files"] == ["evidence-test/cert.pdf"]
    finally:
        personal_data.SOURCES.pop("evidence-test")


def test_only_admins_export_personal_data(client, auth):
    person = make_user()
    auth.login_as("lead")
    assert _export(client, person).status_code == 403
    auth.login_as("admin")
    assert client.post("/admin/people/999999/personal-data", data={}).status_code == 404


# --- purge-leavers -------------------------------------------------------------------------------


def _leaver(left_years_ago: float, **fields) -> User:
    person = make_user(**fields)
    when = datetime.now(UTC) - timedelta(days=365.25 * left_years_ago)
    person.active = False
    person.created_at = when - timedelta(days=30)
    person.deactivated_at = when
    db.session.commit()
    return person


@pytest.mark.dates
@pytest.mark.usefixtures("pinned_clock")
def test_purge_leavers_dry_run_then_anonymise(runner, today):
    old = _leaver(7, name="Old Leaver", email="old@example.org", categories=("staff", "trainer"))
    recent = _leaver(2, name="Recent Leaver")
    active = make_user(name="Still Here")
    # a completion four years ago is newer activity than leaving seven years ago
    busy = _leaver(7, name="Busy Leaver")
    db.session.add(Completion(user_id=busy.id, kind="course", ref="x", completed_on=today - timedelta(days=365 * 4), source="lms"))
    db.session.add(Completion(user_id=old.id, kind="course", ref="x", completed_on=today - timedelta(days=365 * 8), source="lms"))
    db.session.add(OutboxMessage(recipient="old@example.org", subject="Hi", body="Dear Old"))
    db.session.add(Token(purpose="invite", token_hash="a" * 64, user_id=old.id, expires_at=datetime.now(UTC)))
    db.session.commit()

    result = runner.invoke(args=["lms", "purge-leavers", "--older-than", "6", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would anonymise old@example.org" in result.output
    assert "would anonymise 1 leaver inactive for over 6 years" in result.output
    db.session.expire_all()
    assert db.session.get(User, old.id).name == "Old Leaver"

    result = runner.invoke(args=["lms", "purge-leavers", "--older-than", "6"])
    assert result.exit_code == 0, result.output
    assert "anonymised 1 leaver" in result.output and "old@example.org" not in result.output
    db.session.expire_all()
    gone = db.session.get(User, old.id)
    assert gone.name == f"Former member #{old.id}" and gone.email.endswith("@anonymised.invalid")
    assert gone.anonymised_at is not None and gone.password_hash is None
    assert gone.categories == ["staff", "trainer"] and gone.start_date == old.start_date  # counts kept
    assert db.session.scalar(select(func.count()).select_from(Completion).where(Completion.user_id == old.id)) == 1
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert db.session.scalar(select(func.count()).select_from(Token)) == 0
    for person in (recent, active, busy):
        assert db.session.get(User, person.id).anonymised_at is None
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "person.anonymised")) == 1

    # Running again finds nobody; the retention setting is the default.
    result = runner.invoke(args=["lms", "purge-leavers"])
    assert "anonymised 0 leavers inactive for over 6 years" in result.output


@pytest.mark.dates
@pytest.mark.usefixtures("pinned_clock")
def test_an_anonymised_person_cannot_be_reactivated_or_edited(client, auth, today):
    auth.login_as("admin")
    person = _leaver(10)
    personal_data.purge_leavers(6, today)
    client.post(f"/admin/people/{person.id}/reactivate", data={})
    db.session.expire_all()
    assert not db.session.get(User, person.id).active
    assert client.get(f"/admin/people/{person.id}/edit").status_code == 404
    assert "Anonymised" in client.get(f"/admin/people/{person.id}").get_data(as_text=True)


def test_purge_rejects_a_bad_period(runner):
    result = runner.invoke(args=["lms", "purge-leavers", "--older-than", "0"])
    assert result.exit_code != 0



def test_export_holds_evidence_files_attempts_and_acknowledgements(client, auth):
    import hashlib

    from lms.models.evidence import Evidence, PolicyAcknowledgement

    auth.login_as("admin")
    person = make_user(name="Siân Evans", email="sian@example.org")
    data = b"%PDF-1.4\n% a certificate\n%%EOF\n"
    db.session.add(Evidence(user_id=person.id, certificate_ref="home-office-prevent-awareness", filename="cert.pdf",
                            mime="application/pdf", size=len(data), sha256=hashlib.sha256(data).hexdigest(), data=data,
                            certificate_date=date(2026, 1, 5), status="pending"))
    db.session.add(PolicyAcknowledgement(user_id=person.id, policy_ref="ecpt-prevent-policy", policy_version="2026.1",
                                         statement="I have read it.", acknowledged_on=date(2026, 2, 1), address="10.0.0.1"))
    db.session.commit()
    archive = zipfile.ZipFile(io.BytesIO(_export(client, person).data))
    evidence = json.loads(archive.read("evidence.json"))
    assert evidence[0]["filename"] == "cert.pdf" and evidence[0]["certificate_date"] == "2026-01-05"
    assert archive.read(evidence[0]["file"]) == data
    assert json.loads(archive.read("policy_acknowledgements.json"))[0]["policy_version"] == "2026.1"
    assert json.loads(archive.read("quiz_attempts.json")) == []
    assert json.loads(archive.read("attestations.json")) == []


def _sign_in_accounts(person: User, *, used: int = 0) -> None:
    """A provider account linked to the person, and a confirmed second factor with ten
    recovery codes, `used` of them used."""
    from lms.models import RecoveryCode, SecondFactor, SsoIdentity

    db.session.add(SsoIdentity(user_id=person.id, issuer="https://id.example.org", subject=f"abc-{person.id}", email_at_link=person.email))
    factor = SecondFactor(user_id=person.id, secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", confirmed_at=datetime.now(UTC))
    db.session.add(factor)
    db.session.flush()
    db.session.add_all(
        RecoveryCode(second_factor_id=factor.id, code_hash=f"{n:064d}", used_at=datetime.now(UTC) if n < used else None)
        for n in range(10)
    )
    db.session.commit()


def test_the_export_says_when_sign_in_accounts_were_linked_never_their_secrets(client, auth):
    auth.login_as("admin")
    person = make_user(name="Zoë Adams", email="zoe@example.org")
    _sign_in_accounts(person, used=3)
    archive = zipfile.ZipFile(io.BytesIO(_export(client, person).data))
    identities = json.loads(archive.read("sign_in_provider.json"))
    assert [(i["issuer"], i["email_at_link"]) for i in identities] == [("https://id.example.org", "zoe@example.org")]
    assert identities[0]["created_at"] and "subject" not in identities[0]
    factor = json.loads(archive.read("second_factor.json"))
    assert factor["confirmed_at"] and factor["recovery_codes_left"] == 7
    whole = b"".join(archive.read(name) for name in archive.namelist())
    assert b"JBSWY3DP" not in whole and f"abc-{person.id}".encode() not in whole and b"0" * 64 not in whole

    nobody = make_user(email="new@example.org")
    archive = zipfile.ZipFile(io.BytesIO(_export(client, nobody).data))
    assert json.loads(archive.read("sign_in_provider.json")) == [] and json.loads(archive.read("second_factor.json")) is None


def test_erasing_a_leaver_deletes_their_provider_link_and_second_factor(runner):
    from lms.models import RecoveryCode, SecondFactor, SsoIdentity

    old = _leaver(7, name="Old Leaver", email="old@example.org")
    _sign_in_accounts(old)
    kept = make_user(email="kept@example.org")
    _sign_in_accounts(kept)
    result = runner.invoke(args=["lms", "purge-leavers", "--older-than", "6"])
    assert result.exit_code == 0 and "anonymised 1 leaver" in result.output, result.output
    db.session.expire_all()
    for model in (SsoIdentity, SecondFactor):
        assert db.session.scalars(select(model.user_id)).all() == [kept.id]
    assert db.session.scalar(select(func.count()).select_from(RecoveryCode)) == 10  # only the kept person's
