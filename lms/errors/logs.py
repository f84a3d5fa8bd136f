"""Logging to stderr, each line with the time, the level and the id of the request it belongs to.

Every request gets a random id, sent back as the `X-Request-Id` header and shown on error
pages, so a person can quote it and an administrator can find the request's lines in the log
(a 500's traceback among them). Lines logged outside a request (commands, the mail worker)
carry "-".
"""

from __future__ import annotations

import logging
import secrets
import sys

from flask import Flask, g, has_request_context
from flask.logging import default_handler

FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"


def request_id() -> str:
    """This request's id, made on first use."""
    if "request_id" not in g:
        g.request_id = secrets.token_hex(6)
    return g.request_id


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id() if has_request_context() else "-"
        return True


class _Handler(logging.StreamHandler):
    """The LMS's one handler; a class of its own, so that building the app again (tests, the
    `lms` command) finds it in place instead of adding a second. It writes to whatever
    sys.stderr is at the time (a test runner swaps it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def init_app(app: Flask) -> None:
    logger = logging.getLogger("lms")  # app.logger, and every lms.* module's logger beneath it
    logger.removeHandler(default_handler)
    if not any(isinstance(h, _Handler) for h in logger.handlers):
        handler = _Handler()
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.addFilter(_RequestIdFilter())
        logger.addHandler(handler)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)

    @app.before_request
    def _assign_request_id() -> None:
        request_id()

    @app.after_request
    def _send_request_id(response):
        response.headers["X-Request-Id"] = request_id()
        return response
