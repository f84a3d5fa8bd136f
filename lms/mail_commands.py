"""`lms deliver-mail`: the delivery worker that sends queued emails, beside the app servers."""

from __future__ import annotations

import logging
import signal
import threading
import time
from contextlib import contextmanager

import click
from flask import current_app

from . import mail
from .cli import lms_group
from .extensions import db

log = logging.getLogger(__name__)

POLL_SECONDS = 5


@lms_group.command("deliver-mail")
@click.option("--once", is_flag=True, help="Deliver what is queued now, then exit (default: keep polling).")
def deliver_mail_command(once: bool) -> None:
    """Send queued emails over SMTP once they are committed; stop with SIGTERM or Ctrl-C."""
    cfg = current_app.config
    with _stop_on_signals() as stop:
        if not cfg["SMTP_HOST"]:
            notice = "LMS_SMTP_HOST is not set: emails are not sent; administrators read them in the Outbox."
            if once:
                click.echo(notice)
                return
            log.warning(notice)
            _sleep_until(stop, None)  # `make run` runs a worker all the same: it stops with the app
            return
        if once:
            click.echo(f"Delivered: {mail.deliver_queued(stop.is_set)}.")
            return
        log.info("Delivering mail through %s:%s, looking for queued messages every %d seconds",
                 cfg["SMTP_HOST"], cfg["SMTP_PORT"], POLL_SECONDS)
        while not stop.is_set():
            try:
                done = mail.deliver_queued(stop.is_set)
                if done:
                    log.info("Delivered: %s", done)
            except Exception:
                # The database or the network failed: say so and carry on at the next poll.
                log.exception("Delivering mail failed; trying again in %d seconds", POLL_SECONDS)
                db.session.rollback()
            finally:
                db.session.remove()
            _sleep_until(stop, POLL_SECONDS)
        log.info("Mail delivery stopped")


@contextmanager
def _stop_on_signals():
    """An event set by SIGTERM or SIGINT, which finish the message being sent, then stop."""
    stop = threading.Event()
    wanted = (signal.SIGTERM, signal.SIGINT)
    previous = {signum: signal.getsignal(signum) for signum in wanted}
    for signum in wanted:
        signal.signal(signum, lambda signum, frame: stop.set())
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _sleep_until(stop: threading.Event, seconds: float | None) -> None:
    """Short sleeps rather than Event.wait: the signal handler that sets `stop` runs in this
    thread, and must not wait for a lock that Event.wait holds."""
    deadline = None if seconds is None else time.monotonic() + seconds
    while not stop.is_set() and (deadline is None or time.monotonic() < deadline):
        time.sleep(0.2)
