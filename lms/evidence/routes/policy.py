"""Policy acknowledgement: a person confirms they have read the current version of a policy."""

from __future__ import annotations

from flask import (
    abort,
    flash,
    redirect,
    url_for,
)
from flask_login import current_user

from ... import transaction
from ...courses.operations import active_course
from ...models import Permission
from ...permissions import requires
from .. import bp, operations
from ..forms import (
    AcknowledgePolicyForm,
)

# -- policy acknowledgement ---------------------------------------------------------------


@bp.route("/courses/<slug>/acknowledge", methods=["POST"])
@requires(Permission.LEARNER)
def acknowledge_policy(slug: str):
    course = active_course(slug)
    if not course.current_version.is_policy:
        abort(404)
    form = AcknowledgePolicyForm()
    if not form.validate_on_submit():
        abort(400)
    from ...courses.operations import course_progress

    if not course_progress(current_user, course).complete:
        flash("Read every lesson of the policy before you confirm that you have read it.", "error")
        return redirect(url_for("courses.show_course", slug=slug) + "#acknowledge")
    try:
        ack = operations.acknowledge_policy(current_user, course, form.version.data or "")
    except operations.EvidenceError as exc:
        transaction.discard()
        flash(str(exc), "error")
    else:
        flash(f"Thank you: you have acknowledged version {ack.policy_version} of the policy.", "success")
    return redirect(url_for("courses.show_course", slug=slug))


@bp.app_context_processor
def _policy_helpers():
    """show_course.html asks for the person's acknowledgement of a policy course."""

    def policy_acknowledgement(version):
        if version is None or not version.is_policy or not current_user.is_authenticated:
            return None
        return {"state": operations.policy_state(current_user, version), "form": AcknowledgePolicyForm(formdata=None)}

    return {"policy_acknowledgement": policy_acknowledgement}

