"""The training plan: which requirement each staff category must meet, and on what terms."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError, field_validator

from ..models.people import CATEGORIES
from ..packs.errors import locate_line

KINDS = ("course", "quiz", "certificate", "attestation", "policy")
SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
DEFAULT_PLAN = Path(__file__).resolve().parent.parent / "defaults" / "training-plan.toml"
_DEFAULT = str(DEFAULT_PLAN)


class PlanError(Exception):
    """A plan that cannot be used; `errors` lists every problem found, each a line of text."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RequirementEntry(_Strict):
    ref: Annotated[str, Field(pattern=SLUG, max_length=80)]
    kind: Literal["course", "quiz", "certificate", "attestation", "policy"]
    title: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    categories: Annotated[list[str], Field(min_length=1)]
    due_days: Annotated[int, Field(ge=0, le=3650)]
    renew_months: Annotated[int, Field(ge=1, le=240)] | None = None
    # Days before the deadline, and before a completion expires, on which a person is
    # reminded, in place of the organisation's reminder settings (lms/records/schedule.py).
    remind_days: Annotated[list[Annotated[int, Field(ge=1, le=365)]], Field(min_length=1, max_length=6)] | None = None
    remind_expiry_days: Annotated[list[Annotated[int, Field(ge=1, le=365)]], Field(min_length=1, max_length=6)] | None = None

    @field_validator("categories")
    @classmethod
    def known_categories(cls, value: list[str]) -> list[str]:
        unknown = [c for c in value if c not in CATEGORIES]
        if unknown:
            raise ValueError(
                f"unknown categor{'y' if len(unknown) == 1 else 'ies'} {', '.join(map(repr, unknown))}; "
                f"use: {', '.join(CATEGORIES)}"
            )
        return value


class CertificateType(_Strict):
    ref: Annotated[str, Field(pattern=SLUG, max_length=80)]
    title: Annotated[str, Field(min_length=1, max_length=200)]
    provider: Annotated[str, Field(min_length=1, max_length=200)]
    url: HttpUrl
    evidence: Annotated[str, Field(max_length=2000)] = ""


class PlanFile(_Strict):
    warning_days: Annotated[int, Field(ge=0, le=365)] = 30
    requirements: Annotated[list[RequirementEntry], Field(min_length=1)]
    certificate_types: list[CertificateType] = []


@dataclass(frozen=True, slots=True)
class Terms:
    """The merged terms of one item for a set of categories."""

    kind: str
    ref: str
    due_days: int
    renew_months: int | None
    asking: frozenset[str]  # the categories whose entries ask for it
    title: str | None = None  # the title of the first of those entries that gives one

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.ref)


@dataclass(frozen=True, eq=False)
class Plan:
    source: Path
    warning_days: int
    entries: tuple[RequirementEntry, ...]
    certificate_types: Mapping[str, CertificateType]
    _terms_cache: dict = field(default_factory=dict, repr=False)

    def keys(self) -> list[tuple[str, str]]:
        """Each distinct (kind, ref) in plan order."""
        return list(dict.fromkeys((e.kind, e.ref) for e in self.entries))

    def title_of(self, kind: str, ref: str, titles: Mapping[tuple[str, str], str]) -> str:
        """The plan's own title for an item, else the certificate type's, else the content's."""
        own = self._own_titles.get((kind, ref))
        if own:
            return own
        if kind == "certificate" and ref in self.certificate_types:
            return self.certificate_types[ref].title
        return titles.get((kind, ref), ref)

    def reminder_days(self, kind: str, ref: str) -> tuple[tuple[int, ...] | None, tuple[int, ...] | None]:
        """The plan's own reminder days for an item (before its deadline, before its expiry),
        from the first entry for it that gives them; None where the settings apply."""
        before: tuple[int, ...] | None = None
        expiry: tuple[int, ...] | None = None
        for entry in self.entries:
            if (entry.kind, entry.ref) != (kind, ref):
                continue
            if before is None and entry.remind_days:
                before = tuple(sorted(set(entry.remind_days), reverse=True))
            if expiry is None and entry.remind_expiry_days:
                expiry = tuple(sorted(set(entry.remind_expiry_days), reverse=True))
        return before, expiry

    @cached_property
    def _own_titles(self) -> dict[tuple[str, str], str]:
        titles: dict[tuple[str, str], str] = {}
        for entry in self.entries:
            if entry.title:
                titles.setdefault((entry.kind, entry.ref), entry.title)
        return titles

    def terms_for(self, categories: frozenset[str]) -> tuple[Terms, ...]:
        """Each item the categories ask for, with the strictest terms of the entries asking.

        Where several entries ask for the same item: the smallest due_days and the smallest
        renew_months (absent counts as never lapsing). Memoised: people share category sets.
        """
        cached = self._terms_cache.get(categories)
        if cached is not None:
            return cached
        merged: dict[tuple[str, str], Terms] = {}
        for entry in self.entries:
            asking = categories.intersection(entry.categories)
            if not asking:
                continue
            key = (entry.kind, entry.ref)
            old = merged.get(key)
            if old is None:
                merged[key] = Terms(
                    entry.kind, entry.ref, entry.due_days, entry.renew_months, frozenset(asking), entry.title
                )
            else:
                merged[key] = Terms(
                    old.kind,
                    old.ref,
                    min(old.due_days, entry.due_days),
                    _stricter_renewal(old.renew_months, entry.renew_months),
                    old.asking | asking,
                    old.title or entry.title,
                )
        result = tuple(merged.values())
        self._terms_cache[categories] = result
        return result


def _stricter_renewal(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def _describe(loc: tuple, data: dict) -> str:
    if len(loc) >= 2 and isinstance(loc[1], int):
        table = data.get(loc[0], [])
        entry = table[loc[1]] if isinstance(table, list) and loc[1] < len(table) else {}
        name = entry.get("ref", f"#{loc[1] + 1}") if isinstance(entry, dict) else f"#{loc[1] + 1}"
        kind = entry.get("kind") if isinstance(entry, dict) else None
        label = f"{loc[0]} entry {name!r}" + (f" ({kind})" if kind else "")
        field = ".".join(str(p) for p in loc[2:3])
        return f"{label}: {field}" if field else label
    return ".".join(str(p) for p in loc)


def parse_plan(text: str, source: Path) -> Plan:
    """Parse and check the plan's own structure (refs are checked by `check_refs`)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlanError([f"{source}: not valid TOML: {exc}"]) from None
    try:
        parsed = PlanFile.model_validate(data)
    except ValidationError as exc:
        errors = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            line = locate_line(text, loc)
            where = f"{source}:{line}" if line else str(source)
            message = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                message = "unknown field (check the spelling)"
            elif err["type"] == "missing":
                message = "this field is required"
            errors.append(f"{where}: {_describe(loc, data)}: {message}")
        raise PlanError(errors) from None
    errors = []
    seen_types = set()
    for number, cert in enumerate(parsed.certificate_types):
        if cert.ref in seen_types:
            line = locate_line(text, ("certificate_types", number, "ref"))
            errors.append(f"{source}:{line}: certificate type {cert.ref!r} is defined twice")
        seen_types.add(cert.ref)
    # One name per item: entries asking for the same item for different people name it alike.
    titled: dict[tuple[str, str], str] = {}
    for number, entry in enumerate(parsed.requirements):
        if not entry.title:
            continue
        first = titled.setdefault((entry.kind, entry.ref), entry.title)
        if first != entry.title:
            line = locate_line(text, ("requirements", number, "title"))
            errors.append(
                f"{source}:{line}: {entry.kind} {entry.ref!r} is titled {first!r} by an earlier entry: "
                "give every entry for an item the same title"
            )
    if errors:
        raise PlanError(errors)
    return Plan(
        source=source,
        warning_days=parsed.warning_days,
        entries=tuple(parsed.requirements),
        certificate_types={c.ref: c for c in parsed.certificate_types},
    )


def check_refs(plan: Plan, text: str, known: Mapping[str, Iterable[str]]) -> list[str]:
    """Errors for entries whose ref names no content of its kind.

    `known` maps a kind (course, quiz, policy) to the refs that exist; certificate refs must
    be among the plan's own certificate_types; attestation refs are named by the plan itself.
    """
    available = {kind: set(refs) for kind, refs in known.items()}
    available["certificate"] = set(plan.certificate_types)
    errors = []
    for number, entry in enumerate(plan.entries):
        if entry.kind == "attestation":
            continue
        if entry.ref not in available.get(entry.kind, set()):
            line = locate_line(text, ("requirements", number, "ref"))
            choices = ", ".join(sorted(available.get(entry.kind, set()))) or "none loaded"
            errors.append(
                f"{plan.source}:{line}: requirements entry {entry.ref!r} ({entry.kind}): "
                f"no {entry.kind} with this ref (available: {choices})"
            )
    return errors


def plan_path(configured: str, instance_path: str | Path) -> Path:
    """LMS_TRAINING_PLAN, else instance/training-plan.toml, else the plan that ships."""
    return Path(find_plan_file(configured, instance_path)[0])


def find_plan_file(configured: str, instance_path: str | Path) -> tuple[str, int]:
    """The plan file `plan_path` names, with its modification time (-1: it is missing), from
    one `stat` where it can: every learner page looks, so no `Path` objects are made."""
    candidates = (configured,) if configured else (os.path.join(instance_path, "training-plan.toml"), _DEFAULT)
    for candidate in candidates:
        try:
            return candidate, os.stat(candidate).st_mtime_ns
        except OSError:
            continue
    return candidates[-1], -1


def read_plan(path: Path) -> tuple[Plan, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlanError([f"{path}: cannot read the training plan: {exc.strerror}"]) from None
    return parse_plan(text, path), text
