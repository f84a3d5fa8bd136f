"""Email: sending queues a message in the Outbox, in the transaction of the change that sends
it; the delivery worker (`lms deliver-mail`, lms/mail_commands.py) sends queued messages once
they are committed. No request ever waits for a mail server.

With no SMTP server set (LMS_SMTP_HOST), messages are not emailed: administrators read them in
the Outbox. The worker claims each message (queued to sending, committed) just before it hands
it to the server, so two workers never send the same one, and records the server's answer:

- accepted: sent;
- refused for now (a 4xx answer, or no connection at all): tried again after each wait in
  RETRY_AFTER, then failed;
- refused for good (5xx): failed;
- the connection lost after the message went to the server, before its answer: unknown. The
  server may have accepted it, so it is not sent again unless an administrator says so.

A worker that stops mid-send (a crash, a killed process) leaves its one message "sending";
once its claim is older than CLAIM_EXPIRES, the next worker marks it unknown too.
"""

from __future__ import annotations

import logging
import re
import smtplib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from email.charset import QP, Charset
from email.header import Header
from email.mime.text import MIMEText
from email.utils import format_datetime

from flask import current_app
from sqlalchemy import Connection, Row, or_, select, update

from . import audit
from .extensions import db
from .models import OutboxMessage, User, utcnow
from .models.system import MailState

log = logging.getLogger(__name__)

RETRY_AFTER = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
# Longer than one message can take: each SMTP command times out after SMTP_TIMEOUT seconds.
CLAIM_EXPIRES = timedelta(minutes=15)
SMTP_TIMEOUT = 30
# Messages per SMTP connection: mail services limit how many one connection may carry.
BATCH_SIZE = 100

CLAIMABLE = (MailState.QUEUED.value, MailState.RETRY.value)
SEND_AGAIN_FROM = (MailState.UNKNOWN, MailState.FAILED, MailState.OUTBOX_ONLY)

# Bodies as quoted-printable UTF-8 (readable, and 7-bit, so any server takes them as they are).
_UTF8_QUOTED_PRINTABLE = Charset("utf-8")
_UTF8_QUOTED_PRINTABLE.body_encoding = QP


def new_message_state() -> MailState:
    return MailState.QUEUED if current_app.config["SMTP_HOST"] else MailState.OUTBOX_ONLY


def outbox_row(recipient: str, subject: str, body: str) -> dict:
    """A new message's values, for `send_email` or a bulk insert of many (the roster import)."""
    return {"recipient": recipient, "subject": subject, "body": body, "state": new_message_state().value}


def send_email(recipient: str, subject: str, body: str) -> OutboxMessage:
    """Queue a message in the caller's transaction: it is sent only if the caller commits."""
    message = OutboxMessage(**outbox_row(recipient, subject, body))
    db.session.add(message)
    return message


class CannotSendAgain(Exception):
    pass


def send_again(message: OutboxMessage, actor: User) -> None:
    """An administrator's choice to send once more a message that failed, whose delivery is not
    known, or that was never emailed; audited, because the person may get it twice."""
    if message.mail_state not in SEND_AGAIN_FROM:
        raise CannotSendAgain(f"This message is {message.mail_state.label.lower()}, so it was not queued again.")
    if not current_app.config["SMTP_HOST"]:
        raise CannotSendAgain("No SMTP server is set (LMS_SMTP_HOST), so messages cannot be emailed.")
    audit.record(
        "outbox.sent_again", message, actor=actor, recipient=message.recipient, subject=message.subject,
        previous_state=message.state, error=message.error,
    )
    message.state = MailState.QUEUED.value
    message.attempts = 0
    message.next_attempt_at = None
    message.claimed_at = None
    db.session.flush()


def message_id(message: OutboxMessage | Row) -> str:
    """The Message-ID header: the same each time one outbox message is sent, so a mail server's
    log can be searched for it and mail programs recognise a second copy."""
    domain = current_app.config["MAIL_FROM"].rpartition("@")[2] or "localhost"
    return f"<outbox-{message.id}.{message.created_at:%Y%m%d%H%M%S}@{domain}>"


# --- the delivery worker ------------------------------------------------------------------------


@dataclass
class Delivery:
    """What one run of the worker did, counted by outcome."""

    sent: int = 0
    retry: int = 0
    failed: int = 0
    unknown: int = 0

    def add(self, state: MailState) -> None:
        setattr(self, state.value, getattr(self, state.value) + 1)

    def __bool__(self) -> bool:
        return any((self.sent, self.retry, self.failed, self.unknown))

    def __str__(self) -> str:
        return (f"sent {self.sent}, to retry {self.retry}, failed {self.failed}, "
                f"not known if delivered {self.unknown}")


@dataclass
class _Outcome:
    state: MailState
    error: str | None = None
    connection_usable: bool = True


def deliver_queued(stopping: Callable[[], bool] = lambda: False) -> Delivery:
    """Send every message due now, a batch at a time, each batch over one SMTP connection.

    Returns when nothing more is due, when the server cannot be reached (the batch waits for
    its retry) or when `stopping()` says so (between two messages).
    """
    done = Delivery()
    if not current_app.config["SMTP_HOST"]:
        return done
    # One database connection for the whole run, committing as it goes: a session would hand
    # its connection back to the pool, and check it again, at every commit.
    with db.engine.connect() as conn:
        _mark_abandoned_unknown(conn)
        local_hostname = socket.getfqdn()
        while not stopping():
            batch = conn.execute(
                select(OutboxMessage.id, OutboxMessage.recipient, OutboxMessage.subject, OutboxMessage.body,
                       OutboxMessage.created_at)
                .where(
                    OutboxMessage.state.in_(CLAIMABLE),
                    or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= utcnow()),
                )
                .order_by(OutboxMessage.id)
                .limit(BATCH_SIZE)
            ).all()
            conn.commit()
            if not batch or not _deliver_batch(conn, batch, local_hostname, stopping, done):
                break
    return done


def _deliver_batch(conn: Connection, batch: list[Row], local_hostname: str, stopping, done: Delivery) -> bool:
    """Claim and send each message in turn over one connection, opened at the first claim.

    Each outcome is committed with the next message's claim, so at most one message at a time
    is "sending". False when the server could not be reached.
    """
    smtp = None
    try:
        for position, message in enumerate(batch):
            if stopping():
                break
            attempts = _claim(conn, message.id)
            conn.commit()
            if attempts is None:
                continue  # another worker has it
            if smtp is None:
                try:
                    smtp = _connect(current_app.config, local_hostname)
                except (OSError, smtplib.SMTPException) as exc:
                    _postpone_unreachable(conn, message.id, attempts, batch[position + 1 :], _connect_problem(exc), done)
                    return False
            outcome = _send(smtp, message)
            _record(conn, message.id, attempts, outcome, done)
            if not outcome.connection_usable:
                smtp.close()
                smtp = None
                break
        conn.commit()
        return True
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()


def _claim(conn: Connection, message_id: int) -> int | None:
    """Take a message to send: a conditional update, so only one worker's succeeds. Returns
    the attempts made so far, or None when another worker has it or it is no longer due."""
    return conn.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.state.in_(CLAIMABLE))
        .values(state=MailState.SENDING.value, claimed_at=utcnow())
        .returning(OutboxMessage.attempts)
    ).scalar()


def _mark_abandoned_unknown(conn: Connection) -> None:
    """A message still "sending" long after its claim was being sent by a worker that stopped."""
    conn.execute(
        update(OutboxMessage)
        .where(OutboxMessage.state == MailState.SENDING.value, OutboxMessage.claimed_at < utcnow() - CLAIM_EXPIRES)
        .values(
            state=MailState.UNKNOWN.value,
            error="The delivery worker stopped while sending this message, so it may or may not have been delivered.",
        )
    )
    conn.commit()


def _tls_context(cfg) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=cfg["SMTP_CA_FILE"] or None)


def _connect(cfg, local_hostname: str) -> smtplib.SMTP:
    smtp = smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], local_hostname=local_hostname, timeout=SMTP_TIMEOUT)
    try:
        if cfg["SMTP_STARTTLS"]:
            smtp.starttls(context=_tls_context(cfg))  # never falls back to sending in the clear
        if cfg["SMTP_USER"]:
            smtp.login(cfg["SMTP_USER"], cfg["SMTP_PASSWORD"])
        else:
            smtp.ehlo_or_helo_if_needed()
    except BaseException:
        smtp.close()
        raise
    return smtp


def _connect_problem(exc: Exception) -> str:
    cfg = current_app.config
    server = f"{cfg['SMTP_HOST']}:{cfg['SMTP_PORT']}"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"{server} refused the user name or password (LMS_SMTP_USER, LMS_SMTP_PASSWORD): {_reply(exc.smtp_code, exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return f"{server} does not offer STARTTLS (LMS_SMTP_STARTTLS): {exc}"
    if isinstance(exc, ssl.SSLError):
        return f"Could not start TLS with {server} (LMS_SMTP_CA_FILE names the certificates to trust): {exc}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{server} refused the connection: {_reply(exc.smtp_code, exc.smtp_error)}"
    return f"Could not connect to {server}: {exc}"


def _send(smtp: smtplib.SMTP, message: Row) -> _Outcome:
    """One SMTP transaction, step by step, so that a lost connection is known to have happened
    before the message went over (safe to try again) or after (perhaps delivered)."""
    sender = current_app.config["MAIL_FROM"]
    handed_over = False
    try:
        data = _as_bytes(message, sender)
        for command, accepted in ((f"MAIL FROM:<{sender}>", (250,)), (f"RCPT TO:<{message.recipient}>", (250, 251))):
            code, reply = smtp.docmd(command)
            if code not in accepted:
                return _refused(smtp, code, reply)
        code, reply = smtp.docmd("DATA")
        if code != 354:
            return _refused(smtp, code, reply)
        handed_over = True
        smtp.send(data)
        code, reply = smtp.getreply()
        if code != 250:
            return _refused(smtp, code, reply, reset=False)
        return _Outcome(MailState.SENT)
    except UnicodeError as exc:
        # Raised before a byte of it was sent: the address or text is not plain ASCII.
        return _Outcome(MailState.FAILED, f"The address cannot be sent to over SMTP: {exc}", _reset(smtp))
    except (OSError, smtplib.SMTPException) as exc:
        problem = str(exc) or type(exc).__name__
        if handed_over:
            return _Outcome(
                MailState.UNKNOWN,
                "The connection was lost after the message was handed to the mail server and before "
                f"it answered ({problem}), so it may or may not have been delivered.",
                connection_usable=False,
            )
        return _Outcome(
            MailState.RETRY, f"The connection was lost before the message was handed over: {problem}", connection_usable=False
        )


def _refused(smtp: smtplib.SMTP, code: int, reply: bytes, reset: bool = True) -> _Outcome:
    """The server said no: for now (4xx) or for good. The connection goes on to the next message
    once the transaction is reset."""
    state = MailState.RETRY if 400 <= code < 500 else MailState.FAILED
    return _Outcome(state, f"The mail server refused it: {_reply(code, reply)}", _reset(smtp) if reset else True)


def _reset(smtp: smtplib.SMTP) -> bool:
    """RSET; False when the connection cannot go on."""
    try:
        return smtp.rset()[0] == 250
    except (OSError, smtplib.SMTPException):
        return False


def _reply(code: int, reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return f"{code} {' '.join(text.split())}"


def _as_bytes(message: Row, sender: str) -> bytes:
    """The message as SMTP's DATA carries it: CRLF line ends, leading dots doubled, a final dot.

    Built with the email package's classic API (compat32), which encodes the same headers and
    body as the modern one for a fraction of the work: the worker builds every message it sends.
    """
    email = MIMEText(message.body, "plain", _UTF8_QUOTED_PRINTABLE)
    email["From"] = sender
    email["To"] = message.recipient
    email["Subject"] = message.subject if message.subject.isascii() else Header(message.subject, "utf-8")
    email["Date"] = format_datetime(message.created_at)
    email["Message-ID"] = message_id(message)
    data = re.sub(rb"\r\n|\r|\n", b"\r\n", email.as_bytes())
    data = re.sub(rb"(?m)^\.", b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


def _record(conn: Connection, message_id: int, attempts_before: int, outcome: _Outcome, done: Delivery) -> None:
    now = utcnow()
    attempts = attempts_before + 1
    state, error, next_attempt_at = outcome.state, outcome.error, None
    if state is MailState.RETRY:
        if attempts > len(RETRY_AFTER):
            state = MailState.FAILED
            error = f"{error} (refused {attempts} times; not tried again)"
        else:
            next_attempt_at = now + RETRY_AFTER[attempts - 1]
    conn.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(
            state=state.value, attempts=attempts, error=error, next_attempt_at=next_attempt_at, claimed_at=None,
            sent_at=now if state is MailState.SENT else None,
        )
    )
    done.add(state)
    if state is not MailState.SENT:
        log.warning("Outbox message %s: %s. %s", message_id, state.label.lower(), error)


def _postpone_unreachable(conn: Connection, claimed_id: int, attempts: int, rest: list[Row], problem: str, done: Delivery) -> None:
    """The server could not be reached, so nothing was handed over: the claimed message and the
    rest of its batch wait for their next attempt. The others are only touched while no other
    worker has claimed them."""
    _record(conn, claimed_id, attempts, _Outcome(MailState.RETRY, problem), done)
    conn.commit()
    for message in rest:
        attempts = _claim(conn, message.id)
        if attempts is not None:
            _record(conn, message.id, attempts, _Outcome(MailState.RETRY, problem), done)
        conn.commit()
