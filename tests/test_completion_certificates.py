"""Completion certificates: the PDF, its verification code and the public /verify page."""

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from lms.evidence.certificates import CODE_LENGTH
from lms.extensions import db
from lms.models import Completion, IssuedCertificate

from .clock import DAY, pinned_clock  # noqa: F401  (a fixture)
from .evidence_helpers import text

PLAN = """
[[requirements]]
ref = "alpha"
kind = "course"
title = "Alpha course"
categories = ["staff"]
due_days = 28
renew_months = 12

[[requirements]]
ref = "alpha"
kind = "quiz"
title = "Alpha quiz"
categories = ["staff"]
due_days = 28
"""

pytestmark = [pytest.mark.dates, pytest.mark.usefixtures("pinned_clock")]
TODAY = DAY  # the organisation's today on the pinned clock


@pytest.fixture
def app_overrides(tmp_path):
    path = tmp_path / "plan.toml"
    path.write_text(PLAN)
    return {"TRAINING_PLAN": str(path)}


def complete(user, kind, ref, on):
    db.session.add(Completion(user_id=user.id, kind=kind, ref=ref, completed_on=on, source="lms"))
    db.session.commit()


def pdf_text(response) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)


def test_the_plan_certificate_waits_until_the_plan_is_complete(client, auth):
    me = auth.login_as("learner", name="Zoë Ní Bhriain")
    complete(me, "course", "alpha", TODAY - timedelta(days=10))
    assert "available once everything" in text(client.get("/certificates"))
    response = client.get("/certificates/plan.pdf")
    assert response.status_code == 302 and db.session.scalar(select(IssuedCertificate)) is None
    complete(me, "quiz", "alpha", TODAY - timedelta(days=5))
    assert "Download your completion certificate" in text(client.get("/"))
    response = client.get("/certificates/plan.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    cert = db.session.scalar(select(IssuedCertificate))
    assert len(cert.code) == CODE_LENGTH >= 10 and cert.scope == "plan"
    assert cert.completed_on == TODAY - timedelta(days=5)
    words = pdf_text(response)
    assert "Zoë Ní Bhriain" in words and "Certificate of completion" in words
    assert "Alpha course" in words and f"/verify/{cert.code}" in words.replace("\n", "")
    # Downloading again gives the same certificate, not a new code.
    client.get("/certificates/plan.pdf")
    assert len(db.session.scalars(select(IssuedCertificate)).all()) == 1


def test_a_course_certificate_for_each_completed_course(client, auth):
    me = auth.login_as("learner")
    assert client.get("/certificates/courses/alpha.pdf").status_code == 404
    complete(me, "course", "alpha", TODAY - timedelta(days=2))
    assert "Alpha course" in text(client.get("/certificates"))
    response = client.get("/certificates/courses/alpha.pdf")
    assert response.status_code == 200
    cert = db.session.scalar(select(IssuedCertificate))
    assert cert.scope == "course" and cert.ref == "alpha" and cert.valid_until is not None


def test_verify_shows_name_what_when_and_validity_and_nothing_else(client, auth):
    me = auth.login_as("learner", name="Val Verified", email="val@example.org")
    complete(me, "course", "alpha", TODAY - timedelta(days=2))
    client.get("/certificates/courses/alpha.pdf")
    cert = db.session.scalar(select(IssuedCertificate))
    client.post("/logout")
    anonymous = client.application.test_client()
    page = text(anonymous.get(f"/verify/{cert.code}"))
    assert "Val Verified" in page and "Alpha course" in page
    on = cert.completed_on
    assert f"{on.day} {on:%B %Y}" in page
    assert "genuine and valid today" in page
    assert "val@example.org" not in page and "Staff" not in page
    # The code may be typed with dashes and in lower case.
    pretty = "-".join(cert.code[i:i + 4] for i in range(0, 16, 4)).lower()
    assert "Val Verified" in text(anonymous.get(f"/verify/{pretty}"))
    assert anonymous.get(f"/verify?code={pretty}").status_code == 302


def test_a_lapsed_certificate_says_it_is_no_longer_valid(client, auth):
    me = auth.login_as("learner")
    complete(me, "course", "alpha", TODAY - timedelta(days=400))
    client.get("/certificates/courses/alpha.pdf")
    cert = db.session.scalar(select(IssuedCertificate))
    assert "no longer valid" in text(client.get(f"/verify/{cert.code}"))


def test_an_unknown_code_says_so_plainly(client):
    response = client.get("/verify/ABCDEFGHJKMNPQRS")
    assert response.status_code == 404
    assert "No certificate has the code ABCDEFGHJKMNPQRS" in text(response)


def test_verification_is_rate_limited(client):
    codes = [client.get(f"/verify/ZZZZZZZZZZZZZZ{i:02d}").status_code for i in range(32)]
    assert codes[:30] == [404] * 30 and codes[-1] == 429
