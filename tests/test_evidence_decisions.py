"""The lead's queue: verify or reject with a reason, withdrawal, permissions and the audit log."""

from datetime import date

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.models import AuditEvent, Completion, Evidence, OutboxMessage

from .evidence_helpers import PLAN, pdf_bytes, text, upload


@pytest.fixture
def app_overrides(tmp_path):
    path = tmp_path / "plan.toml"
    path.write_text(PLAN)
    return {"TRAINING_PLAN": str(path)}


@pytest.fixture
def uploaded(client, auth):
    """A learner's pending certificate; returns (learner, evidence)."""
    learner = auth.login_as("learner", name="Lee Learner", email="lee@example.org")
    assert upload(client, pdf_bytes(), "lee.pdf", on=date(2026, 2, 3)).status_code == 302
    return learner, db.session.scalar(select(Evidence))


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_the_queue_lists_pending_evidence_oldest_first(client, auth):
    auth.login_as("learner", name="Older Upload")
    upload(client, pdf_bytes("one"))
    auth.login_as("learner", name="Newer Upload")
    upload(client, pdf_bytes("two"))
    auth.login_as("lead")
    page = text(client.get("/evidence/queue"))
    assert page.index("Older Upload") < page.index("Newer Upload")


@pytest.mark.parametrize("role", ["learner", "director"])
def test_only_leads_and_admins_see_the_queue_and_decide(client, auth, uploaded, role):
    _, evidence = uploaded
    auth.login_as(role)
    assert client.get("/evidence/queue").status_code == 403
    assert client.get(f"/evidence/{evidence.id}/review").status_code == 403
    assert client.post(f"/evidence/{evidence.id}/verify").status_code == 403
    assert client.post(f"/evidence/{evidence.id}/reject", data={"reason": "No"}).status_code == 403
    db.session.refresh(evidence)
    assert evidence.status == "pending"


def test_verifying_completes_the_requirement_from_the_certificate_date(client, auth, uploaded):
    learner, evidence = uploaded
    lead = auth.login_as("lead")
    review = text(client.get(f"/evidence/{evidence.id}/review"))
    assert "Lee Learner" in review and "3 February 2026" in review and "Download lee.pdf" in review
    response = client.post(f"/evidence/{evidence.id}/verify")
    assert response.status_code == 302
    db.session.refresh(evidence)
    assert evidence.status == "verified" and evidence.decided_by_id == lead.id
    completion = db.session.scalar(select(Completion).where(Completion.kind == "certificate"))
    assert (completion.user_id, completion.ref, completion.completed_on, completion.evidence_id, completion.source) == (
        learner.id, "ho-awareness", date(2026, 2, 3), evidence.id, "lms")
    assert actions()[-1] == "evidence.verified"
    # A second decision is refused.
    client.post(f"/evidence/{evidence.id}/verify")
    assert len(db.session.scalars(select(Completion)).all()) == 1
    auth.login(learner)
    page = text(client.get("/"))
    assert "Your progress: 1 of 1 complete" in page and "You are up to date" in page


def test_a_lead_cannot_verify_their_own_certificate(client, auth):
    auth.login_as("lead")
    upload(client, pdf_bytes())
    evidence = db.session.scalar(select(Evidence))
    client.post(f"/evidence/{evidence.id}/verify")
    db.session.refresh(evidence)
    assert evidence.status == "pending"
    assert db.session.scalar(select(Completion)) is None


def test_rejecting_needs_a_reason_which_is_emailed_and_changes_nothing_else(client, auth, uploaded):
    learner, evidence = uploaded
    auth.login_as("lead")
    response = client.post(f"/evidence/{evidence.id}/reject", data={"reason": "  "})
    assert response.status_code == 400
    assert "Enter the reason the certificate is not accepted" in text(response)
    assert 'href="#reason"' in response.get_data(as_text=True)
    db.session.refresh(evidence)
    assert evidence.status == "pending"

    reason = "The certificate does not show your name. Upload the full page."
    assert client.post(f"/evidence/{evidence.id}/reject", data={"reason": reason}).status_code == 302
    db.session.refresh(evidence)
    assert evidence.status == "rejected" and evidence.reason == reason
    mail = db.session.scalar(select(OutboxMessage))
    assert mail.recipient == "lee@example.org" and reason in mail.body
    assert db.session.scalar(select(Completion)) is None
    assert actions()[-1] == "evidence.rejected"
    auth.login(learner)
    page = text(client.get("/"))
    assert "Your progress: 0 of 1 complete" in page and "Awaiting verification" not in page
    assert "Not accepted" in text(client.get("/evidence")) and reason in text(client.get("/evidence"))


def test_the_learner_can_withdraw_pending_evidence(client, auth, uploaded):
    learner, evidence = uploaded
    auth.login_as("learner")  # someone else
    assert client.post(f"/evidence/{evidence.id}/withdraw").status_code == 404
    auth.login(learner)
    assert client.post(f"/evidence/{evidence.id}/withdraw").status_code == 302
    db.session.refresh(evidence)
    assert evidence.status == "withdrawn"
    assert actions()[-1] == "evidence.withdrawn"
    assert "Withdrawn" in text(client.get("/evidence"))
    # No longer pending anywhere, and a lead cannot verify it now.
    auth.login_as("lead")
    assert "Nothing is waiting to be checked" in text(client.get("/evidence/queue"))
    client.post(f"/evidence/{evidence.id}/verify")
    assert db.session.scalar(select(Completion)) is None
    # The same file may be uploaded again after withdrawing it.
    auth.login(learner)
    assert upload(client, pdf_bytes(), "lee.pdf").status_code == 302


def test_verified_evidence_cannot_be_withdrawn(client, auth, uploaded):
    learner, evidence = uploaded
    auth.login_as("lead")
    client.post(f"/evidence/{evidence.id}/verify")
    auth.login(learner)
    client.post(f"/evidence/{evidence.id}/withdraw")
    db.session.refresh(evidence)
    assert evidence.status == "verified"


def test_pending_evidence_shows_as_pending_on_the_dashboard(client, auth, uploaded):
    auth.login_as("lead")
    page = text(client.get("/dashboard"))
    assert "Awaiting verification" in page
