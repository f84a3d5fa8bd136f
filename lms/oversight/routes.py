"""Oversight for Directors, leads and admins: the dashboard, the overdue list, transcripts,
reports, and the effective training plan."""

from __future__ import annotations

from flask import Response, current_app, render_template, request, send_file
from flask_login import current_user
from sqlalchemy import func, select

from .. import csvexport
from ..dates import local_today, parse_iso_date
from ..extensions import db
from ..models import CATEGORY_LABELS, Permission, User, UserCategory
from ..pagination import paginate, paginate_list
from ..permissions import requires
from ..plan import standing
from ..plan.compliance import content_titles
from ..plan.loader import current_plan
from ..plan.plan import PlanError
from ..plan.status import STATUS_ORDER
from ..plan.transcript import transcript
from ..plan.views import KIND_LABELS, TAG, date_phrase
from . import bp, operations, overview
from .chart import share_chart
from .forms import DashboardFilterForm
from .history import monthly_shares, take_today
from .pack import download as pack_download
from .pdf import build_report


@bp.app_errorhandler(PlanError)
def plan_error(error: PlanError):
    return render_template("oversight/plan_error.html", errors=error.errors), 500


def _as_of():
    return parse_iso_date(request.args.get("as_of")) or local_today()


@bp.route("/overview")
@requires(Permission.DIRECTOR)
def show_overview():
    """Where a Lead, an administrator or a Director lands after signing in."""
    return render_template("oversight/show_overview.html", view=overview.overview(current_plan(), local_today(), current_user))


@bp.route("/dashboard")
@requires(Permission.DIRECTOR)
def show_dashboard():
    plan = current_plan()
    form = DashboardFilterForm(request.args)
    form.requirement.choices += [
        (f"{kind}:{ref}", f"{plan.title_of(kind, ref, {})} ({KIND_LABELS[kind].lower()})")
        for kind, ref in plan.keys()
    ]
    filters = operations.Filters(
        category=form.category.data or "",
        requirement=form.requirement.data or "",
        status=form.status.data or "",
        q=form.q.data or "",
        include_inactive=bool(form.include_inactive.data),
    )
    today = _as_of()
    take_today(plan)
    shares = monthly_shares(local_today())
    data = operations.overview(plan, today, filters)
    page = paginate(operations.people_query(plan, today, filters))
    page.items = operations.grid_page(plan, today, filters, page)
    return render_template(
        "oversight/show_dashboard.html",
        form=form,
        data=data,
        page=page,
        filters=filters,
        statuses=STATUS_ORDER,
        TAG=TAG,
        KIND_LABELS=KIND_LABELS,
        CATEGORY_LABELS=CATEGORY_LABELS,
        args={k: v for k, v in request.args.items() if k != "page"},
        shares=shares,
        share_chart=share_chart(shares),
    )


@bp.route("/dashboard/overdue")
@requires(Permission.DIRECTOR)
def list_overdue():
    include_inactive = request.args.get("include_inactive") == "y"
    entries = operations.overdue(current_plan(), _as_of(), include_inactive=include_inactive)
    page = paginate_list(entries, per_page=current_app.config["PAGE_SIZE"])
    return render_template(
        "oversight/list_overdue.html", page=page, TAG=TAG, KIND_LABELS=KIND_LABELS, include_inactive=include_inactive
    )


@bp.route("/dashboard/people/<int:user_id>")
@requires(Permission.DIRECTOR)
def show_person(user_id: int):
    person = db.get_or_404(User, user_id)
    today = _as_of()
    record = transcript(current_plan(), person, today)
    return render_template(
        "oversight/show_person.html",
        record=record,
        today=today,
        TAG=TAG,
        KIND_LABELS=KIND_LABELS,
        date_phrase=date_phrase,
    )


@bp.route("/dashboard/compliance.csv")
@requires(Permission.LEAD)
def export_csv():
    today = _as_of()
    include_inactive = request.args.get("include_inactive") == "y"
    lines = operations.csv_lines(current_plan(), today, include_inactive=include_inactive)
    return csvexport.download(lines, f"compliance-{today.isoformat()}.csv")


@bp.route("/dashboard/report.pdf")
@requires(Permission.LEAD)
def export_pdf():
    today = _as_of()
    pdf = build_report(current_plan(), today, current_app.config["ORG_NAME"], current_app.config["TIMEZONE"])
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="prevent-training-report-{today.isoformat()}.pdf"',
            "Cache-Control": "no-store",  # everyone's training, by name
        },
    )


@bp.route("/dashboard/inspection-pack.zip")
@requires(Permission.DIRECTOR)
def download_pack():
    """The inspection pack: today's, or a month's (`?month=YYYY-MM`, the link Directors are
    emailed each month)."""
    spool, as_of = pack_download(request.args.get("month"), current_user)
    response = send_file(
        spool,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"prevent-inspection-pack-{as_of.isoformat()}.zip",
        etag=False,
    )
    response.headers["Cache-Control"] = "no-store"  # everyone's training and certificates
    return response


@bp.route("/admin/training-plan")
@requires(Permission.ADMIN)
def show_plan():
    plan = current_plan()
    titles = content_titles()
    return render_template(
        "oversight/show_plan.html",
        plan=plan,
        titles=titles,
        KIND_LABELS=KIND_LABELS,
        CATEGORY_LABELS=CATEGORY_LABELS,
        people_by_category=_people_by_category(),
        plan_applied=standing.plan_is_applied(),
    )


def _people_by_category() -> dict[str, int]:
    q = (
        select(UserCategory.category, func.count())
        .join(User, User.id == UserCategory.user_id)
        .where(User.active.is_(True))
        .group_by(UserCategory.category)
    )
    return dict(db.session.execute(q).all())
