"""The quiz pack kind: `quizzes/<slug>.toml`, its settings and question pool.

Only stored here; taking a quiz is the quiz engine's (it reads QuizVersion and QuizQuestion,
and an attempt records the version it answered).
"""

from __future__ import annotations

import hashlib
import re

from ..models import Quiz, QuizQuestion, QuizReview, QuizVersion
from .errors import (
    PackError,
    PackInvalid,
    display_path,
    locate_line,
    parse_toml,
    read_text,
    validate,
)
from .registry import ContentRoot, LoadedPack, PackSource, VersionedPackKind, register
from .schemas import SLUG_PATTERN, QuizSchema, TrueFalseQuestion


@register
class QuizKind(VersionedPackKind):
    """Quizzes: a pool of single-answer, multiple-answer and true/false questions."""

    id = "quiz"
    folder = "quizzes"
    model = Quiz
    version_model = QuizVersion

    def discover(self, root: ContentRoot) -> list[PackSource]:
        folder = root.path / self.folder
        if not folder.is_dir():
            return []
        return [
            PackSource(self.id, path.stem, path, root)
            for path in sorted(folder.glob("*.toml"))
            if not path.name.startswith(".")
        ]

    def load(self, source: PackSource) -> LoadedPack:
        path = source.path
        shown = display_path(path)
        errors: list[PackError] = []
        if not re.match(SLUG_PATTERN, source.slug):
            errors.append(
                PackError(shown, "the file name is the quiz's address: use lower-case letters, "
                          "digits and single hyphens, like prevent-awareness.toml")
            )
        try:
            text = read_text(path)
            quiz: QuizSchema = validate(QuizSchema, parse_toml(path, text), path, text)
        except PackInvalid as exc:
            raise PackInvalid(errors + exc.errors) from None
        seen: dict[str, int] = {}
        for index, question in enumerate(quiz.questions):
            if question.id in seen:
                errors.append(
                    PackError(
                        shown,
                        f"the id {question.id!r} is used by question {seen[question.id] + 1} "
                        "too; each question needs its own id",
                        locate_line(text, ("questions", index, "id")),
                        f"questions[{index + 1}].id",
                    )
                )
            seen.setdefault(question.id, index)
        if errors:
            raise PackInvalid(errors)
        return LoadedPack(source, hashlib.sha256(text.encode()).hexdigest(), quiz)

    def build_version(self, pack: LoadedPack, owner: Quiz) -> QuizVersion:
        quiz: QuizSchema = pack.data
        version = QuizVersion(
            quiz_id=owner.id,
            hash=pack.hash,
            title=quiz.title,
            pass_mark=quiz.pass_mark,
            # `draw` is at most this many: a smaller pool is drawn whole (the format's example
            # in docs/content-packs.md shows two questions of a pool with draw = 10).
            draw=min(quiz.draw or len(quiz.questions), len(quiz.questions)),
            shuffle=quiz.shuffle,
            max_attempts=quiz.max_attempts,
            source=display_path(pack.source.path)[:500],
            questions=[
                QuizQuestion(
                    position=position,
                    qid=question.id,
                    type=question.type,
                    text=question.text,
                    feedback=question.feedback,
                    options=_options(question),
                    partial=getattr(question, "partial", False),
                )
                for position, question in enumerate(quiz.questions, start=1)
            ],
        )
        if quiz.review is not None:
            version.review_rule = QuizReview(review=quiz.review)
        return version


def _options(question) -> list[dict]:
    if isinstance(question, TrueFalseQuestion):
        return [
            {"text": "True", "correct": question.answer},
            {"text": "False", "correct": not question.answer},
        ]
    return [{"text": o.text, "correct": o.correct} for o in question.options]
