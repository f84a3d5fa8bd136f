"""Issue 8 in a browser: a lead imports an HR roster through the preview and invites the new
people; a mistake in the file is shown with its row and nothing is saved."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import expect
from sqlalchemy import select

from lms.extensions import db
from lms.models import OutboxMessage, Permission, User

from ..factories import make_user
from .second_factor_steps import give_second_factor

PASSWORD = "a roster import passphrase"

# What Excel on Windows saves: Windows-1252, semicolons, its own header names, UK dates.
ROSTER = (
    "E-mail Address;Forename;Surname;Staff Category;Date Started;Payroll\r\n"
    "zoe@example.org;Zoë;Adams;Directors;3 March 2025;001\r\n"
    "sian@example.org;Siân;Jones;Agency staff|Volunteer;01/09/2025;002\r\n"
    "stays@example.org;Stays;Same;Staff;2024-01-01;003\r\n"
).encode("cp1252")


def test_lead_imports_a_roster_through_the_preview_and_invites(live_server, page, tmp_path):
    make_user(name="Sam Safeguarding", email="sam@example.org", permission=Permission.LEAD, password=PASSWORD)
    make_user(name="Stays Same", email="stays@example.org", categories=("staff",), start_date=date(2024, 1, 1))
    base = live_server.url

    page.goto(f"{base}/login")
    page.get_by_label("Email address").fill("sam@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    give_second_factor(page, "sam@example.org")
    page.get_by_role("link", name="People").click()
    page.get_by_role("link", name="Import a roster").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import a roster")

    # A file with a mistake: the row and field are named, and nothing is saved.
    bad = tmp_path / "bad.csv"
    bad.write_bytes(ROSTER.replace(b"3 March 2025", b"31/02/2025"))
    page.get_by_label("Roster CSV file").set_input_files(str(bad))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("alert")).to_contain_text("Row 2, start date: “31/02/2025” is not a real date")
    expect(page.get_by_role("button", name="Import the roster")).to_have_count(0)

    # The corrected file: the preview lists exactly what would change.
    good = tmp_path / "roster.csv"
    good.write_bytes(ROSTER)
    page.get_by_role("link", name="Upload a different file").click()
    page.get_by_label("Roster CSV file").set_input_files(str(good))
    expect(page.get_by_label("Send invitations to the new people")).to_be_checked()
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the roster import")
    expect(page.get_by_role("cell", name="Zoë Adams")).to_be_visible()
    expect(page.get_by_role("cell", name="Siân Jones")).to_be_visible()
    expect(page.get_by_text("Invitations will be emailed to the 2 new people")).to_be_visible()
    assert db.session.scalar(select(User).where(User.email == "zoe@example.org")) is None

    page.get_by_role("button", name="Import the roster").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Roster imported: created 2, updated 0, unchanged 1, deactivated 0, errors 0. Invitations sent to 2 people."
    )
    expect(page.get_by_role("link", name="Zoë Adams")).to_be_visible()

    db.session.expire_all()
    sian = db.session.scalar(select(User).where(User.email == "sian@example.org"))
    assert sian.name == "Siân Jones" and sian.categories == ["agency", "volunteer"]
    assert sian.start_date == date(2025, 9, 1)
    recipients = sorted(db.session.scalars(select(OutboxMessage.recipient)))
    assert recipients == ["sian@example.org", "zoe@example.org"]

    # The person page shows the invitation; the audit log shows the import.
    page.get_by_role("link", name="Siân Jones").click()
    expect(page.get_by_text("Invited", exact=False).first).to_be_visible()
    page.get_by_role("link", name="Audit log", exact=True).click()
    expect(page.get_by_role("cell", name="roster.imported")).to_be_visible()
