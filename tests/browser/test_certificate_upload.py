"""Journey 1, the evidence step: a learner uploads their Home Office certificate, a lead
opens and verifies it, and My training shows the requirement complete."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from lms.dates import local_today
from lms.models import Permission

from ..clock import pinned_clock  # noqa: F401  (a fixture)
from ..evidence_helpers import pdf_bytes
from ..factories import make_user
from .journey_helpers import fill_date
from .test_director_attestation import sign_in

pytestmark = [pytest.mark.dates, pytest.mark.usefixtures("pinned_clock")]

PASSWORD = "a learner's passphrase"
TITLE = "Home Office Prevent awareness e-learning"


def test_upload_then_a_lead_verifies(live_server, browser, page, tmp_path):
    make_user(name="Lee Learner", email="lee@ecpt.example", password=PASSWORD)
    make_user(name="Lou Lead", email="lou@ecpt.example", password=PASSWORD, permission=Permission.LEAD)
    certificate = tmp_path / "home-office-certificate.pdf"
    certificate.write_bytes(pdf_bytes("Lee Learner completed Prevent awareness"))
    on = local_today() - timedelta(days=4)

    sign_in(page, live_server.url, "lee@ecpt.example", PASSWORD)
    item = page.locator("li.requirement", has_text=TITLE)
    expect(item.get_by_role("link", name=re.compile("^Take the course on the Home Office site"))).to_be_visible()
    item.get_by_role("link", name=re.compile("^Upload your certificate")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload your certificate")

    # A web page renamed .pdf is refused with a message linked to the field.
    fake = tmp_path / "certificate.pdf"
    fake.write_text("<!doctype html><html><script>alert(1)</script></html>")
    page.get_by_label("Certificate file").set_input_files(str(fake))
    fill_date(page, "Date on the certificate", on)
    page.get_by_role("button", name="Upload certificate").click()
    expect(page.get_by_role("alert")).to_contain_text("must be a PDF, PNG or JPEG")

    page.get_by_label("Certificate file").set_input_files(str(certificate))
    fill_date(page, "Date on the certificate", on)
    page.get_by_label("Certificate number (optional)").fill("HO-2026-0042")
    page.get_by_role("button", name="Upload certificate").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My training")
    expect(page.get_by_role("status").first).to_contain_text("was uploaded")
    item = page.locator("li.requirement", has_text=TITLE)
    expect(item.locator(".tag")).to_have_text("Awaiting verification")

    lead_context = browser.new_context(locale="en-GB")
    lead = lead_context.new_page()
    sign_in(lead, live_server.url, "lou@ecpt.example", PASSWORD)
    lead.get_by_role("navigation", name="Main").get_by_role("link", name="Evidence to check").click()
    row = lead.locator("tr", has_text="Lee Learner")
    expect(row).to_contain_text(f"{on.day} {on:%B %Y}")
    row.get_by_role("link", name=re.compile("^Review")).click()
    expect(lead.get_by_role("heading", level=1)).to_have_text("Review Lee Learner’s certificate")
    with lead.expect_download() as download:
        lead.get_by_role("link", name="Download home-office-certificate.pdf").click()
    assert download.value.suggested_filename.endswith(".pdf")
    assert open(download.value.path(), "rb").read() == certificate.read_bytes()
    lead.get_by_role("button", name="Verify the certificate").click()
    expect(lead.get_by_role("status").first).to_contain_text("You verified Lee Learner’s certificate")
    expect(lead.get_by_text("Nothing is waiting to be checked")).to_be_visible()
    lead_context.close()

    page.reload()
    item = page.locator("li.requirement", has_text=TITLE)
    expect(item.locator(".tag")).to_have_text("Complete")
    expect(item).to_contain_text("Valid until")
