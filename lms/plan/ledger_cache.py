"""What the status rule reads about each person, kept per process by the person's data
version, so a report over everyone re-reads only the people whose records changed.

The dashboard, the overdue list and the CSV need, for every person, their categories, the
latest completion of each item and the evidence awaiting a lead. Reading that for 10,000
people is most of a dashboard view; between two views only the people who trained since
have changed. Every row it is read from is one of the person's rows whose changes move
their `data_version` (lms/models/versioning.py: database triggers, so another app server or
a command is seen too), so a person's entry is good while their version is unchanged.

A kept ledger also depends on the content (which policy version counts) and on the day
(completions dated later do not count yet): it is keyed by both, and one ledger is kept.
A ledger's facts are never changed once read: a refresh builds a new one (copying the big
dict is a few milliseconds), so a report running in another thread keeps a consistent view.
Beside them it keeps what reports worked out from each person's facts (their statuses, their
CSV rows) for the plan in force, so a report re-works only the people read again.
Nothing read inside a transaction that wrote is kept, since that transaction may roll back.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from flask import current_app, g

FactKey = tuple[int, str, str]  # (person, kind, ref)
Held = tuple[tuple[str, date], ...]  # (category, applies from), sorted


@dataclass(frozen=True)
class Ledger:
    versions: dict[int, int]  # person -> the data version their entries were read at
    held: dict[int, Held]
    latest: dict[FactKey, date]  # latest completion on or before the day, current policies only
    pending: frozenset[FactKey]  # evidence awaiting verification
    keys: dict[int, tuple[FactKey, ...]]  # each person's entries in `latest`
    # What reports worked out from a person's entries, by (what, person): (plan, value). It
    # fills as reports run; a person read again starts empty.
    worked_out: dict[tuple[str, int], tuple] = field(default_factory=dict)

    def stale(self, versions: Iterable[tuple[int, int]]) -> dict[int, int]:
        """The people (with their current version) whose entries are missing or out of date."""
        known = self.versions
        return {person: version for person, version in versions if known.get(person) != version}

    def replaced(self, fresh: Ledger) -> Ledger:
        """This ledger with the people of `fresh` read again."""
        if not self.versions:
            return fresh
        latest = self.latest.copy()
        for person in fresh.versions:
            for key in self.keys.get(person, ()):
                latest.pop(key, None)
        latest.update(fresh.latest)
        pending = frozenset(t for t in self.pending if t[0] not in fresh.versions) | fresh.pending
        # Reports in other threads add to `worked_out` while this runs: copy it in one step
        # (the other dicts are never changed once made).
        worked_out = self.worked_out.copy()
        return Ledger(
            {**self.versions, **fresh.versions},
            {**self.held, **fresh.held},
            latest,
            pending,
            {**self.keys, **fresh.keys},  # `fresh` names every person it read, with or without entries
            {key: value for key, value in worked_out.items() if key[1] not in fresh.versions},
        )


EMPTY = Ledger({}, {}, {}, frozenset(), {})

EXTENSION = "lms.ledger"
_lock = threading.Lock()


def _kept() -> dict[tuple, Ledger]:
    """This app's kept ledger (one app per database: ids and versions belong to it)."""
    return current_app.extensions.setdefault(EXTENSION, {})


def kept(key: tuple) -> Ledger:
    """The ledger kept for (content stamp, day), or an empty one."""
    return _kept().get(key, EMPTY)


def keep(key: tuple, ledger: Ledger) -> None:
    if g.get("lms_wrote"):
        return  # read inside a transaction that wrote (lms/pagecache.py sets the flag)
    kept_ledgers = _kept()
    with _lock:
        if key not in kept_ledgers:
            kept_ledgers.clear()
        kept_ledgers[key] = ledger


def forget() -> None:
    with _lock:
        _kept().clear()
