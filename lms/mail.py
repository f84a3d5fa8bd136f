"""Email: every message is kept in the outbox; sent by SMTP when LMS_SMTP_HOST is set."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app

from .extensions import db
from .models import OutboxMessage, utcnow


def send_email(recipient: str, subject: str, body: str) -> OutboxMessage:
    """Queue a message in the outbox and, with SMTP configured, send it now.

    The caller commits; a message is never sent for a change that is rolled back
    because sending happens after the flush of the same transaction only when SMTP is set.
    """
    message = OutboxMessage(recipient=recipient, subject=subject, body=body)
    db.session.add(message)
    cfg = current_app.config
    if cfg["SMTP_HOST"]:
        email = EmailMessage()
        email["From"] = cfg["MAIL_FROM"]
        email["To"] = recipient
        email["Subject"] = subject
        email.set_content(body)
        try:
            with smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=15) as smtp:
                if cfg["SMTP_STARTTLS"]:
                    smtp.starttls()
                if cfg["SMTP_USER"]:
                    smtp.login(cfg["SMTP_USER"], cfg["SMTP_PASSWORD"])
                smtp.send_message(email)
            message.sent_at = utcnow()
        except (OSError, smtplib.SMTPException) as exc:
            current_app.logger.warning("SMTP delivery to %s failed: %s", recipient, exc)
            message.error = str(exc)
    return message
