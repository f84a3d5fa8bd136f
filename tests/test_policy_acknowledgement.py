"""Acknowledging the policy at the end of its course, and a new version making it due again."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from lms.courses.operations import active_course, mark_read
from lms.extensions import db
from lms.models import AuditEvent, Completion, PolicyAcknowledgement

from .clock import DAY, pinned_clock  # noqa: F401  (a fixture)
from .evidence_helpers import text
from .factories import sync_content

PLAN = """
[[requirements]]
ref = "our-policy"
kind = "policy"
title = "Acknowledge our policy"
categories = ["staff"]
due_days = 7
renew_months = 12
"""

pytestmark = [pytest.mark.dates, pytest.mark.usefixtures("pinned_clock")]
TODAY = DAY  # the organisation's today on the pinned clock


def policy_toml(version: str, effective: date, changes: str) -> str:
    return f"""\
        [policy]
        ref = "our-policy"
        version = "{version}"
        effective = "{effective.isoformat()}"
        statement = "I have read and understood Our Policy, version {version}."
        changes = "{changes}"
        """


@pytest.fixture
def app_overrides(tmp_path, content):
    path = tmp_path / "plan.toml"
    path.write_text(PLAN)
    return {"TRAINING_PLAN": str(path), "PROJECT_ROOT": content.root}


@pytest.fixture
def policy(app, content):
    content.course("policy", title="Our Policy", extra=policy_toml("2026.1", TODAY - timedelta(days=100), "First version."))
    sync_content()
    return content


def read_all(user):
    course = active_course("policy")
    for lesson in course.current_version.lessons:
        mark_read(user, course, lesson)


def test_the_acknowledgement_comes_after_every_lesson_is_read(client, auth, policy):
    me = auth.login_as("learner", start_date=TODAY - timedelta(days=200))
    page = text(client.get("/courses/policy"))
    assert "Read every lesson, then confirm" in page and "Confirm" not in page.split("Read every lesson")[1][:80]
    client.post("/courses/policy/acknowledge", data={"version": "2026.1"})
    assert db.session.scalar(select(PolicyAcknowledgement)) is None
    read_all(me)
    page = text(client.get("/courses/policy"))
    assert "I have read and understood Our Policy, version 2026.1." in page


def test_acknowledging_records_person_time_and_version_and_completes_the_requirement(client, auth, policy):
    me = auth.login_as("learner", start_date=TODAY - timedelta(days=200))
    read_all(me)
    response = client.post("/courses/policy/acknowledge", data={"version": "2026.1"}, headers={"User-Agent": "UA/1"})
    assert response.status_code == 302
    ack = db.session.scalar(select(PolicyAcknowledgement))
    assert (ack.user_id, ack.policy_ref, ack.policy_version, ack.acknowledged_on) == (me.id, "our-policy", "2026.1", TODAY)
    assert ack.acknowledged_at is not None and ack.address == "127.0.0.1" and ack.user_agent == "UA/1"
    assert ack.statement == "I have read and understood Our Policy, version 2026.1."
    completion = db.session.scalar(select(Completion).where(Completion.kind == "policy"))
    assert (completion.ref, completion.content_version, completion.acknowledgement_id) == ("our-policy", "2026.1", ack.id)
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "policy.acknowledged"))
    assert "Your progress: 1 of 1 complete" in text(client.get("/"))
    assert "You acknowledged version 2026.1" in text(client.get("/courses/policy"))


def test_a_form_for_an_older_version_is_refused(client, auth, policy):
    me = auth.login_as("learner")
    read_all(me)
    client.post("/courses/policy/acknowledge", data={"version": "2025.9"})
    assert db.session.scalar(select(PolicyAcknowledgement)) is None


def test_a_course_that_is_not_a_policy_cannot_be_acknowledged(client, auth, app, content):
    content.course("plain", title="Plain")
    sync_content()
    auth.login_as("learner")
    assert client.post("/courses/plain/acknowledge", data={"version": "1"}).status_code == 404


def test_a_new_version_makes_it_due_again_and_says_what_changed(client, auth, policy, content):
    me = auth.login_as("learner", start_date=TODAY - timedelta(days=200))
    read_all(me)
    client.post("/courses/policy/acknowledge", data={"version": "2026.1"})
    effective = TODAY - timedelta(days=3)
    content.course("policy", title="Our Policy",
                   extra=policy_toml("2026.2", effective, "The referral route now names the deputy lead."))
    sync_content()

    home = text(client.get("/"))
    deadline = effective + timedelta(days=7)
    assert "Your progress: 0 of 1 complete" in home
    assert f"Due {deadline.day} {deadline:%B %Y}" in home  # due from the new version's effective date
    page = text(client.get("/courses/policy"))
    assert "The policy has changed" in page and "You acknowledged version 2026.1" in page
    assert "The referral route now names the deputy lead." in page
    assert "version 2026.2" in page

    client.post("/courses/policy/acknowledge", data={"version": "2026.2"})
    versions = [a.policy_version for a in db.session.scalars(select(PolicyAcknowledgement).order_by(PolicyAcknowledgement.id))]
    assert versions == ["2026.1", "2026.2"]  # the earlier one stays on record
    assert "Your progress: 1 of 1 complete" in text(client.get("/"))
