"""A person's calendar (iCalendar, RFC 5545): an all-day event on each deadline of what they
have not done, and on each date a completion lapses. Titles and dates only: the link answers
without signing in, so it says nothing a stranger holding it should not read."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app
from icalendar import Calendar, Event
from sqlalchemy import select

from ..extensions import db
from ..links import base_url
from ..models import Standing, User, utcnow
from ..plan.content import content_snapshot
from ..plan.loader import current_plan


def dates_of(person: User) -> list[tuple[str, str, date]]:
    """(uid part, summary, day) for each event, in date order, from standing."""
    plan = current_plan()
    titles = content_snapshot().titles
    rows = db.session.execute(
        select(Standing.kind, Standing.ref, Standing.deadline, Standing.completed_on, Standing.valid_until).where(
            Standing.user_id == person.id
        )
    ).all()
    events = []
    for kind, ref, deadline, completed_on, valid_until in rows:
        title = plan.title_of(kind, ref, titles)
        if completed_on is None:
            events.append((f"{kind}.{ref}.deadline", f"Due: {title}", deadline))
        elif valid_until is not None:
            events.append((f"{kind}.{ref}.expiry", f"Expires: {title}", valid_until))
    return sorted(events, key=lambda e: (e[2], e[1]))


def calendar_for(person: User, now: datetime | None = None) -> bytes:
    now = now or utcnow()
    host = urlsplit(base_url()).hostname
    org_name = current_app.config["ORG_NAME"]
    calendar = Calendar()
    calendar.add("prodid", f"-//{org_name}//Prevent training//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"{org_name} training")
    # Calendar apps poll the link; twice a day is enough for dates that move by the day.
    calendar.add("refresh-interval", timedelta(hours=12), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", timedelta(hours=12))
    for uid, summary, day in dates_of(person):
        event = Event()
        # Stable per person and item, so a calendar app updates the event when the date moves.
        event.add("uid", f"{uid}.{person.id}@{host}")
        event.add("dtstamp", now)
        event.add("summary", summary)
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar.to_ical()
