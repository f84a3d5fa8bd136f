"""Checking and syncing every content pack: all of them in one transaction, or none."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from .. import audit
from ..config import PROJECT_ROOT
from ..extensions import db
from ..models import OrgSetting
from .errors import PackError, PackInvalid, display_path
from .registry import BasePackKind, ContentRoot, LoadedPack, SyncChanges, load_plugins


class ContentInvalid(Exception):
    """Content with errors: nothing was synced."""

    def __init__(self, errors: list[PackError]):
        super().__init__(f"{len(errors)} content errors")
        self.errors = errors


@dataclass
class LoadedContent:
    kinds: dict[str, BasePackKind]
    packs: dict[str, list[LoadedPack]]  # by kind id
    errors: list[PackError]


def content_roots() -> tuple[list[ContentRoot], list[PackError]]:
    """The project's own folder, then each of LMS_CONTENT_PATHS (entry points come after)."""
    project = Path(current_app.config.get("PROJECT_ROOT") or PROJECT_ROOT)
    roots = [ContentRoot(project, "project")]
    errors = []
    for raw in current_app.config["CONTENT_PATHS"].split(":"):
        if not raw.strip():
            continue
        path = Path(raw.strip()).expanduser()
        if path.is_dir():
            roots.append(ContentRoot(path, "LMS_CONTENT_PATHS"))
        else:
            errors.append(PackError(raw, "is not a folder (it is named in LMS_CONTENT_PATHS)"))
    return roots, errors


def load_content() -> LoadedContent:
    """Find, read and check every pack of every kind, collecting every error; writes nothing."""
    plugins = load_plugins()
    roots, errors = content_roots()
    errors = plugins.errors + errors
    roots += plugins.roots
    kinds = {kind_id: cls() for kind_id, cls in plugins.kinds.items()}
    packs: dict[str, list[LoadedPack]] = {kind_id: [] for kind_id in kinds}
    for kind in kinds.values():
        first_seen: dict[str, Path] = {}
        for root in roots:
            for source in kind.discover(root):
                if source.slug in first_seen:
                    errors.append(
                        PackError(
                            display_path(source.path),
                            f"another {kind.id} has the same name ({source.slug}) at "
                            f"{display_path(first_seen[source.slug])}; rename one of them",
                        )
                    )
                    continue
                first_seen[source.slug] = source.path
                try:
                    packs[kind.id].append(kind.load(source))
                except PackInvalid as exc:
                    errors.extend(exc.errors)
                except OSError as exc:
                    errors.append(
                        PackError(display_path(source.path), f"cannot be read: {exc.strerror}")
                    )
    for kind in kinds.values():
        errors.extend(kind.validate(packs[kind.id], packs))
    return LoadedContent(kinds, packs, errors)


def check_content() -> list[PackError]:
    return load_content().errors


CONTENT_REVISION_KEY = "content.revision"


def _move_content_revision() -> None:
    """One counter every change of content moves: learner pages' ETags include it."""
    row = db.session.get(OrgSetting, CONTENT_REVISION_KEY) or OrgSetting(key=CONTENT_REVISION_KEY, value="0")
    row.value = str(int(row.value or "0") + 1)
    db.session.add(row)


def sync_content() -> dict[str, SyncChanges]:
    """Store every pack's current version and archive the packs that are gone, in the
    caller's transaction (the command commits it once).

    Raises ContentInvalid, changing nothing, when any pack has an error.
    """
    content = load_content()
    if content.errors:
        raise ContentInvalid(content.errors)
    changes = {
        kind_id: kind.sync(content.packs[kind_id]) for kind_id, kind in content.kinds.items()
    }
    changed = {
        kind_id: {"added": c.added, "updated": c.updated, "archived": c.archived}
        for kind_id, c in changes.items()
        if c.added or c.updated or c.archived
    }
    if changed:
        audit.record("content.sync", **changed)
        _move_content_revision()
    db.session.flush()
    return changes
