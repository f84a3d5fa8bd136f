"""The pack file formats as pydantic models: what a course.toml and a quiz TOML may hold.

Unknown fields are errors (`extra="forbid"`) and types are strict (`minutes = "25"` is an
error, not 25), so a typo never passes silently. docs/content-packs.md describes each field.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from .grades import NotAGrade, share

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=80)]
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]


class PackModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class PolicySchema(PackModel):
    """A policy course: what people acknowledge, and which version (issue: acknowledgements)."""

    ref: Slug
    version: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    # A TOML date (2026-09-01) or a quoted one ("2026-09-01").
    effective: Annotated[date, Field(strict=False)]
    statement: Text
    changes: Text | None = None


class CourseSchema(PackModel):
    title: Line
    summary: Text
    minutes: Annotated[int, Field(ge=1, le=600)]
    order: int = 100
    audience: Line | None = None
    quiz: Slug | None = None
    policy: PolicySchema | None = None


Weight = Annotated[float, Field(ge=-100, le=100)]


def _grade(weight: float | None, where: str = "") -> Fraction | None:
    if weight is None:
        return None
    try:
        return share(weight)
    except NotAGrade as exc:
        raise ValueError(f"{where}{exc}") from None


class OptionSchema(PackModel):
    text: Line
    correct: bool = False
    # Moodle's grade fraction, in percent: the share of the mark choosing this option earns
    # (negative: takes away). Left out: `correct` decides.
    weight: Weight | None = None
    # Shown to a person who chose this option, beside the question's feedback.
    feedback: Text | None = None


Options = Annotated[list[OptionSchema], Field(min_length=2, max_length=10)]


class QuestionBase(PackModel):
    id: Slug
    # The question's name in Moodle when it is not the id (an imported "Q1" has the id "q1"):
    # exported back as the GIFT title and the XML <name>.
    name: Line | None = None
    text: Text
    # Required, except in a pack imported from Moodle (`imported_from`), where a question
    # may have no general feedback, as in Moodle: the check is in lms/packs/quiz.py.
    feedback: Text | None = None


class SingleQuestion(QuestionBase):
    type: Literal["single"]
    options: Options

    @model_validator(mode="after")
    def _one_correct(self) -> SingleQuestion:
        correct = sum(o.correct for o in self.options)
        if correct != 1:
            raise ValueError(
                f"a single-answer question needs exactly one option with correct = true, "
                f"not {correct}"
            )
        _unique_options(self.options)
        for n, option in enumerate(self.options, start=1):
            value = _grade(option.weight, f"options[{n}]: ")
            if value is None:
                continue
            if option.correct and value != 1:
                raise ValueError(f"options[{n}]: the correct option's weight is 100 (or leave it out)")
            if not option.correct and value >= 1:
                raise ValueError(
                    f"options[{n}]: only the correct option earns 100; give a partly right "
                    "option a smaller weight"
                )
        return self


class MultipleQuestion(QuestionBase):
    type: Literal["multiple"]
    options: Options
    # true: a partly right answer scores its share of the marks; false: all or nothing
    partial: bool = False

    @property
    def weighted(self) -> bool:
        return any(o.weight is not None for o in self.options)

    @model_validator(mode="after")
    def _some_correct(self) -> MultipleQuestion:
        _unique_options(self.options)
        if self.weighted:
            _check_weights(self)
        elif not any(o.correct for o in self.options):
            raise ValueError("a multiple-answer question needs at least one correct option")
        return self


def _check_weights(question: MultipleQuestion) -> None:
    """A weighted multiple-answer question (Moodle's way): every option has a weight, the
    positive ones add up to 100, and an option is correct when its weight is above 0."""
    if "partial" in question.model_fields_set and not question.partial:
        raise ValueError("weights give partial credit: leave out partial, or leave out the weights")
    total = Fraction(0)
    for n, option in enumerate(question.options, start=1):
        if option.weight is None:
            raise ValueError(f"options[{n}]: needs a weight too: when one option has a weight, every option does (0 for none)")
        if "correct" in option.model_fields_set:
            raise ValueError(f"options[{n}]: leave out correct when options have weights: an option with a weight above 0 is correct")
        value = _grade(option.weight, f"options[{n}]: ")
        if value > 0:
            total += value
    if total != 1:
        raise ValueError(
            f"the positive weights add up to {float(total) * 100:g}, not 100: choosing every "
            "right option must earn the whole mark"
        )


class TrueFalseQuestion(QuestionBase):
    type: Literal["true_false"]
    answer: bool
    # Shown to a person who answered True, or False, beside the question's feedback.
    feedback_true: Text | None = None
    feedback_false: Text | None = None


class AcceptedAnswer(PackModel):
    text: Line
    weight: Annotated[float, Field(gt=0, le=100)] = 100
    feedback: Text | None = None


class ShortAnswerQuestion(QuestionBase):
    """Typed answers, compared without regard to case or spacing; `*` stands for any text."""

    type: Literal["short_answer"]
    answers: Annotated[list[AcceptedAnswer], Field(min_length=1, max_length=20)]

    @model_validator(mode="after")
    def _full_marks(self) -> ShortAnswerQuestion:
        seen: set[str] = set()
        for n, answer in enumerate(self.answers, start=1):
            _grade(answer.weight, f"answers[{n}]: ")
            key = " ".join(answer.text.casefold().split())
            if key in seen:
                raise ValueError(f"the answer {answer.text!r} appears twice (case and spacing do not count)")
            seen.add(key)
        if not any(share(a.weight) == 1 for a in self.answers):
            raise ValueError("a short-answer question needs at least one answer with weight 100 (the default)")
        return self


class NumericAnswer(PackModel):
    """A number with a tolerance (`value`, `tolerance`), or a range (`min`, `max`)."""

    value: float | None = None
    tolerance: Annotated[float, Field(ge=0)] | None = None
    min: float | None = None
    max: float | None = None
    weight: Annotated[float, Field(gt=0, le=100)] = 100
    feedback: Text | None = None

    @model_validator(mode="after")
    def _value_or_range(self) -> NumericAnswer:
        if self.value is not None:
            if self.min is not None or self.max is not None:
                raise ValueError("give value (and tolerance) or min and max, not both")
        elif self.min is None or self.max is None:
            raise ValueError("needs a value (with an optional tolerance), or both min and max")
        elif self.tolerance is not None:
            raise ValueError("tolerance goes with value, not with min and max")
        elif self.min > self.max:
            raise ValueError(f"min ({self.min:g}) is more than max ({self.max:g})")
        _grade(self.weight)
        return self


class NumericalQuestion(QuestionBase):
    type: Literal["numerical"]
    answers: Annotated[list[NumericAnswer], Field(min_length=1, max_length=10)]

    @model_validator(mode="after")
    def _full_marks(self) -> NumericalQuestion:
        if not any(share(a.weight) == 1 for a in self.answers):
            raise ValueError("a numerical question needs at least one answer with weight 100 (the default)")
        return self


class Pair(PackModel):
    prompt: Line
    match: Line


class MatchingQuestion(QuestionBase):
    """Each prompt is matched to one of the answers (the pairs' matches, shuffled); each
    right pair earns its share of the mark."""

    type: Literal["matching"]
    pairs: Annotated[list[Pair], Field(min_length=2, max_length=10)]

    @model_validator(mode="after")
    def _unique_prompts(self) -> MatchingQuestion:
        seen: set[str] = set()
        for pair in self.pairs:
            if pair.prompt in seen:
                raise ValueError(f"the prompt {pair.prompt!r} appears twice")
            seen.add(pair.prompt)
        return self


def _unique_options(options: list[OptionSchema]) -> None:
    seen: set[str] = set()
    for option in options:
        if option.text in seen:
            raise ValueError(f"the option {option.text!r} appears twice")
        seen.add(option.text)


QUESTION_TYPES = ("single", "multiple", "true_false", "short_answer", "numerical", "matching")

Question = Annotated[
    SingleQuestion
    | MultipleQuestion
    | TrueFalseQuestion
    | ShortAnswerQuestion
    | NumericalQuestion
    | MatchingQuestion,
    Field(discriminator="type"),
]


class QuizSchema(PackModel):
    title: Line
    # Written by `lms import-gift` / `lms import-moodle-xml`: the questions came from Moodle,
    # so general feedback is optional, as it is there, and export leaves it out when absent.
    imported_from: Literal["gift", "moodle_xml"] | None = None
    pass_mark: Annotated[int, Field(ge=1, le=100)]
    draw: Annotated[int, Field(ge=1)] | None = None
    shuffle: bool = True
    max_attempts: Annotated[int, Field(ge=0)] = 0
    # When the result page shows the correct answers; absent: after a pass, or when no
    # attempts remain.
    review: Literal["always", "after_pass", "never"] | None = None
    questions: Annotated[list[Question], Field(min_length=1, max_length=500)]
