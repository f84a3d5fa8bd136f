"""Pack kinds and where packs come from.

A pack kind is a `BasePackKind` subclass in `PACK_KINDS`; course and quiz are built in, and
adding a kind is one module. Installed distributions add kinds and content through the
`lms.packs` entry-point group (skipped when SAFE_MODE is on):

- an entry point naming a `BasePackKind` subclass adds that kind;
- one naming a package (or a function returning a folder) adds a content folder laid out
  like the project's own, with `courses/` and `quizzes/` inside.
"""

from __future__ import annotations

import inspect
import os
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

from flask import current_app, has_app_context
from sqlalchemy import select

from ..extensions import db
from .errors import PackError

ENTRY_POINT_GROUP = "lms.packs"


@dataclass(frozen=True)
class ContentRoot:
    """A folder that may hold one folder per pack kind (courses/, quizzes/...)."""

    path: Path
    origin: str  # "project", "LMS_CONTENT_PATHS" or "entry point NAME"


@dataclass(frozen=True)
class PackSource:
    kind: str
    slug: str
    path: Path  # the pack's folder or file
    root: ContentRoot


@dataclass
class LoadedPack:
    """A pack that passed its own checks: its content hash is its version."""

    source: PackSource
    hash: str
    data: Any  # what the kind's sync needs

    @property
    def slug(self) -> str:
        return self.source.slug


@dataclass
class SyncChanges:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    archived: list[str] = field(default_factory=list)


class BasePackKind:
    """A kind of content pack. Subclasses set `id` and `folder` and implement the methods.

    `load` and `validate` only read; `sync` writes, inside the caller's transaction, and
    archives the stored packs of its kind that are not in `packs`.
    """

    id: ClassVar[str]
    folder: ClassVar[str]  # the folder of a content root that holds this kind's packs

    def discover(self, root: ContentRoot) -> list[PackSource]:
        raise NotImplementedError

    def load(self, source: PackSource) -> LoadedPack:
        """Read, parse and check one pack; raise PackInvalid with every error found."""
        raise NotImplementedError

    def validate(
        self, packs: list[LoadedPack], everything: dict[str, list[LoadedPack]]
    ) -> list[PackError]:
        """Checks across packs (a course naming a quiz that exists...)."""
        return []

    def sync(self, packs: list[LoadedPack]) -> SyncChanges:
        raise NotImplementedError


class VersionedPackKind(BasePackKind):
    """A kind stored as a row per pack (`model`: slug, archived, current_version) with its
    versions (`version_model`: hash) kept for ever. Subclasses build a version's rows."""

    model: ClassVar[type]
    version_model: ClassVar[type]

    def build_version(self, pack: LoadedPack, owner: Any) -> Any:
        raise NotImplementedError

    def sync(self, packs: list[LoadedPack]) -> SyncChanges:
        changes = SyncChanges()
        stored = {row.slug: row for row in db.session.scalars(select(self.model))}
        for pack in packs:
            owner = stored.get(pack.slug)
            if owner is None:
                owner = self.model(slug=pack.slug)
                db.session.add(owner)
                db.session.flush()
                changes.added.append(pack.slug)
            elif (
                not owner.archived
                and owner.current_version is not None
                and owner.current_version.hash == pack.hash
            ):
                changes.unchanged.append(pack.slug)
                continue
            else:
                changes.updated.append(pack.slug)
            owner_fk = getattr(self.version_model, f"{self.model.__tablename__}_id")
            version = db.session.scalar(
                select(self.version_model).where(
                    owner_fk == owner.id, self.version_model.hash == pack.hash
                )
            )  # content seen before (a change undone) reuses its version
            if version is None:
                version = self.build_version(pack, owner)
                db.session.add(version)
                db.session.flush()
            owner.current_version = version
            owner.archived = False
        loaded = {pack.slug for pack in packs}
        for slug, owner in stored.items():
            if slug not in loaded and not owner.archived:
                owner.archived = True
                changes.archived.append(slug)
        return changes


PACK_KINDS: dict[str, type[BasePackKind]] = {}


def register(kind: type[BasePackKind]) -> type[BasePackKind]:
    """Class decorator for the built-in kinds."""
    PACK_KINDS[kind.id] = kind
    return kind


class UnknownPackKind(KeyError):
    def __str__(self) -> str:
        return self.args[0]


@dataclass
class Plugins:
    kinds: dict[str, type[BasePackKind]]
    roots: list[ContentRoot]
    errors: list[PackError]


def _safe_mode() -> bool:
    return has_app_context() and bool(current_app.config.get("SAFE_MODE"))


def load_plugins() -> Plugins:
    """Built-in kinds, plus what the `lms.packs` entry points add unless SAFE_MODE is on."""
    from . import course, quiz  # noqa: F401 -- registers the built-in kinds

    plugins = Plugins(kinds=dict(PACK_KINDS), roots=[], errors=[])
    if _safe_mode():
        return plugins
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        where = f"entry point {ep.name} ({ep.value})"
        try:
            obj = ep.load()
        except Exception as exc:  # a broken plugin is reported, not fatal
            plugins.errors.append(PackError(where, f"cannot be loaded: {exc}"))
            continue
        if inspect.isclass(obj) and issubclass(obj, BasePackKind):
            if obj.id in plugins.kinds and plugins.kinds[obj.id] is not obj:
                plugins.errors.append(PackError(where, f"pack kind {obj.id!r} exists already"))
            else:
                plugins.kinds[obj.id] = obj
            continue
        path = _folder_of(obj)
        if path is None or not path.is_dir():
            plugins.errors.append(
                PackError(where, "must name a pack kind class, a package or a content folder")
            )
            continue
        plugins.roots.append(ContentRoot(path, f"entry point {ep.name}"))
    return plugins


def _folder_of(obj: Any) -> Path | None:
    if isinstance(obj, ModuleType):
        if getattr(obj, "__file__", None):
            return Path(obj.__file__).parent
        locations = list(getattr(obj, "__path__", []))
        return Path(locations[0]) if locations else None
    if callable(obj):
        obj = obj()
    if isinstance(obj, str | os.PathLike):
        return Path(obj)
    return None


def pack_kinds() -> dict[str, type[BasePackKind]]:
    return load_plugins().kinds


def get_pack_kind(kind_id: str) -> type[BasePackKind]:
    kinds = pack_kinds()
    try:
        return kinds[kind_id]
    except KeyError:
        known = ", ".join(sorted(kinds))
        raise UnknownPackKind(f"no pack kind {kind_id!r}; the known kinds are: {known}") from None
