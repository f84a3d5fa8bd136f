"""Settings an administrator edits in the app: the contacts on "Raise a concern"."""

from __future__ import annotations

from dataclasses import dataclass

from flask import g
from sqlalchemy import select

from . import audit
from .extensions import db
from .models import OrgSetting, utcnow


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    hint: str = ""
    kind: str = "text"  # text | tel | email


CONTACT_FIELDS: tuple[Field, ...] = (
    Field("lead_name", "Safeguarding Lead (Prevent Lead): name"),
    Field("lead_phone", "Safeguarding Lead: phone", "A number staff can call in working hours", "tel"),
    Field("lead_email", "Safeguarding Lead: email", "", "email"),
    Field("deputy_name", "Deputy Safeguarding Lead: name", "Who to tell when the Safeguarding Lead is away"),
    Field("deputy_phone", "Deputy Safeguarding Lead: phone", "", "tel"),
    Field("deputy_email", "Deputy Safeguarding Lead: email", "", "email"),
    Field("prevent_team_name", "Local authority Prevent team", "For example, the council's Prevent coordinator"),
    Field("prevent_team_phone", "Local authority Prevent team: phone", "", "tel"),
    Field("prevent_team_email", "Local authority Prevent team: email", "", "email"),
)

# Without these the page cannot name the first step of the route.
ESSENTIAL = ("lead_name", "lead_phone", "deputy_name", "prevent_team_phone")


def contacts() -> dict[str, str]:
    """All contact settings (empty string where unset), read once per request."""
    if "org_contacts" not in g:
        stored = {row.key: row.value for row in db.session.scalars(select(OrgSetting))}
        g.org_contacts = {f.key: stored.get(f.key, "") for f in CONTACT_FIELDS}
    return g.org_contacts


def missing_contacts() -> list[Field]:
    values = contacts()
    return [f for f in CONTACT_FIELDS if f.key in ESSENTIAL and not values[f.key]]


def update_contacts(values: dict[str, str], actor) -> dict[str, tuple[str, str]]:
    """Save changed values with one audit row listing before and after; returns the changes."""
    current = contacts()
    changes: dict[str, tuple[str, str]] = {}
    for field in CONTACT_FIELDS:
        new = (values.get(field.key) or "").strip()
        if new == current[field.key]:
            continue
        changes[field.key] = (current[field.key], new)
        row = db.session.get(OrgSetting, field.key)
        if row is None:
            row = OrgSetting(key=field.key)
            db.session.add(row)
        row.value = new
        row.updated_at = utcnow()
        row.updated_by_id = actor.id
    if changes:
        audit.record(
            "settings.contacts_changed",
            actor=actor,
            changes={k: {"before": b, "after": a} for k, (b, a) in changes.items()},
        )
    db.session.commit()
    g.pop("org_contacts", None)
    return changes
