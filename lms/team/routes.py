"""My team: each report's requirements with their status and dates, one page of people at a
time, from the standing table (the dashboard's query, for these people only). Nothing else
about them is shown. The MANAGER relation (lms/permissions.py) opens these pages only to a
line manager, and only on their own reports: anyone else's id answers 404."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SubmitField

from ..dates import local_today
from ..extensions import db
from ..formatting import plural
from ..models import Permission, Standing, User
from ..oversight.operations import columns
from ..pagination import paginate
from ..permissions import Relation, requires
from ..plan import standing
from ..plan.loader import current_plan
from ..plan.status import Status
from ..plan.views import TAG
from ..records.reminders import remind_people
from . import bp


class RemindForm(FlaskForm):
    submit = SubmitField("Send a reminder")


@dataclass(frozen=True)
class TeamItem:
    title: str
    status: Status
    deadline: date | None
    completed_on: date | None
    valid_until: date | None


@dataclass(frozen=True)
class Member:
    id: int
    name: str
    items: list[TeamItem]

    @property
    def needs_action(self) -> bool:
        return any(i.status in (Status.DUE, Status.OVERDUE, Status.EXPIRED, Status.EXPIRING) for i in self.items)


def _members(ids: list[int], today: date) -> list[Member]:
    """The page's reports and their items, in one query over standing."""
    if not ids:
        return []
    plan = current_plan()
    titles = dict(columns(plan))
    order = {key: n for n, key in enumerate(titles)}
    table = Standing.__table__
    t = table.c
    status = standing.status_on(table, today, plan.warning_days).label("status")
    items: dict[int, list[tuple[int, TeamItem]]] = defaultdict(list)
    for r in db.session.execute(
        select(t.user_id, t.kind, t.ref, t.deadline, t.completed_on, t.valid_until, status).where(t.user_id.in_(ids))
    ):
        key = (r.kind, r.ref)
        if key in titles:
            items[r.user_id].append((order[key], TeamItem(titles[key], Status(r.status), r.deadline, r.completed_on, r.valid_until)))
    names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())
    return [Member(i, names[i], [item for _, item in sorted(items[i], key=lambda x: x[0])]) for i in ids]


@bp.route("/team")
@requires(Permission.LEARNER, relation=Relation.MANAGER)
def show_team():
    query = (
        select(User.id)
        .where(User.manager_id == current_user.id, User.active.is_(True))
        .order_by(User.name, User.id)
    )
    page = paginate(query)
    today = local_today()
    return render_template(
        "team/show_team.html", page=page, members=_members(list(page.items), today), today=today, TAG=TAG, form=RemindForm()
    )


@bp.route("/team/<int:user_id>/remind", methods=["POST"])
@requires(Permission.LEARNER, relation=Relation.MANAGER)
def remind_member(user_id: int):
    person = db.session.get(User, user_id)
    if RemindForm().validate_on_submit():
        run = remind_people(current_plan(), local_today(), [person.id], current_user)
        if run.people:
            items = sum(len(i) for _, i in run.people)
            flash(f"Reminder sent to {person.name} about {plural(items, 'item')}.", "success")
        elif run.already_today:
            flash(f"{run.already_phrase} No reminder was sent.", "info")
        else:
            flash(f"{person.name} has nothing to do, so no reminder was sent.", "info")
    return redirect(url_for("team.show_team"))
