"""Mail is queued with the change that sends it and delivered after commit by `lms deliver-mail`,
against a real SMTP server (aiosmtpd) on 127.0.0.1: one connection per batch, STARTTLS with a
certificate made here, login, refusals retried with backoff, a connection dropped after DATA,
two workers at once, and a worker killed between its claim and the send."""

from __future__ import annotations

import asyncio
import email
import math
import os
import re
import signal
import ssl
import subprocess
import sys
import threading
import time
from datetime import timedelta
from email import policy
from pathlib import Path

import pytest
import time_machine
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from flask_migrate import upgrade
from markupsafe import escape
from sqlalchemy import func, select, text

from lms import mail
from lms.extensions import db
from lms.models import AuditEvent, OutboxMessage, ReminderLog, utcnow
from lms.records import reminders

from .conftest import make_test_app
from .factories import make_user
from .servers import free_port
from .test_compliance import PLAN
from .test_migrations_and_cli import _empty

ROOT = Path(__file__).resolve().parent.parent
LMS = Path(sys.executable).parent / "lms"


class Recorder:
    """An aiosmtpd handler that keeps what it receives, and can refuse, drop or stall."""

    def __init__(self):
        self.received: list[tuple[tuple, str, email.message.EmailMessage]] = []  # (connection, recipient, message)
        self.refuse: dict[str, str] = {}  # recipient -> the RCPT reply
        self.drop_after_data: set[str] = set()  # recipients whose DATA gets no answer: the line goes dead
        self.delay = 0.0  # seconds before each DATA is answered
        self.stall_rcpt = threading.Event()  # set: RCPT waits until `release` is set
        self.release = threading.Event()
        self.stalled = threading.Event()

    @property
    def recipients(self) -> list[str]:
        return [recipient for _, recipient, _ in self.received]

    @property
    def connections(self) -> set[tuple]:
        return {connection for connection, _, _ in self.received}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.stall_rcpt.is_set():
            self.stalled.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.content.replace(b"\r\n", b"\n"), policy=policy.default)
        self.received.append((session.peer, envelope.rcpt_tos[0], message))
        if envelope.rcpt_tos[0] in self.drop_after_data:
            server.transport.close()  # the message has arrived; its answer never leaves
        return "250 OK: queued"


@pytest.fixture
def app_overrides(tmp_path):
    """A training plan of the shipped kinds of requirement, which needs no content loaded."""
    path = tmp_path / "plan.toml"
    path.write_text(PLAN)
    return {"TRAINING_PLAN": str(path)}


@pytest.fixture
def recorder():
    return Recorder()


def start_server(handler, **kwargs) -> Controller:
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    return controller


@pytest.fixture
def smtp(app, recorder):
    """A plain SMTP server, and the app set to send through it."""
    controller = start_server(recorder)
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_STARTTLS=False)
    yield controller
    recorder.release.set()
    controller.stop()


def queue(recipients, subject="Hello") -> list[int]:
    messages = [mail.send_email(r, subject, f"Dear {r},\n\n.A line that starts with a dot.\n") for r in recipients]
    db.session.commit()
    return [m.id for m in messages]


def states() -> dict[str, str]:
    db.session.expire_all()
    return dict(db.session.execute(select(OutboxMessage.recipient, OutboxMessage.state)).all())


def row(recipient: str) -> OutboxMessage:
    db.session.expire_all()
    return db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == recipient))


def worker_env(app, tmp_path, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "LMS_INSTANCE_PATH": str(tmp_path / "instance"),
        "LMS_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "LMS_SMTP_HOST": "127.0.0.1",
        "LMS_SMTP_PORT": str(port),
        "LMS_SMTP_STARTTLS": "false",
    }


# --- queued, then delivered ----------------------------------------------------------------------


def test_many_messages_go_out_a_batch_per_connection(app, smtp, recorder):
    count = mail.BATCH_SIZE + 20
    ids = queue([f"person{n:03d}@example.org" for n in range(count)])
    assert set(states().values()) == {"queued"} and recorder.received == []

    done = mail.deliver_queued()

    assert done.sent == count and not (done.retry or done.failed or done.unknown)
    assert sorted(recorder.recipients) == sorted(states())
    assert len(recorder.connections) == math.ceil(count / mail.BATCH_SIZE)
    first = row("person000@example.org")
    assert first.state == "sent" and first.attempts == 1 and first.sent_at is not None and first.error is None
    _, _, message = recorder.received[0]
    assert message["Subject"] == "Hello" and message["To"] == "person000@example.org"
    assert message["From"] == app.config["MAIL_FROM"]
    assert message["Message-ID"] == mail.message_id(db.session.get(OutboxMessage, ids[0]))
    assert message.get_content() == "Dear person000@example.org,\n\n.A line that starts with a dot.\n"
    # Nothing is sent twice: a second run finds nothing to do.
    assert not mail.deliver_queued() and len(recorder.received) == count


def test_text_beyond_ascii_arrives_intact(app, smtp, recorder):
    mail.send_email("zoe@example.org", "Réunion: Zoë’s training", "Bonjour Zoë, à bientôt.\n")
    db.session.commit()
    mail.deliver_queued()
    _, _, message = recorder.received[0]
    assert message["Subject"] == "Réunion: Zoë’s training"
    assert message.get_content() == "Bonjour Zoë, à bientôt.\n"


def test_a_request_that_sends_an_email_talks_to_no_mail_server(app, client, smtp, recorder):
    make_user(email="ada@example.org")
    response = client.post("/forgot-password", data={"email": "ada@example.org"})
    assert response.status_code == 200 and b"ada@example.org" in response.data
    assert states() == {"ada@example.org": "queued"} and recorder.received == []
    mail.deliver_queued()
    assert recorder.recipients == ["ada@example.org"] and states() == {"ada@example.org": "sent"}


def test_without_an_smtp_server_messages_stay_in_the_outbox(app, runner, client, auth):
    queue(["ada@example.org"])
    assert states() == {"ada@example.org": "outbox_only"}
    assert not mail.deliver_queued()
    result = runner.invoke(args=["lms", "deliver-mail", "--once"])
    assert result.exit_code == 0 and "LMS_SMTP_HOST is not set" in result.output
    assert states() == {"ada@example.org": "outbox_only"}
    auth.login_as("admin")
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "No SMTP server is set" in page and "Not emailed" in page


def test_deliver_mail_once_from_the_command_line(app, runner, smtp, recorder):
    queue(["ada@example.org", "ben@example.org"])
    result = runner.invoke(args=["lms", "deliver-mail", "--once"])
    assert result.exit_code == 0, result.output
    assert "sent 2, to retry 0, failed 0" in result.output
    assert sorted(recorder.recipients) == ["ada@example.org", "ben@example.org"]


# --- TLS and login -------------------------------------------------------------------------------


@pytest.fixture
def certificate_authority(tmp_path):
    ca = trustme.CA()
    ca_file = tmp_path / "private-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return ca, ca_file


def tls_server(handler, ca, **kwargs) -> Controller:
    """A server that requires STARTTLS, with a certificate for 127.0.0.1 signed by `ca`."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return start_server(handler, tls_context=context, require_starttls=True, **kwargs)


def test_starttls_with_a_private_certificate_authority(app, recorder, certificate_authority):
    ca, ca_file = certificate_authority
    controller = tls_server(recorder, ca)
    try:
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_STARTTLS=True, SMTP_CA_FILE="")
        queue(["ada@example.org"])
        # Not trusted by the system's certificates: nothing is sent in the clear, it waits.
        done = mail.deliver_queued()
        message = row("ada@example.org")
        assert done.retry == 1 and recorder.received == []
        assert message.state == "retry" and "LMS_SMTP_CA_FILE" in message.error
        assert "certificate verify failed" in message.error

        app.config["SMTP_CA_FILE"] = str(ca_file)
        db.session.execute(text("UPDATE outbox_message SET next_attempt_at = NULL"))  # due now
        db.session.commit()
        assert mail.deliver_queued().sent == 1
        assert recorder.recipients == ["ada@example.org"] and row("ada@example.org").state == "sent"
    finally:
        controller.stop()


def test_login_with_the_configured_user_name_and_password(app, recorder, certificate_authority):
    ca, ca_file = certificate_authority
    logins: list[tuple[str, str]] = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        assert isinstance(auth_data, LoginPassword)
        logins.append((auth_data.login.decode(), auth_data.password.decode()))
        ok = (auth_data.login, auth_data.password) == (b"lms", b"the right password")
        return AuthResult(success=ok, handled=False)  # not handled: aiosmtpd answers 535 itself

    controller = tls_server(recorder, ca, authenticator=authenticator, auth_required=True)
    try:
        app.config.update(
            SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_STARTTLS=True, SMTP_CA_FILE=str(ca_file),
            SMTP_USER="lms", SMTP_PASSWORD="a wrong password",
        )
        queue(["ada@example.org"])
        assert mail.deliver_queued().retry == 1
        message = row("ada@example.org")
        assert "refused the user name or password (LMS_SMTP_USER, LMS_SMTP_PASSWORD)" in message.error
        assert recorder.received == []

        app.config["SMTP_PASSWORD"] = "the right password"
        db.session.execute(text("UPDATE outbox_message SET next_attempt_at = NULL"))
        db.session.commit()
        assert mail.deliver_queued().sent == 1
        # (smtplib tries each mechanism the server offers before it gives up on a password)
        assert logins[0] == ("lms", "a wrong password") and logins[-1] == ("lms", "the right password")
        assert recorder.recipients == ["ada@example.org"]
    finally:
        controller.stop()


# --- refusals and retries ------------------------------------------------------------------------


def test_a_refusal_for_now_is_retried_with_backoff_and_one_for_good_fails_at_once(app, smtp, recorder):
    recorder.refuse = {
        "later@example.org": "451 4.3.0 Mailbox busy, try again later",
        "never@example.org": "550 5.1.1 No such user here",
    }
    queue(["first@example.org", "later@example.org", "never@example.org", "last@example.org"])
    started = utcnow()

    done = mail.deliver_queued()

    # The others in the batch still went, over the same connection.
    assert (done.sent, done.retry, done.failed) == (2, 1, 1)
    assert recorder.recipients == ["first@example.org", "last@example.org"] and len(recorder.connections) == 1
    never = row("never@example.org")
    assert never.state == "failed" and "550 5.1.1 No such user here" in never.error
    later = row("later@example.org")
    assert later.state == "retry" and later.attempts == 1 and "451 4.3.0 Mailbox busy" in later.error
    assert timedelta(seconds=50) < later.next_attempt_at - started < timedelta(seconds=70)

    # Not due yet: nothing is tried. Then each wait in turn, and after the last one it fails.
    assert not mail.deliver_queued()
    for attempt, wait in enumerate(mail.RETRY_AFTER, start=2):
        moment = row("later@example.org").next_attempt_at + timedelta(seconds=1)
        with time_machine.travel(moment, tick=False):
            assert not mail.deliver_queued().sent
        later = row("later@example.org")
        assert later.attempts == attempt
        if attempt <= len(mail.RETRY_AFTER):
            assert later.state == "retry"
            assert later.next_attempt_at - moment == pytest.approx(mail.RETRY_AFTER[attempt - 1], abs=timedelta(seconds=2))
    assert later.state == "failed" and "not tried again" in later.error
    with time_machine.travel(moment + timedelta(days=1), tick=False):
        assert not mail.deliver_queued()
    assert recorder.recipients.count("later@example.org") == 0

    # A refusal for now that clears: the next try delivers it.
    recorder.refuse = {"busy@example.org": "452 4.2.2 Mailbox full"}
    queue(["busy@example.org"])
    assert mail.deliver_queued().retry == 1
    recorder.refuse = {}
    with time_machine.travel(row("busy@example.org").next_attempt_at + timedelta(seconds=1), tick=False):
        assert mail.deliver_queued().sent == 1
    assert row("busy@example.org").state == "sent" and row("busy@example.org").attempts == 2


def test_a_server_that_cannot_be_reached_leaves_the_batch_waiting(app):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SMTP_STARTTLS=False)  # nobody listens
    queue(["ada@example.org", "ben@example.org"])
    done = mail.deliver_queued()
    assert done.retry == 2
    for recipient in ("ada@example.org", "ben@example.org"):
        message = row(recipient)
        assert message.state == "retry" and message.attempts == 1 and message.next_attempt_at is not None
        assert "Could not connect to 127.0.0.1" in message.error


# --- a connection dropped after DATA -------------------------------------------------------------


def test_a_connection_lost_after_data_leaves_the_message_unknown_for_an_administrator(app, smtp, recorder, client, auth):
    recorder.drop_after_data = {"lost@example.org"}
    queue(["before@example.org", "lost@example.org", "after@example.org"])

    done = mail.deliver_queued()

    assert (done.sent, done.unknown) == (2, 1)
    assert states() == {"before@example.org": "sent", "lost@example.org": "unknown", "after@example.org": "sent"}
    lost = row("lost@example.org")
    assert "may or may not have been delivered" in lost.error
    # The server did get it: sending it again by itself would be a second copy. It never is.
    with time_machine.travel(utcnow() + timedelta(days=1), tick=False):
        assert not mail.deliver_queued()
    assert recorder.recipients.count("lost@example.org") == 1

    admin = auth.login_as("admin")
    listing = client.get("/admin/outbox").get_data(as_text=True)
    assert "1 message may or may not have been delivered" in listing
    assert 'tag tag-orange">Not known if sent' in listing
    only = client.get("/admin/outbox?state=unknown").get_data(as_text=True)
    assert "lost@example.org" in only and "before@example.org" not in only
    page = client.get(f"/admin/outbox/{lost.id}").get_data(as_text=True)
    assert "This message may or may not have been delivered" in page
    assert "Ask them whether it arrived" in page and str(escape(mail.message_id(lost))) in page
    assert "Send again" in page

    recorder.drop_after_data = set()
    response = client.post(f"/admin/outbox/{lost.id}/send-again")
    assert response.status_code == 302
    assert "Queued to send again" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert row("lost@example.org").state == "queued"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "outbox.sent_again"))
    assert event.actor_id == admin.id and event.details["previous_state"] == "unknown"
    assert event.target_id == str(lost.id)
    mail.deliver_queued()
    assert row("lost@example.org").state == "sent" and recorder.recipients.count("lost@example.org") == 2

    # A message on its way cannot be queued a second time.
    client.post(f"/admin/outbox/{lost.id}/send-again")
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "outbox.sent_again")) == 1


def test_only_administrators_send_a_message_again(app, smtp, client, auth):
    (message_id,) = queue(["ada@example.org"])
    db.session.execute(text("UPDATE outbox_message SET state = 'unknown'"))
    db.session.commit()
    auth.login_as("lead")
    assert client.post(f"/admin/outbox/{message_id}/send-again").status_code == 403
    assert states() == {"ada@example.org": "unknown"}


# --- workers side by side, and a worker that dies ------------------------------------------------


def test_two_workers_at_once_never_send_a_message_twice(app, tmp_path, smtp, recorder):
    count = 240
    queue([f"person{n:03d}@example.org" for n in range(count)])
    recorder.delay = 0.01  # so that the two overlap
    env = worker_env(app, tmp_path, smtp.port)
    workers = [
        subprocess.Popen([str(LMS), "deliver-mail", "--once"], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [w.communicate(timeout=120) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    sent = [int(re.search(r"sent (\d+)", out).group(1)) for out, _ in outputs]
    assert sorted(recorder.recipients) == sorted(states()) and len(recorder.recipients) == count
    assert sum(sent) == count and min(sent) > 0, sent  # both worked, on different messages
    assert set(states().values()) == {"sent"}


def test_a_worker_killed_between_claim_and_send_leaves_the_message_to_an_administrator(
    app, tmp_path, smtp, recorder, client, auth
):
    queue(["first@example.org", "second@example.org"])
    recorder.stall_rcpt.set()
    worker = subprocess.Popen([str(LMS), "deliver-mail", "--once"], env=worker_env(app, tmp_path, smtp.port),
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert recorder.stalled.wait(60), "the worker never reached the server"
        assert states() == {"first@example.org": "sending", "second@example.org": "queued"}
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        worker.kill()
    recorder.stall_rcpt.clear()
    recorder.release.set()

    # Another worker sends the rest but leaves the claimed one: its owner may still be at work.
    assert mail.deliver_queued().sent == 1
    assert states() == {"first@example.org": "sending", "second@example.org": "sent"}
    # Once the claim is old, it is marked for an administrator, and still never sent by itself.
    with time_machine.travel(utcnow() + mail.CLAIM_EXPIRES + timedelta(minutes=1), tick=False):
        assert not mail.deliver_queued()
    first = row("first@example.org")
    assert first.state == "unknown" and "The delivery worker stopped while sending" in first.error
    assert recorder.recipients == ["second@example.org"]
    auth.login_as("admin")
    assert "1 message may or may not have been delivered" in client.get("/admin/outbox").get_data(as_text=True)


def test_the_worker_stops_cleanly_on_sigterm(app, tmp_path, smtp, recorder):
    worker = subprocess.Popen([str(LMS), "deliver-mail"], env=worker_env(app, tmp_path, smtp.port), cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        queue(["ada@example.org"])
        deadline = time.monotonic() + 60
        while recorder.recipients != ["ada@example.org"] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert recorder.recipients == ["ada@example.org"]  # the loop polls and finds new mail
        worker.send_signal(signal.SIGTERM)
        _, log = worker.communicate(timeout=10)
    finally:
        worker.kill()
    assert worker.returncode == 0
    assert re.search(r"\d\d:\d\d:\d\d,\d+ INFO \[-\] lms\.mail_commands: Mail delivery stopped", log), log


# --- reminders commit one person at a time -------------------------------------------------------


def test_a_reminder_run_stopped_part_way_never_reminds_anyone_twice(app, runner, smtp, recorder, monkeypatch):
    from lms.dates import local_today

    today = local_today()
    for name in ("ann", "bob", "cat"):
        make_user(email=f"{name}@example.org", categories=("contractor",), start_date=today - timedelta(days=30))
    db.session.commit()
    real_send = reminders.send_email

    def send_then_die_at_bob(recipient, subject, body):
        if recipient == "bob@example.org":
            raise RuntimeError("the process dies here")
        return real_send(recipient, subject, body)

    monkeypatch.setattr(reminders, "send_email", send_then_die_at_bob)
    died = runner.invoke(args=["lms", "send-reminders"])
    assert isinstance(died.exception, RuntimeError)
    db.session.rollback()
    # Ann's reminder was committed with its log entry, and the worker may send it already.
    assert states() == {"ann@example.org": "queued"}
    assert mail.deliver_queued().sent == 1

    monkeypatch.setattr(reminders, "send_email", real_send)
    assert runner.invoke(args=["lms", "send-reminders"]).exit_code == 0
    mail.deliver_queued()
    assert sorted(recorder.recipients) == ["ann@example.org", "bob@example.org", "cat@example.org"]
    assert db.session.scalar(select(func.count(func.distinct(ReminderLog.user_id)))) == 3


# --- the migration -------------------------------------------------------------------------------


def test_messages_from_before_the_worker_get_the_state_they_were_in(database_url, tmp_path):
    app = make_test_app(database_url, tmp_path)
    _empty(app)
    with app.app_context():
        upgrade(revision="fcd0c9a4905a")
        with db.engine.begin() as conn:
            for recipient, sent_at, error in (
                ("sent@example.org", "2026-11-25 10:00:00", None),
                ("failed@example.org", None, "Connection refused"),
                ("outbox@example.org", None, None),
            ):
                conn.execute(
                    text("INSERT INTO outbox_message (recipient, subject, body, created_at, sent_at, error) "
                         "VALUES (:r, 'Hello', 'Hi', '2026-11-25 09:00:00', :s, :e)"),
                    {"r": recipient, "s": sent_at, "e": error},
                )
        upgrade()
        found = dict(db.session.execute(select(OutboxMessage.recipient, OutboxMessage.state)).all())
        assert found == {"sent@example.org": "sent", "failed@example.org": "failed", "outbox@example.org": "outbox_only"}
        # Nothing from before is emailed again.
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port())
        assert not mail.deliver_queued()
        db.session.remove()
        db.engine.dispose()
    _empty(app)

