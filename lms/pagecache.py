"""Learners' most-opened pages, kept rendered in each app process and served again while
nothing they were drawn from has changed.

My training, a lesson and a quiz's page are what people open again and again. Drawing one
costs the signed-in user's rows, the person's training record and a template; serving a
kept copy costs one small query. A kept page is keyed by everything it shows:

- the person: their `user` row (name, email, start date, permission) and its `data_version`,
  which database triggers move on whenever a row of theirs changes (lms/models/versioning.py),
  whichever app server or command made the change;
- the content's stamp (lms/plan/content_cache.py), the training plan file's stamp and
  today's date in the organisation's time zone;
- the page's address with its query string, and the session's CSRF token, which the page's
  forms carry.

The person's row and the content stamp come from one query per request (in autocommit on
PostgreSQL: one round trip), so a change made through another app server is seen at once. A page is not kept when a flash message is
waiting, when the request wrote to the database, or when the answer is not a plain 200 page;
and a kept page is only served to a signed-in, active person whose permission the view
allows (the same rule `requires` applies). `LMS_PAGE_CACHE_MB=0` turns all of this off.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import wraps
from typing import Any

from cachetools import LRUCache
from flask import Flask, current_app, g, has_app_context, request, session
from sqlalchemy import bindparam, event, select
from sqlalchemy.orm import Session

from .auth.operations import key_digest
from .dates import local_today
from .extensions import db
from .models import Permission, User, UserSession
from .permissions import declared_permission
from .plan.content_cache import stamp_columns
from .plan.loader import plan_stamp

EXTENSION = "lms.page_cache"

_person = User.__table__.c
_session = UserSession.__table__.c
_PERSON_COLUMNS = (_person.id, _person.name, _person.email, _person.start_date, _person.permission, _person.data_version)
_KEY_QUERY = (
    select(*_PERSON_COLUMNS, *stamp_columns())
    .select_from(User.__table__.join(UserSession.__table__, _session.user_id == _person.id))
    .where(
        _session.key_hash == bindparam("key_hash"),
        _session.ended_at.is_(None),
        _session.user_token == _person.session_token,
        _person.active.is_(True),
    )
)


class PageCache:
    """Rendered pages (UTF-8 bytes) by key, least recently used dropped first, bounded in bytes."""

    def __init__(self, max_bytes: int):
        self._pages: LRUCache = LRUCache(maxsize=max_bytes, getsizeof=len)
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple) -> bytes | None:
        with self._lock:
            page = self._pages.get(key)
            if page is None:
                self.misses += 1
            else:
                self.hits += 1
            return page

    def put(self, key: tuple, page: bytes) -> None:
        if len(page) > self._pages.maxsize:
            return
        with self._lock:
            self._pages[key] = page

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()

    def __len__(self) -> int:
        return len(self._pages)


def init_app(app: Flask) -> None:
    megabytes = app.config["PAGE_CACHE_MB"]
    app.extensions[EXTENSION] = PageCache(megabytes * 1024 * 1024) if megabytes > 0 else None


def page_cache() -> PageCache | None:
    return current_app.extensions.get(EXTENSION)


def cached_page(view: Callable) -> Callable:
    """Serve `view`'s page from the cache when it may be; keep it when it may be kept.

    Goes directly under `@bp.route`, above `@requires(...)`, so a kept page is found before
    the person's full record is loaded."""
    needed = declared_permission(view)
    if not isinstance(needed, Permission):
        raise TypeError(f"{view.__name__}: @cached_page goes above @requires(...)")

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any):
        cache = page_cache()
        key = _key(needed) if cache is not None and request.method in ("GET", "HEAD") else None
        if key is None:
            return view(*args, **kwargs)
        page = cache.get(key)
        if page is not None:
            return current_app.response_class(page, mimetype="text/html")
        g.lms_wrote = False
        result = view(*args, **kwargs)
        if isinstance(result, str) and not g.lms_wrote and session.get("csrf_token") == key[-1]:
            cache.put(key, result.encode())
        return result

    return wrapped


def _key(needed: Permission) -> tuple | None:
    """What the page depends on, or None when this request must not use the cache."""
    token = session.get("_user_id")
    csrf = session.get("csrf_token")
    if not token or not csrf or "_flashes" in session:
        return None
    row = _read_key(token)
    if row is None:
        return None
    person, stamp = tuple(row[: len(_PERSON_COLUMNS)]), tuple(row[len(_PERSON_COLUMNS) :])
    if person[4] < needed:
        return None  # let the view refuse it
    g.content_stamp = stamp  # the content snapshot's check, already made
    return (request.endpoint, request.full_path, person, stamp, plan_stamp(), local_today(), csrf)


def _read_key(token: str):
    """The person's row and the content stamp. SQLite opens no transaction for a read, so the
    session's own connection is used there and a miss reuses it."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        return _read_key_postgresql(engine, token)
    return db.session.connection().execute(_KEY_QUERY, {"key_hash": key_digest(token)}).first()


_compiled: dict[Any, tuple[str, dict]] = {}


def _read_key_postgresql(engine, token: str):
    """On PostgreSQL the key is most of a kept page's cost, so it is read straight on the
    pooled psycopg connection, in autocommit: one round trip (no BEGIN, no ROLLBACK when the
    connection goes back) and no per-statement work in SQLAlchemy. Measured in process:
    0.39 ms through a SQLAlchemy connection in autocommit, 0.24 ms so, out of about 1 ms."""
    compiled = _compiled.get(engine.dialect)
    if compiled is None:
        statement = _KEY_QUERY.compile(dialect=engine.dialect)
        compiled = _compiled[engine.dialect] = (str(statement), dict(statement.params))
    sql, params = compiled
    pooled = engine.raw_connection()  # the pool's checkout, with its pre-ping
    try:
        driver = pooled.driver_connection
        driver.autocommit = True
        try:
            return driver.execute(sql, {**params, "key_hash": key_digest(token)}).fetchone()
        finally:
            if not driver.closed:
                driver.autocommit = False
    except engine.dialect.loaded_dbapi.Error as error:
        if engine.dialect.is_disconnect(error, driver, None):
            pooled.invalidate(error)  # never handed out again
        raise
    finally:
        pooled.close()


def _wrote(*_args: Any) -> None:
    if has_app_context():
        g.lms_wrote = True


@event.listens_for(Session, "do_orm_execute")
def _statement(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        _wrote()


event.listen(Session, "after_flush", _wrote)
