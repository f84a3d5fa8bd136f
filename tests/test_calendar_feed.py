"""Each person's private calendar feed: made and reset on My training, read without signing in."""

from __future__ import annotations

import re
from datetime import date, timedelta

from icalendar import Calendar
from sqlalchemy import select

from lms.extensions import db
from lms.models import AuditEvent, CalendarFeed, Completion
from lms.plan import standing

from .factories import make_user


def _get_link(client) -> str:
    page = client.post("/my-training/calendar-link")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    link = re.search(r'id="calendar-link" type="text" readonly value="([^"]+)"', html).group(1)
    assert link.startswith("http://localhost/calendar/") and link.endswith(".ics")
    assert f'href="{link.replace("http://", "webcal://")}"' in html  # "Add to your calendar"
    return link


def _events(response) -> dict[str, object]:
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    return {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}


def test_a_learner_gets_a_link_that_lists_deadlines_and_expiries_without_signing_in(app, client, auth, today):
    ada = auth.login_as("learner", name="Ada Lovelace", start_date=today - timedelta(days=3))
    home = client.get("/").get_data(as_text=True)
    assert "Add to your calendar" in home and "Get a calendar link" in home

    link = _get_link(client)
    assert db.session.scalar(select(CalendarFeed.token_hash)) not in link  # stored hashed only
    client.post("/logout")

    rows = db.session.execute(
        select(standing.Standing.kind, standing.Standing.ref, standing.Standing.deadline).where(
            standing.Standing.user_id == ada.id
        )
    ).all()
    assert rows
    events = _events(client.get(link.removeprefix("http://localhost")))
    assert len(events) == len(rows)
    for row in rows:
        due = [e for name, e in events.items() if name.startswith("Due: ") and e.decoded("DTSTART") == row.deadline]
        assert due, row.ref
    # Titles and dates only: nothing about who the person is.
    body = client.get(link.removeprefix("http://localhost")).get_data(as_text=True)
    assert "Ada" not in body and ada.email not in body
    assert "DESCRIPTION" not in body and "ATTENDEE" not in body

    # Once done, an item that renews shows the day it expires instead of its deadline.
    renewing = next(r for r in rows if (r.kind, r.ref) == ("course", "prevent-awareness"))
    db.session.add(Completion(user_id=ada.id, kind=renewing.kind, ref=renewing.ref, completed_on=today, source="lms"))
    db.session.flush()
    standing.refresh([ada.id])
    db.session.commit()
    row = db.session.scalar(
        select(standing.Standing).where(
            standing.Standing.user_id == ada.id,
            standing.Standing.kind == "course",
            standing.Standing.ref == renewing.ref,
        )
    )
    assert row.valid_until > today
    events = _events(client.get(link.removeprefix("http://localhost")))
    expiring = [e for name, e in events.items() if name.startswith("Expires: ")]
    assert [e.decoded("DTSTART") for e in expiring] == [row.valid_until]
    assert str(expiring[0]["UID"]).startswith("course.prevent-awareness.expiry.")
    assert not any(str(e["UID"]).startswith("course.prevent-awareness.deadline.") for e in events.values())

    audit = db.session.scalars(select(AuditEvent.action).where(AuditEvent.target_id == str(ada.id))).all()
    assert "calendar.link_made" in audit


def test_resetting_the_link_makes_the_old_one_stop_working(client, auth, today):
    ada = auth.login_as("learner")
    old = _get_link(client)
    home = client.get("/").get_data(as_text=True)
    assert "Reset the link" in home and "Get a calendar link" not in home
    assert f"You made a calendar link on {today.day} " in home

    page = client.post("/my-training/calendar-link").get_data(as_text=True)
    assert "Your old calendar link no longer works" in page
    new = re.search(r'id="calendar-link" type="text" readonly value="([^"]+)"', page).group(1)
    assert new != old
    assert client.get(old.removeprefix("http://localhost")).status_code == 404
    assert client.get(new.removeprefix("http://localhost")).status_code == 200
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.target_id == str(ada.id)).order_by(AuditEvent.id)
    ).all()
    assert actions[-2:] == ["calendar.link_made", "calendar.link_reset"]
    assert db.session.scalar(select(db.func.count()).select_from(CalendarFeed)) == 1


def test_a_wrong_token_or_a_leavers_link_answers_404(client, auth):
    ada = auth.login_as("learner")
    link = _get_link(client).removeprefix("http://localhost")
    assert client.get("/calendar/not-a-token.ics").status_code == 404
    assert client.get(link[:-8] + "xxxx.ics").status_code == 404
    ada.active = False
    db.session.commit()
    assert client.get(link).status_code == 404


def test_each_person_sees_only_their_own_dates(client, auth, today):
    auth.login_as("learner", start_date=today)
    mine = _get_link(client).removeprefix("http://localhost")
    other = make_user(categories=("director",), start_date=date(2020, 1, 1))
    auth.login(other)
    theirs = _get_link(client).removeprefix("http://localhost")
    client.post("/logout")
    assert client.get(mine).data != client.get(theirs).data


def test_getting_a_link_needs_signing_in(client):
    response = client.post("/my-training/calendar-link")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert db.session.scalar(select(CalendarFeed.user_id)) is None
