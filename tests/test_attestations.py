"""Directors' self-certification: password-confirmed, snapshotted, append-only, hash-chained."""

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy import text as sql
from sqlalchemy.exc import DBAPIError

from lms.evidence import operations
from lms.evidence.attestations import verify_all
from lms.extensions import db
from lms.models import Attestation, AuditEvent, Completion, Declaration, Evidence, Permission

from .clock import pinned_clock  # noqa: F401  (a fixture)
from .evidence_helpers import PLAN, pdf_bytes, text, upload
from .factories import make_user

PASSWORD = "a director's passphrase"


@pytest.fixture
def app_overrides(tmp_path):
    path = tmp_path / "plan.toml"
    path.write_text(PLAN)
    return {"TRAINING_PLAN": str(path)}


CERTIFICATE_DATE = date(2026, 1, 5)


def new_director(auth):
    user = make_user(name="Dee Director", categories=("director",), password=PASSWORD, permission=Permission.DIRECTOR)
    auth.login(user)
    return user


def verified_upload(client, auth, director) -> Evidence:
    """The Director uploads the Home Office certificate and a lead verifies it."""
    upload(client, pdf_bytes(), on=CERTIFICATE_DATE)
    evidence = db.session.scalar(select(Evidence).where(Evidence.user_id == director.id))
    operations.verify(evidence, make_user(permission=Permission.LEAD))
    auth.login(director)
    return evidence


@pytest.fixture
def director(client, auth):
    """A Director whose Home Office certificate has been verified: training they can name."""
    user = new_director(auth)
    verified_upload(client, auth, user)
    return user


def attest(client, password=PASSWORD, items=("certificate:ho-awareness",), version="1", **headers):
    return client.post(
        "/self-certification",
        data={"items": list(items), "password": password, "declaration_version": version},
        headers=headers,
    )


def test_a_director_reads_the_declaration_and_their_items(client, director):
    page = text(client.get("/self-certification"))
    assert "As a Director of" in page and "Declaration version 1" in page
    assert "Prevent duty training: Awareness course" in page or "Home Office awareness" in page
    assert "Directors' self-certification" not in page.split("The declaration")[1]  # not an item to tick


def test_the_password_must_be_re_entered(client, director):
    response = attest(client, password="not my password")
    assert "The password is not right" in text(response)
    assert db.session.scalar(select(Attestation)) is None


def test_something_must_be_confirmed(client, director):
    response = attest(client, items=())
    assert "Select the training you confirm you have completed" in text(response)
    assert db.session.scalar(select(Attestation)) is None


@pytest.mark.dates
@pytest.mark.usefixtures("pinned_clock")
def test_an_attestation_records_who_when_where_and_a_snapshot_and_completes_the_requirement(client, director, today):
    response = attest(client, **{"User-Agent": "TestBrowser/1.0"})
    assert response.status_code == 302, text(response)
    a = db.session.scalar(select(Attestation))
    assert a.user_id == director.id and a.ref == "director-self-certification"
    assert a.address == "127.0.0.1" and a.user_agent == "TestBrowser/1.0"
    assert a.declaration_version == 1 and "As a Director of" in a.declaration_text
    evidence = db.session.scalar(select(Evidence))
    assert a.items == [{
        "kind": "certificate", "ref": "ho-awareness", "title": "Home Office awareness", "status": "complete",
        "completed_on": "2026-01-05", "valid_until": "2029-01-05", "evidence_id": evidence.id, "confirmed": True,
    }]
    assert a.prev_hash == "0" * 64 and len(a.hash) == 64
    completion = db.session.scalar(select(Completion).where(Completion.kind == "attestation"))
    assert completion.attestation_id == a.id and completion.completed_on == today
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "attestation.made"))
    page = text(client.get("/"))
    assert "Directors' self-certification" in page and "Valid until" in page, page


def test_training_without_a_record_cannot_be_named_and_the_page_says_how_to_get_one(client, auth):
    director = new_director(auth)
    page = text(client.get("/self-certification"))
    assert "You cannot make your self-certification yet" in page and "Make the declaration" not in page
    assert "Training you cannot name yet Home Office awareness" in page
    assert "If you did it elsewhere, upload its certificate" in page
    html = client.get("/self-certification").get_data(as_text=True)
    assert 'href="/evidence/certificates/ho-awareness/upload"' in html
    assert 'href="https://www.example.gov.uk/prevent/awareness"' in html
    # Ticking it anyway, as a forged form would, is refused and records nothing.
    response = attest(client)
    assert "You can only name training the LMS has a record of; it has none of Home Office awareness" in text(response)
    assert attest(client, items=("course:made-up",)).status_code == 200
    assert db.session.scalar(select(Attestation)) is None
    assert db.session.scalar(select(Completion)) is None

    upload(client, pdf_bytes(), on=CERTIFICATE_DATE)  # waiting for a lead: still not nameable
    page = text(client.get("/self-certification"))
    assert "Your certificate is waiting to be checked" in page and "Make the declaration" not in page
    assert "has none of Home Office awareness" in text(attest(client))

    operations.verify(db.session.scalar(select(Evidence)), make_user(permission=Permission.LEAD))
    auth.login(director)
    page = text(client.get("/self-certification"))
    assert "Training you cannot name yet" not in page and "Make the declaration" in page
    assert "completed 5 January 2026" in page or "valid until 5 January 2029" in page
    assert attest(client).status_code == 302
    assert db.session.scalar(select(Attestation)).items[0]["completed_on"] == "2026-01-05"


def test_a_later_attestation_supersedes_and_chains_to_the_earlier(client, director, auth):
    attest(client)
    attest(client)
    first, second = db.session.scalars(select(Attestation).order_by(Attestation.id)).all()
    assert second.prev_hash == first.hash
    lead = make_user(permission=Permission.LEAD)
    auth.login(lead)
    page = text(client.get("/self-certifications"))
    assert page.count("Dee Director") == 2 and "Superseded" in page and "Current" in page
    assert "Superseded" in text(client.get(f"/self-certifications/{first.id}"))


def test_only_the_director_leads_and_directors_see_an_attestation(client, director, auth):
    attest(client)
    a = db.session.scalar(select(Attestation))
    assert client.get(f"/self-certifications/{a.id}").status_code == 200
    auth.login_as("learner")
    assert client.get(f"/self-certifications/{a.id}").status_code == 404  # as if there were none
    assert client.get("/self-certifications").status_code == 403  # the whole list: a permission
    auth.login_as("director")
    assert client.get(f"/self-certifications/{a.id}").status_code == 200


def test_someone_without_the_requirement_is_told_so(client, auth):
    auth.login_as("learner")
    assert "does not ask you for a self-certification" in text(client.get("/self-certification"))
    assert attest(client).status_code == 200
    assert db.session.scalar(select(Attestation)) is None


def test_the_declaration_is_versioned_by_an_admin(client, director, auth):
    attest(client)
    admin = make_user(permission=Permission.ADMIN)
    auth.login(admin)
    assert client.post("/admin/declaration", data={"text": "New wording for Directors."}).status_code == 302
    assert [d.version for d in db.session.scalars(select(Declaration).order_by(Declaration.version))] == [1, 2]
    auth.login(director)
    assert "New wording for Directors." in text(client.get("/self-certification"))
    # A form read before the change is refused, so nobody confirms words they did not see.
    assert "reworded while you were reading" in text(attest(client, version="1"))
    assert attest(client, version="2").status_code == 302
    old, new = db.session.scalars(select(Attestation).order_by(Attestation.id)).all()
    assert "As a Director of" in old.declaration_text and new.declaration_text == "New wording for Directors."


def test_no_page_changes_or_deletes_an_attestation(client, director, auth, app):
    attest(client)
    a = db.session.scalar(select(Attestation))
    before = (a.hash, a.items, a.declaration_text)
    auth.login_as("admin")
    for rule in app.url_map.iter_rules():
        if "attestation_id" in rule.arguments:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                client.open(rule.rule.replace("<int:attestation_id>", str(a.id)), method=method,
                            data={"items": [], "text": "changed"})
            # Only GET is offered on an attestation's own address.
            assert rule.methods - {"HEAD", "OPTIONS"} == {"GET"}, rule
    db.session.expire_all()
    a = db.session.get(Attestation, a.id)
    assert (a.hash, a.items, a.declaration_text) == before
    commands = {name for name in app.cli.commands["lms"].commands}
    assert not any("attestation" in name and name != "verify-attestations" for name in commands)


def test_the_orm_and_the_database_refuse_changes(client, director):
    attest(client)
    a = db.session.scalar(select(Attestation))
    a.declaration_text = "Something else"
    with pytest.raises(ValueError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    for statement in ("UPDATE attestation SET declaration_text = 'x'", "DELETE FROM attestation"):
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(sql(statement))
        db.session.rollback()
    assert db.session.scalar(select(Attestation.declaration_text)).startswith("As a Director")


def _tamper(statement: str) -> None:
    """What only someone with direct database access could do: bypass the triggers."""
    dialect = db.engine.dialect.name
    if dialect == "sqlite":
        db.session.execute(sql("DROP TRIGGER attestation_no_update"))
        db.session.execute(sql("DROP TRIGGER attestation_no_delete"))
    else:
        db.session.execute(sql("ALTER TABLE attestation DISABLE TRIGGER attestation_append_only"))
    for part in statement.split("; "):
        db.session.execute(sql(part))
    if dialect == "postgresql":
        db.session.execute(sql("ALTER TABLE attestation ENABLE TRIGGER attestation_append_only"))
    db.session.commit()


@pytest.mark.parametrize("statement", [
    "UPDATE attestation SET declaration_text = 'I confirm nothing' WHERE id = 1",
    "UPDATE attestation SET attested_on = '2020-01-01' WHERE id = 2",
    "DELETE FROM completion WHERE attestation_id = 2; DELETE FROM attestation WHERE id = 2",
])
def test_the_hash_chain_detects_tampering(client, director, runner, statement):
    for _ in range(3):
        attest(client)
    assert verify_all() == (3, [])
    result = runner.invoke(args=["lms", "verify-attestations"])
    assert result.exit_code == 0 and "3 self-certifications checked; the chain is intact" in result.output
    _tamper(statement)
    count, problems = verify_all()
    assert problems
    result = runner.invoke(args=["lms", "verify-attestations"])
    assert result.exit_code == 1 and "BROKEN" in result.output
