"""One owner for the transaction.

Operations change state and flush; they never commit, roll back or abort. They raise a
`DomainError` when what was asked cannot be done: `NotFound` (answered 404, the same page as
an address that does not exist) or `Conflict` (409, with the operation's message).

A request is one unit of work. When the view's response is below 400 (a page, a redirect
after a form, a download), its changes are committed before the response is sent, so a
failed commit is a 500 and nobody is told "saved" about something that was not. Any other
response, and any exception, rolls back. A view that re-draws a form with errors after an
operation refused calls `discard()` first, so nothing half-done is kept.

Mail is part of the same transaction: an email is an outbox row (lms/mail.py), delivered
by `lms deliver-mail` only once the row is committed.

Commands are their own web layer: each commits once per unit of work (one person's
reminders, one delivered message, one import) with `db.session.commit()`.
"""

from __future__ import annotations

from flask import Flask, Response

from .extensions import db


class DomainError(Exception):
    """What an operation was asked cannot be done; routes answer it with `status`."""

    status = 409

    def __init__(self, message: str = ""):
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """No such thing, or not the asker's to see: the same answer for both, so nobody learns
    which ids exist."""

    status = 404


class Conflict(DomainError):
    """The thing exists but is in a state that does not allow the change (already
    submitted, already decided, no attempts left)."""

    status = 409


def discard() -> None:
    """Drop this request's changes, e.g. before re-drawing a form an operation refused."""
    db.session.rollback()


def init_app(app: Flask) -> None:
    @app.after_request
    def _finish(response: Response) -> Response:
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response

    from .errors import render_error

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        db.session.rollback()
        return render_error(error.status, error.message or None)
