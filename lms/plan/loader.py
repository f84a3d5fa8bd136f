"""The effective training plan of this installation, read once and re-read when the file changes."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from pathlib import Path

from flask import current_app, g, has_request_context

from .plan import Plan, PlanError, check_refs, find_plan_file, plan_path, read_plan

_lock = threading.Lock()
_cache: dict[tuple[str, int], Plan] = {}


def configured_plan_path() -> Path:
    return plan_path(current_app.config["TRAINING_PLAN"], current_app.instance_path)


def current_plan_file() -> tuple[str, int]:
    """The plan file's path and modification time: it changes whenever the file does.
    Looked at once per request."""
    if has_request_context() and "training_plan_file" in g:
        return g.training_plan_file
    found = find_plan_file(current_app.config["TRAINING_PLAN"], current_app.instance_path)
    if has_request_context():
        g.training_plan_file = found
    return found


def current_plan() -> Plan:
    """The plan in force (raises PlanError when the file is unusable).

    The file is looked at once per request (a page asks for the plan several times), and
    parsed again only when it changes."""
    if has_request_context() and "training_plan" in g:
        return g.training_plan
    found = current_plan_file()
    plan = _cache.get(found)
    if plan is None:
        with _lock:
            plan, _ = read_plan(Path(found[0]))
            _cache.clear()
            _cache[found] = plan
    if has_request_context():
        g.training_plan = plan
    return plan


def refs_in_content(content) -> dict[str, set[str]]:
    """The refs a plan may name, from loaded packs (lms.packs.operations.LoadedContent)."""
    courses = content.packs.get("course", [])
    return {
        "course": {p.slug for p in courses},
        "quiz": {p.slug for p in content.packs.get("quiz", [])},
        "policy": {p.data.meta.policy.ref for p in courses if p.data.meta.policy is not None},
    }


def check_plan(known: Mapping[str, Iterable[str]], path: Path | None = None) -> list[str]:
    """Every problem with the plan file, given the refs that exist; [] when it is usable."""
    path = path or configured_plan_path()
    try:
        plan, text = read_plan(path)
    except PlanError as exc:
        return exc.errors
    return check_refs(plan, text, known)
