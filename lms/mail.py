"""Email: every message is kept in the outbox; sent by SMTP when LMS_SMTP_HOST is set."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app

from .extensions import db
from .models import OutboxMessage, utcnow


def send_email(recipient: str, subject: str, body: str) -> OutboxMessage:
    """Keep the message in the outbox and, with SMTP configured, send it now.

    The outbox row joins the caller's transaction (the caller commits). A delivery failure
    is recorded on the row and logged, never raised: the change that caused the email stands.
    """
    message = OutboxMessage(recipient=recipient, subject=subject, body=body)
    db.session.add(message)
    deliver(message)
    return message


def deliver(message: OutboxMessage) -> None:
    """Send a kept message by SMTP when it is configured, recording the outcome on its row."""
    cfg = current_app.config
    if cfg["SMTP_HOST"]:
        email = EmailMessage()
        email["From"] = cfg["MAIL_FROM"]
        email["To"] = message.recipient
        email["Subject"] = message.subject
        email.set_content(message.body)
        try:
            with smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=15) as smtp:
                if cfg["SMTP_STARTTLS"]:
                    smtp.starttls()
                if cfg["SMTP_USER"]:
                    smtp.login(cfg["SMTP_USER"], cfg["SMTP_PASSWORD"])
                smtp.send_message(email)
            message.sent_at = utcnow()
        except (OSError, smtplib.SMTPException) as exc:
            current_app.logger.warning("SMTP delivery to %s failed: %s", message.recipient, exc)
            message.error = str(exc)
