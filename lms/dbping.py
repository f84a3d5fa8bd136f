"""Test a pooled database connection before use only when it has sat idle.

SQLAlchemy's `pool_pre_ping` sends a round trip to the database at every checkout, so that a
connection the server dropped (a restart, an idle timeout, a failover) is replaced rather
than failing a request. On PostgreSQL that ping was a quarter of a kept learner page (0.3 of
1.2 ms in process): the page itself is one query.

A connection handed back less than `FRESH_S` seconds ago was working then, so it is handed
out as it is; one idle longer is pinged with the dialect's own ping, and a dead one is thrown
away and replaced (raising `DisconnectionError` in a checkout handler makes the pool retry).
A server restart takes longer than `FRESH_S`, and requests made while it is down fail and
invalidate the pool's connections as SQLAlchemy does without a ping: so nothing that the
ping on every checkout would have saved is lost.
"""

from __future__ import annotations

import time

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

FRESH_S = 1.0
_RETURNED = "lms.returned_at"


def ping_when_idle(engine: Engine) -> None:
    dialect = engine.dialect

    @event.listens_for(engine, "connect")
    def _made(dbapi_connection, record) -> None:
        record.info[_RETURNED] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _returned(dbapi_connection, record) -> None:
        record.info[_RETURNED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection, record, proxy) -> None:
        returned = record.info.get(_RETURNED)
        if returned is not None and time.monotonic() - returned < FRESH_S:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                raise exc.DisconnectionError(str(error)) from error
            raise
