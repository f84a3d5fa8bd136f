"""Next actions for the kinds whose pages exist: courses, policies (their course, where the
acknowledgement is) and external certificates (the official course page, then the upload)."""

from __future__ import annotations

from flask import url_for

from ..plan.actions import Action, register_action
from ..plan.compliance import Item
from ..plan.content import content_snapshot
from ..plan.loader import current_plan
from ..plan.status import Status


@register_action("course")
def course_action(item: Item) -> Action | None:
    if item.status is Status.COMPLETE:
        return Action("Review the course", url_for("courses.show_course", slug=item.ref))
    if item.status in (Status.EXPIRING, Status.EXPIRED):
        return Action("Take the course again", url_for("courses.show_course", slug=item.ref))
    return Action("Go to the course", url_for("courses.show_course", slug=item.ref))


@register_action("policy")
def policy_action(item: Item) -> Action | None:
    slug = content_snapshot().policy_courses.get(item.ref)
    if slug is None:
        return None
    if item.status is Status.COMPLETE:
        return Action("Read the policy again", url_for("courses.show_course", slug=slug))
    return Action("Read and acknowledge the policy", url_for("courses.show_course", slug=slug, _anchor="acknowledge"))


@register_action("certificate")
def certificate_action(item: Item) -> Action | None:
    cert = current_plan().certificate_types.get(item.ref)
    if cert is None or item.status is Status.COMPLETE:
        return None
    if item.status is Status.PENDING:
        return Action("See your uploaded certificate", url_for("evidence.list_my_evidence"))
    upload = Action("Upload your certificate", url_for("evidence.upload_certificate", ref=item.ref))
    return Action(f"Take the course on the {cert.provider} site", str(cert.url), more=(upload,))
