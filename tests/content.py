"""Builders for content packs on disk, for tests of discovery, validation and sync."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

# A 1x1 transparent PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000005000157e3e3f50000000049454e44ae426082"
)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'

DEFAULT_LESSONS = {
    "01-first.md": "# First lesson\n\nThe first lesson's text.\n",
    "02-second.md": "# Second lesson\n\nThe second lesson's text.\n",
    "03-third.md": "# Third lesson\n\nThe third lesson's text.\n",
}

QUIZ = """\
title = "{title}"
pass_mark = 80
[[questions]]
id = "one"
type = "single"
text = "Pick the right one."
feedback = "The right one is right."
options = [
  {{ text = "Right", correct = true }},
  {{ text = "Wrong" }},
]
[[questions]]
id = "two"
type = "true_false"
text = "This is true."
answer = true
feedback = "It is."
"""


class ContentDir:
    """A content folder laid out like the project's: courses/ and quizzes/."""

    def __init__(self, root: Path):
        self.root = root
        (root / "courses").mkdir(parents=True, exist_ok=True)
        (root / "quizzes").mkdir(parents=True, exist_ok=True)

    def course(
        self,
        slug: str = "sample",
        *,
        title: str = "Sample course",
        toml: str | None = None,
        extra: str = "",
        lessons: dict[str, str | bytes] | None = None,
        images: dict[str, bytes] | None = None,
    ) -> Path:
        folder = self.root / "courses" / slug
        folder.mkdir(parents=True, exist_ok=True)
        if toml is None:
            toml = (
                f'title = "{title}"\nsummary = "A course for tests."\nminutes = 10\n'
                f"order = 10\n{dedent(extra)}"
            )
        (folder / "course.toml").write_text(toml)
        for name, text in (DEFAULT_LESSONS if lessons is None else lessons).items():
            path = folder / name
            if isinstance(text, bytes):
                path.write_bytes(text)
            else:
                path.write_text(text)
        for name, data in (images or {}).items():
            (folder / "images").mkdir(exist_ok=True)
            (folder / "images" / name).write_bytes(data)
        return folder

    def lesson(self, slug: str, name: str, text: str | None) -> None:
        path = self.root / "courses" / slug / name
        if text is None:
            path.unlink()
        else:
            path.write_text(text)

    def quiz(self, slug: str = "sample", text: str | None = None, title: str = "Sample quiz") -> Path:
        path = self.root / "quizzes" / f"{slug}.toml"
        path.write_text(QUIZ.format(title=title) if text is None else dedent(text))
        return path
