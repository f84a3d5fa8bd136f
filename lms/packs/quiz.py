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
from .grades import normal, share
from .registry import ContentRoot, LoadedPack, PackSource, VersionedPackKind, register
from .schemas import (
    SLUG_PATTERN,
    MatchingQuestion,
    MultipleQuestion,
    NumericalQuestion,
    QuizSchema,
    ShortAnswerQuestion,
    TrueFalseQuestion,
)


@register
class QuizKind(VersionedPackKind):
    """Quizzes: a pool of questions of the types in lms/packs/schemas.py (QUESTION_TYPES)."""

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
            if question.feedback is None and quiz.imported_from is None:
                errors.append(
                    PackError(
                        shown,
                        "is required but missing: say why the answer is right, so "
                        "the question teaches (only a pack imported from Moodle may leave it out)",
                        locate_line(text, ("questions", index, "feedback")),
                        f"questions[{index + 1}].feedback",
                    )
                )
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
                    feedback=question.feedback or "",
                    options=_options(question),
                    partial=_partial(question),
                )
                for position, question in enumerate(quiz.questions, start=1)
            ],
        )
        if quiz.review is not None:
            version.review_rule = QuizReview(review=quiz.review)
        return version


def _partial(question) -> bool:
    if isinstance(question, MultipleQuestion):
        return question.partial or question.weighted
    return False


def _options(question) -> list[dict]:
    """What a question stores in `quiz_question.options`: a list of dicts, each with at least
    `text` and `correct` (what reports and exports read), and, by type, what grading needs
    (lms/quizzes/grading.py). Questions valid before these types store exactly what they did."""
    if isinstance(question, TrueFalseQuestion):
        return [
            _with_feedback({"text": "True", "correct": question.answer}, question.feedback_true),
            _with_feedback({"text": "False", "correct": not question.answer}, question.feedback_false),
        ]
    if isinstance(question, ShortAnswerQuestion):
        return [
            _with_feedback(
                {"text": a.text, "correct": share(a.weight) == 1, "weight": normal(a.weight)}, a.feedback
            )
            for a in question.answers
        ]
    if isinstance(question, NumericalQuestion):
        return [_numeric(a) for a in question.answers]
    if isinstance(question, MatchingQuestion):
        return [{"text": p.prompt, "correct": True, "match": p.match} for p in question.pairs]
    options = []
    for o in question.options:
        stored = {"text": o.text, "correct": o.correct if o.weight is None else share(o.weight) > 0}
        if o.weight is not None:
            stored["weight"] = normal(o.weight)
        options.append(_with_feedback(stored, o.feedback))
    return options


def _with_feedback(option: dict, feedback: str | None) -> dict:
    if feedback:
        option["feedback"] = feedback
    return option


def _numeric(answer) -> dict:
    if answer.value is not None:
        tolerance = answer.tolerance or 0
        shown = f"{answer.value:g}" + (f" ± {tolerance:g}" if tolerance else "")
        stored = {"value": answer.value, "tolerance": tolerance}
    else:
        shown = f"{answer.min:g} to {answer.max:g}"
        stored = {"min": answer.min, "max": answer.max}
    stored = {"text": shown, "correct": share(answer.weight) == 1, "weight": normal(answer.weight), **stored}
    return _with_feedback(stored, answer.feedback)
