"""The learner's home (My training), "Raise a concern" and the health check."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user
from sqlalchemy import text

from .. import org
from ..calendar import operations as calendar_operations
from ..calendar.routes import CalendarLinkForm
from ..dates import local_today
from ..evidence import operations as evidence_operations
from ..extensions import db
from ..models import Permission
from ..permissions import public, requires
from ..plan.actions import next_actions
from ..plan.loader import current_plan
from ..plan.status import STATUS_ORDER
from ..plan.transcript import transcript
from ..plan.views import KIND_LABELS, TAG, date_phrase
from ..revalidation import revalidated
from . import (
    actions,  # noqa: F401  (registers the next actions of courses, policies, certificates)
    bp,
)

URGENCY = {s: i for i, s in enumerate(STATUS_ORDER)}


@bp.route("/")
@requires(Permission.LEARNER)
@revalidated
def home():
    plan = current_plan()
    today = local_today()
    record = transcript(plan, current_user, today)
    items = sorted(record.items, key=lambda i: (URGENCY[i.status], i.result.date_that_matters or today, i.title))
    done = sum(1 for i in items if i.status.is_done)
    renewals = [i.result.valid_until for i in items if i.result.valid_until]
    to_upload = any(i.kind == "certificate" and not i.status.is_done for i in items)
    return render_template(
        "main/home.html",
        person=current_user,
        items=items,
        done=done,
        next_renewal=min(renewals) if renewals else None,
        completions=record.completions,
        record=record,
        actions=next_actions(items),
        certificate_types=plan.certificate_types,
        today=today,
        TAG=TAG,
        KIND_LABELS=KIND_LABELS,
        date_phrase=date_phrase,
        calendar_feed=calendar_operations.feed_of(current_user),
        calendar_form=CalendarLinkForm(),
        rejections=evidence_operations.latest_rejections(current_user) if to_upload else {},
    )


@bp.route("/raise-a-concern")
@public
def raise_concern():
    return render_template("main/raise_concern.html", contacts=org.contacts(), missing=org.missing_contacts())


@bp.route("/healthz")
@public
def healthz():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
