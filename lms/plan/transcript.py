"""A person's record: every completion in the ledger, newest first, and their current items."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..models import User
from ..models.content import Completion
from .compliance import Item, facts_for_person, items_for
from .plan import Plan


@dataclass
class Transcript:
    person: User
    items: list[Item]
    completions: list[Completion]
    titles: dict[tuple[str, str], str]

    def title_of(self, completion: Completion) -> str:
        return self.titles.get((completion.kind, completion.ref), completion.ref)


def transcript(plan: Plan, person: User, today: date) -> Transcript:
    facts, completions = facts_for_person(person, today)
    items = items_for(plan, facts, facts.people[0])
    keys = {(c.kind, c.ref) for c in completions} | {i.key for i in items}
    titles = {key: plan.title_of(key[0], key[1], facts.titles) for key in keys}
    return Transcript(person, items, list(completions), titles)
