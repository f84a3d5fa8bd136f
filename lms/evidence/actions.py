"""My training's next action for a Director's self-certification."""

from __future__ import annotations

from flask import url_for

from ..plan.actions import Action, register_action
from ..plan.compliance import Item
from ..plan.status import Status


@register_action("attestation")
def attestation_action(item: Item) -> Action | None:
    url = url_for("evidence.self_certify", ref=item.ref)
    if item.status is Status.COMPLETE:
        return Action("See your self-certifications", url)
    if item.status in (Status.EXPIRING, Status.EXPIRED):
        return Action("Self-certify again", url)
    return Action("Make your self-certification", url)
