"""Settings an administrator edits in the app: the contacts on "Raise a concern"."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import g
from sqlalchemy import select

from . import audit
from .extensions import db
from .models import OrgSetting, utcnow

PHONE_HINT = "A UK number, like 020 7946 0000 or 07700 900123, or a short number like 101 or 116 123"
PHONE_MESSAGE = (
    "Enter a UK phone number, like 020 7946 0000, 07700 900123 or +44 20 7946 0000, "
    "or a UK short number, like 999, 101, 111 or 116 123"
)


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    hint: str = ""
    kind: str = "text"  # text | tel | email


CONTACT_FIELDS: tuple[Field, ...] = (
    Field("lead_name", "Safeguarding Lead (Prevent Lead): name"),
    Field("lead_phone", "Safeguarding Lead: phone", f"A number staff can call in working hours. {PHONE_HINT}", "tel"),
    Field("lead_email", "Safeguarding Lead: email", "", "email"),
    Field("deputy_name", "Deputy Safeguarding Lead: name", "Who to tell when the Safeguarding Lead is away"),
    Field("deputy_phone", "Deputy Safeguarding Lead: phone", PHONE_HINT, "tel"),
    Field("deputy_email", "Deputy Safeguarding Lead: email", "", "email"),
    Field("prevent_team_name", "Local authority Prevent team", "For example, the council's Prevent coordinator"),
    Field("prevent_team_phone", "Local authority Prevent team: phone", PHONE_HINT, "tel"),
    Field("prevent_team_email", "Local authority Prevent team: email", "", "email"),
)

# Without these the page cannot name the first step of the route.
ESSENTIAL = ("lead_name", "lead_phone", "deputy_name", "prevent_team_phone")

# A UK number is 0 and 9 or 10 more digits, the first not 0 (00 starts an international call).
_NATIONAL = re.compile(r"0[1-9][0-9]{8,9}")
# Short numbers: 999 and 112; three digits from 100 to 199 (101, 105, 111, 119...); and the
# six-digit 116 (helplines such as the Samaritans' 116 123) and 118 ranges.
_SHORT = re.compile(r"999|112|1[0-9]{2}|11[68][0-9]{3}")


def tel_number(text: str) -> str | None:
    """The digits to dial for a phone number as an administrator types it, for a `tel:` link;
    None unless it is a UK number or a UK short number.

    Spaces, hyphens and brackets between digits are allowed, as is the international form
    +44 (or 0044), with or without the (0) people write after it.
    """
    compact = re.sub(r"[\s-]", "", text)
    if not re.fullmatch(r"\+?[0-9()]+", compact):
        return None
    for prefix in ("+44(0)", "0044(0)", "+44", "0044"):
        if compact.startswith(prefix):
            national = "0" + compact[len(prefix) :].replace("(", "").replace(")", "")
            return "+44" + national[1:] if _NATIONAL.fullmatch(national) else None
    digits = compact.replace("(", "").replace(")", "")
    if "+" in digits:
        return None  # a number outside the UK
    if _NATIONAL.fullmatch(digits) or _SHORT.fullmatch(digits):
        return digits
    return None


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
    db.session.flush()
    g.pop("org_contacts", None)
    return changes
