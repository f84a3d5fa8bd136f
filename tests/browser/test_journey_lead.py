"""Journey 4 whole: the Safeguarding Lead filters the dashboard, opens the overdue list and a
transcript, verifies one certificate and rejects another with a reason, imports a roster and
invites the new people, deactivates a leaver, sends a reminder and downloads both reports."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from lms.dates import local_today
from lms.evidence import operations as evidence
from lms.extensions import db
from lms.models import Permission
from lms.plan.views import long_date

from ..clock import pinned_clock  # noqa: F401  (a fixture)
from ..evidence_helpers import pdf_bytes
from ..factories import make_user, sync_content
from .journey_helpers import outbox, pdf_text, sign_in

pytestmark = [pytest.mark.dates, pytest.mark.usefixtures("pinned_clock")]

PASSWORD = "a safeguarding lead's passphrase"
CERTIFICATE = "home-office-prevent-awareness"
REASON = "The certificate does not show your name. Please upload the certificate with your full name on it."


def test_the_safeguarding_lead_runs_the_training(live_server, page, tmp_path):
    sync_content()  # the shipped content and plan
    today = local_today()
    make_user(name="Sam Safeguarding", email="sam@ecpt.example", permission=Permission.LEAD, password=PASSWORD)
    make_user(name="Oscar Overdue", email="oscar@ecpt.example", categories=("volunteer",),
              start_date=today - timedelta(days=90))
    make_user(name="Vic Volunteer", email="vic@ecpt.example", categories=("volunteer",), start_date=today)
    vera = make_user(name="Vera Verified", email="vera@ecpt.example", categories=("staff",),
                     start_date=today - timedelta(days=10))
    rita = make_user(name="Rita Rejected", email="rita@ecpt.example", categories=("trainee",),
                     start_date=today - timedelta(days=10))
    make_user(name="Leo Leaver", email="leo@ecpt.example", categories=("contractor",),
              start_date=today - timedelta(days=5))
    on = today - timedelta(days=2)
    evidence.upload_certificate(vera, CERTIFICATE, io.BytesIO(pdf_bytes("Vera Verified, Awareness course")),
                                "vera-awareness.pdf", on, "HO-1")
    evidence.upload_certificate(rita, CERTIFICATE, io.BytesIO(pdf_bytes("Awareness course, no name")),
                                "blurry.pdf", on, "")
    db.session.commit()  # as the upload's request does
    base = live_server.url

    sign_in(page, base, "sam@ecpt.example", PASSWORD)
    nav = page.get_by_role("navigation", name="Main")

    # -- The dashboard, filtered by category and status.
    nav.get_by_role("link", name="Dashboard", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Training dashboard")
    matrix = page.locator("table.matrix")
    expect(matrix).to_contain_text("Vera Verified")
    page.get_by_label("Category").select_option(label="Volunteer")
    page.get_by_label("Status").select_option(label="Overdue")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_label("Category")).to_have_value("volunteer")
    expect(page.get_by_text("1 person matches")).to_be_visible()
    expect(matrix).to_contain_text("Oscar Overdue")
    expect(matrix.locator("td .tag", has_text="Overdue").first).to_be_visible()
    for other in ("Vic Volunteer", "Vera Verified", "Rita Rejected", "Sam Safeguarding"):
        expect(matrix).not_to_contain_text(other)
    page.get_by_label("Status").select_option(label="To do")
    page.get_by_role("button", name="Apply filters").click()
    expect(matrix).to_contain_text("Vic Volunteer")
    expect(matrix).not_to_contain_text("Oscar Overdue")

    # -- The overdue list and a person's transcript.
    page.get_by_role("link", name="See the overdue list").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Overdue training")
    overdue = page.get_by_role("table")
    expect(overdue).to_contain_text("Oscar Overdue")
    expect(overdue).not_to_contain_text("Vic Volunteer")
    page.get_by_role("link", name="Oscar Overdue").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Oscar Overdue")
    transcript = page.get_by_role("table").first
    refresher = transcript.locator("tr", has_text="Prevent refresher (course)")
    expect(refresher).to_contain_text("Overdue")
    expect(refresher).to_contain_text(f"Overdue by 76 days (was due {long_date(today - timedelta(days=76))})")
    expect(page.get_by_text("Volunteer (from", exact=False)).to_be_visible()

    # -- Verifies one uploaded certificate and rejects another with a reason.
    nav.get_by_role("link", name="Evidence to check").click()
    expect(page.locator("tr", has_text="Vera Verified")).to_be_visible()
    expect(page.locator("tr", has_text="Rita Rejected")).to_be_visible()
    page.get_by_role("link", name="Review Vera Verified’s certificate").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review Vera Verified’s certificate")
    expect(page.locator("dl.summary-list")).to_contain_text("HO-1")
    page.get_by_role("button", name="Verify the certificate").click()
    expect(page.get_by_role("status").first).to_contain_text("You verified Vera Verified’s certificate")

    page.get_by_role("link", name="Review Rita Rejected’s certificate").click()
    page.get_by_role("button", name="Reject the certificate").click()  # no reason yet
    expect(page.get_by_role("alert")).to_contain_text("Enter the reason the certificate is not accepted")
    page.get_by_label("Why it is not accepted").fill(REASON)
    page.get_by_role("button", name="Reject the certificate").click()
    expect(page.get_by_role("status").first).to_contain_text(
        "You rejected Rita Rejected’s certificate; they have been emailed the reason."
    )
    expect(page.get_by_text("Nothing is waiting to be checked")).to_be_visible()
    mail = outbox("rita@ecpt.example")
    assert len(mail) == 1
    assert "blurry.pdf" in mail[0].body and REASON in mail[0].body
    assert outbox("vera@ecpt.example") == []

    # -- Imports a small roster through the preview, inviting the new people.
    start = today.isoformat()
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "email,name,categories,start_date\n"
        f"nina@ecpt.example,Nina New,Staff,{start}\n"
        f"tom@ecpt.example,Tom Trainee,Trainee,{start}\n"
        f"vera@ecpt.example,Vera Verified,Staff,{(today - timedelta(days=10)).isoformat()}\n"
    )
    nav.get_by_role("link", name="People").click()
    page.get_by_role("link", name="Import a roster").click()
    page.get_by_label("Roster CSV file").set_input_files(str(roster))
    expect(page.get_by_label("Send invitations to the new people")).to_be_checked()
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the roster import")
    expect(page.get_by_role("cell", name="Nina New")).to_be_visible()
    expect(page.get_by_role("cell", name="Tom Trainee")).to_be_visible()
    expect(page.get_by_text("Invitations will be emailed to the 2 new people")).to_be_visible()
    assert outbox("nina@ecpt.example") == []
    page.get_by_role("button", name="Import the roster").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Roster imported: created 2, updated 0, unchanged 1, deactivated 0, errors 0. Invitations sent to 2 people."
    )
    for email, name in (("nina@ecpt.example", "Nina New"), ("tom@ecpt.example", "Tom Trainee")):
        mail = outbox(email)
        assert len(mail) == 1 and f"Hello {name}," in mail[0].body
        assert re.search(r"http://\S+/invitation/\S+", mail[0].body)

    # -- Deactivates a leaver.
    page.get_by_role("link", name="Leo Leaver").click()
    page.get_by_role("link", name="Deactivate (leaver)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Deactivate Leo Leaver?")
    page.get_by_role("button", name="Deactivate Leo Leaver").click()
    expect(page.get_by_role("status").first).to_contain_text(
        "Leo Leaver is deactivated. They cannot sign in; their records are kept."
    )

    # -- Sends a reminder from the dashboard.
    nav.get_by_role("link", name="Dashboard", exact=True).click()
    matrix = page.locator("table.matrix")
    expect(matrix).to_contain_text("Nina New")
    expect(matrix).not_to_contain_text("Leo Leaver")  # people who have left are hidden
    page.get_by_label("Select Oscar Overdue").check()
    page.get_by_role("button", name="Send reminders to the people selected").click()
    expect(page.get_by_role("status").first).to_contain_text("Reminders sent to 1 person.")
    mail = outbox("oscar@ecpt.example")
    assert len(mail) == 1 and mail[0].subject.startswith("Training reminder:")
    assert "- Prevent refresher: overdue by 76 days" in mail[0].body

    # -- Downloads the CSV and the PDF report for an inspection.
    with page.expect_download() as info:
        page.get_by_role("link", name="Download CSV").click()
    assert info.value.suggested_filename == f"compliance-{today.isoformat()}.csv"
    text = open(info.value.path(), encoding="utf-8-sig").read()
    assert text.splitlines()[0] == "email,name,categories,requirement,kind,status,completed_on,valid_until,deadline"
    rows = list(csv.DictReader(io.StringIO(text)))
    certificates = {r["email"]: r for r in rows if (r["requirement"], r["kind"]) == (CERTIFICATE, "certificate")}
    assert certificates["vera@ecpt.example"]["status"] == "complete"
    assert certificates["vera@ecpt.example"]["completed_on"] == on.isoformat()
    assert certificates["rita@ecpt.example"]["status"] == "due"  # rejected: as it was before
    assert {r["status"] for r in rows if r["email"] == "oscar@ecpt.example"} == {"overdue"}
    assert {r["status"] for r in rows if r["email"] == "nina@ecpt.example"} == {"due"}
    assert "leo@ecpt.example" not in {r["email"] for r in rows}

    with page.expect_download() as info:
        page.get_by_role("link", name="Download PDF report").click()
    assert info.value.suggested_filename == f"prevent-training-report-{today.isoformat()}.pdf"
    text = pdf_text(open(info.value.path(), "rb").read())
    assert "Prevent training compliance report" in text
    assert f"Statuses as on: {long_date(today)}" in text
    assert "Active people: 7." in text  # the two new people in, the leaver out
    assert "Oscar Overdue" in text  # the overdue list
    assert "Leo Leaver" not in text
