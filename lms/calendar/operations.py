"""Making, resetting and following a person's calendar link.

The link holds a random token; only its SHA-256 hash is stored, so the link is shown once,
when it is made. Making a new one replaces the hash, and the old link stops working at once.
"""

from __future__ import annotations

import secrets

from sqlalchemy import delete, select

from .. import audit
from ..auth.operations import key_digest
from ..extensions import db
from ..links import external_url
from ..models import CalendarFeed, User, utcnow
from ..people.personal_data import PersonalDataSource, register
from ..transaction import NotFound


def feed_of(person: User) -> CalendarFeed | None:
    return db.session.get(CalendarFeed, person.id)


def new_link(person: User) -> str:
    """A fresh calendar link for `person` (its address under LMS_BASE_URL); any earlier link
    stops working. Audited, as made or as reset."""
    raw = secrets.token_urlsafe(32)
    feed = feed_of(person)
    action = "calendar.link_reset" if feed is not None else "calendar.link_made"
    if feed is None:
        feed = CalendarFeed(user_id=person.id)
        db.session.add(feed)
    feed.token_hash = key_digest(raw)
    feed.created_at = utcnow()
    audit.record(action, person, actor=person)
    db.session.flush()
    return external_url("calendar.show_feed", token=raw)


def person_for(token: str) -> User:
    """The active person whose calendar link holds `token`; NotFound for any other token."""
    person = db.session.scalar(
        select(User)
        .join(CalendarFeed, CalendarFeed.user_id == User.id)
        .where(CalendarFeed.token_hash == key_digest(token), User.active.is_(True))
    )
    if person is None:
        raise NotFound()
    return person


def _export(person: User) -> dict | None:
    feed = feed_of(person)
    return None if feed is None else {"created_at": feed.created_at.isoformat()}


def _purge(person: User) -> None:
    db.session.execute(delete(CalendarFeed).where(CalendarFeed.user_id == person.id))


register(
    PersonalDataSource("calendar", "The private calendar link (when it was made, not the link)", _export, purge=_purge)
)
