"""A person's evidence, self-certification or quiz attempt, opened by someone who may not see
it, answers exactly as an id that does not exist: 404, so ids cannot be probed. (Pages that
need a permission the person lacks, whatever the id, stay 403: tests/route_matrix.py.)"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from lms.evidence import attestations
from lms.extensions import db
from lms.models import Attestation, Completion, Evidence, QuizAttempt

from .content import QUIZ
from .evidence_helpers import PLAN, pdf_bytes, upload
from .factories import sync_content

MISSING = 999_999


@pytest.fixture
def app_overrides(tmp_path, content):
    path = tmp_path / "plan.toml"
    path.write_text(PLAN)
    return {"TRAINING_PLAN": str(path), "PROJECT_ROOT": content.root}


def same_as_missing(client, url: str) -> None:
    theirs = client.get(url)
    missing = client.get(re.sub(r"/\d+(?=/|$)", f"/{MISSING}", url, count=1))
    assert theirs.status_code == missing.status_code == 404, url
    assert page(theirs) == page(missing), url


def page(response) -> str:
    """The page, but for the sign-out form's CSRF token, which is signed with the time, and
    the request's own reference, which every error page shows."""
    text = re.sub(r'name="csrf_token" value="[^"]+"', "", response.get_data(as_text=True))
    return re.sub(r"reference <strong>[^<]+</strong>", "", text)


def test_someone_elses_records_answer_as_if_they_did_not_exist(client, auth, content):
    content.quiz("check", QUIZ.format(title="Check"))
    sync_content()
    owner = auth.login_as("director", categories=("director",))
    upload(client, pdf_bytes())
    evidence = db.session.scalar(select(Evidence))
    attempt_url = client.post("/quizzes/check/start").headers["Location"]
    db.session.add(Completion(user_id=owner.id, kind="certificate", ref="ho-awareness",
                              completed_on=evidence.certificate_date, source="lms"))
    db.session.commit()
    attestation = attestations.attest(owner, "director-self-certification", {"certificate:ho-awareness"},
                                      "Test organisation", 1)
    own = [f"/evidence/{evidence.id}/file", f"/self-certifications/{attestation.id}", attempt_url,
           f"{attempt_url}/result"]
    assert [client.get(url).status_code for url in own] == [200, 200, 200, 302]

    auth.login_as("learner")
    for url in own:
        same_as_missing(client, url)
    assert db.session.get(QuizAttempt, int(attempt_url.rsplit("/", 1)[1])).user_id == owner.id
    assert db.session.get(Attestation, attestation.id) is not None
