"""The course pack kind: `courses/<slug>/course.toml`, lessons `*.md` beside it in name
order, pictures in `images/`."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from ..extensions import db
from ..models import Course, CourseImage, CourseVersion, Lesson
from .errors import (
    MAX_IMAGE_BYTES,
    PackError,
    PackInvalid,
    display_path,
    locate_line,
    parse_toml,
    read_bytes,
    read_text,
    validate,
)
from .registry import ContentRoot, LoadedPack, PackSource, VersionedPackKind, register
from .render import IMAGE_NAME, render_lesson
from .schemas import SLUG_PATTERN, CourseSchema

# Part of every course's version hash: a change to rendering re-renders every course (lesson
# hashes, and so people's reads, stay as they are).
RENDER_VERSION = "1"

IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml"}
_MAGIC = {"image/png": (b"\x89PNG\r\n\x1a\n",), "image/jpeg": (b"\xff\xd8\xff",)}


@dataclass(frozen=True)
class ImageFile:
    name: str
    content_hash: str
    mime: str
    data: bytes


@dataclass(frozen=True)
class LessonFile:
    position: int
    slug: str
    title: str
    html: str
    content_hash: str


@dataclass(frozen=True)
class CourseData:
    meta: CourseSchema
    toml_text: str
    lessons: list[LessonFile]
    images: list[ImageFile]  # those the lessons show


def _sha256(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def lesson_slug(path: Path) -> str:
    """`01-what-prevent-is.md` -> `what-prevent-is`: the number only orders the lessons."""
    return re.sub(r"^\d+[-_]", "", path.stem)


def _line_of(text: str, needle: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    return None


@register
class CourseKind(VersionedPackKind):
    """Courses: ordered Markdown lessons, read and ticked off one by one."""

    id = "course"
    folder = "courses"
    model = Course
    version_model = CourseVersion

    def discover(self, root: ContentRoot) -> list[PackSource]:
        folder = root.path / self.folder
        if not folder.is_dir():
            return []
        return [
            PackSource(self.id, path.name, path, root)
            for path in sorted(folder.iterdir())
            if path.is_dir() and not path.name.startswith((".", "_"))
        ]

    def load(self, source: PackSource) -> LoadedPack:
        errors: list[PackError] = []
        folder = source.path
        toml_path = folder / "course.toml"
        shown = display_path(toml_path)
        if not re.match(SLUG_PATTERN, source.slug):
            errors.append(
                PackError(
                    display_path(folder),
                    "the folder name is the course's address: use lower-case letters, "
                    "digits and single hyphens, like prevent-awareness",
                )
            )
        meta = toml_text = None
        if not toml_path.is_file():
            errors.append(PackError(shown, "is missing: every course folder needs one"))
        else:
            try:
                toml_text = read_text(toml_path)
                meta = validate(CourseSchema, parse_toml(toml_path, toml_text), toml_path, toml_text)
            except PackInvalid as exc:
                errors.extend(exc.errors)

        images = self._images(folder, errors)
        lessons, used = self._lessons(folder, images, errors)
        if errors:
            raise PackInvalid(errors)
        assert meta is not None and toml_text is not None
        used_images = [images[name] for name in sorted(used)]
        version_hash = _sha256(
            RENDER_VERSION.encode(),
            toml_text.encode(),
            *(f"{path.name}\0{lesson.content_hash}".encode() for path, lesson in lessons),
        )
        data = CourseData(meta, toml_text, [lesson for _, lesson in lessons], used_images)
        return LoadedPack(source, version_hash, data)

    def _images(self, folder: Path, errors: list[PackError]) -> dict[str, ImageFile]:
        images: dict[str, ImageFile] = {}
        image_dir = folder / "images"
        if not image_dir.exists():
            return images
        if image_dir.is_symlink() or not image_dir.is_dir():
            errors.append(PackError(display_path(image_dir), "must be a plain folder"))
            return images
        for path in sorted(image_dir.iterdir()):
            if path.name.startswith("."):
                continue
            shown = display_path(path)
            if not IMAGE_NAME.match(path.name) or not path.is_file():
                errors.append(
                    PackError(shown, "images/ may hold only .png, .jpg and .svg files "
                              "named with letters, digits, '.', '-' and '_'")
                )
                continue
            try:
                data = read_bytes(path, MAX_IMAGE_BYTES)
            except PackInvalid as exc:
                errors.extend(exc.errors)
                continue
            mime = IMAGE_TYPES[path.suffix.lower()]
            if not _looks_like(mime, data):
                errors.append(PackError(shown, f"is not a {path.suffix.lower()[1:]} image"))
                continue
            images[path.name] = ImageFile(path.name, hashlib.sha256(data).hexdigest(), mime, data)
        return images

    def _lessons(
        self, folder: Path, images: dict[str, ImageFile], errors: list[PackError]
    ) -> tuple[list[tuple[Path, LessonFile]], set[str]]:
        paths = sorted(p for p in folder.glob("*.md") if not p.name.startswith("."))
        if not paths:
            errors.append(
                PackError(
                    display_path(folder),
                    "the course has no lessons: add Markdown files beside course.toml, "
                    "such as 01-introduction.md",
                )
            )
        lessons: list[tuple[Path, LessonFile]] = []
        used: set[str] = set()
        slugs: dict[str, Path] = {}
        hashes = {name: image.content_hash for name, image in images.items()}
        for path in paths:
            shown = display_path(path)
            slug = lesson_slug(path)
            if not re.match(SLUG_PATTERN, slug):
                errors.append(
                    PackError(shown, "lesson file names use lower-case letters, digits and "
                              "hyphens after the number, like 01-what-prevent-is.md")
                )
            elif slug in slugs:
                errors.append(
                    PackError(shown, f"has the same address ({slug}) as {slugs[slug].name}; "
                              "rename one of them")
                )
            slugs.setdefault(slug, path)
            try:
                text = read_text(path)
            except PackInvalid as exc:
                errors.extend(exc.errors)
                continue
            if not text.strip():
                errors.append(PackError(shown, "the lesson is empty"))
                continue
            rendered = render_lesson(text, hashes)
            for src, problem in rendered.problems:
                errors.append(PackError(shown, f"{problem} ({src})", _line_of(text, src)))
            if rendered.title is None:
                errors.append(
                    PackError(shown, "has no title: start the lesson with a first-level "
                              "heading, a line like '# What Prevent is'", 1)
                )
                continue
            if not rendered.html.strip():
                errors.append(PackError(shown, "the lesson has a title but no text"))
                continue
            shown_images = sorted(set(rendered.images))
            used.update(shown_images)
            content_hash = _sha256(
                text.encode(), *(f"{n}\0{hashes[n]}".encode() for n in shown_images)
            )
            lesson = LessonFile(len(lessons) + 1, slug, rendered.title[:200], rendered.html,
                                content_hash)
            lessons.append((path, lesson))
        return lessons, used

    def validate(
        self, packs: list[LoadedPack], everything: dict[str, list[LoadedPack]]
    ) -> list[PackError]:
        errors: list[PackError] = []
        quizzes = {pack.slug for pack in everything.get("quiz", [])}
        policies: dict[str, LoadedPack] = {}
        for pack in packs:
            meta: CourseSchema = pack.data.meta
            toml_path = pack.source.path / "course.toml"
            if meta.quiz and meta.quiz not in quizzes:
                errors.append(
                    PackError(
                        display_path(toml_path),
                        f"there is no quiz {meta.quiz!r} (quizzes/{meta.quiz}.toml)",
                        locate_line(pack.data.toml_text, ("quiz",)),
                        "quiz",
                    )
                )
            if meta.policy:
                other = policies.setdefault(meta.policy.ref, pack)
                if other is not pack:
                    errors.append(
                        PackError(
                            display_path(toml_path),
                            f"the course {other.slug} has the same policy ref",
                            locate_line(pack.data.toml_text, ("policy", "ref")),
                            "policy.ref",
                        )
                    )
        return errors

    def build_version(self, pack: LoadedPack, owner: Course) -> CourseVersion:
        data: CourseData = pack.data
        meta, policy = data.meta, data.meta.policy
        version = CourseVersion(
            course_id=owner.id,
            hash=pack.hash,
            title=meta.title,
            summary=meta.summary,
            minutes=meta.minutes,
            order=meta.order,
            audience=meta.audience,
            quiz_slug=meta.quiz,
            policy_ref=policy.ref if policy else None,
            policy_version=policy.version if policy else None,
            policy_effective=policy.effective if policy else None,
            policy_statement=policy.statement if policy else None,
            policy_changes=policy.changes if policy else None,
            source=display_path(pack.source.path)[:500],
            lessons=[
                Lesson(
                    position=lesson.position,
                    slug=lesson.slug,
                    title=lesson.title,
                    html=lesson.html,
                    content_hash=lesson.content_hash,
                )
                for lesson in data.lessons
            ],
        )
        for image in data.images:
            stored = db.session.scalar(
                select(CourseImage.id).where(
                    CourseImage.content_hash == image.content_hash, CourseImage.name == image.name
                )
            )
            if stored is None:
                db.session.add(
                    CourseImage(
                        course_id=owner.id,
                        name=image.name,
                        content_hash=image.content_hash,
                        mime=image.mime,
                        data=image.data,
                    )
                )
        return version


def _looks_like(mime: str, data: bytes) -> bool:
    if mime == "image/svg+xml":
        try:
            return "<svg" in data.decode("utf-8").lower()
        except UnicodeDecodeError:
            return False
    return data.startswith(_MAGIC[mime])
