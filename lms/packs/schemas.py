"""The pack file formats as pydantic models: what a course.toml and a quiz TOML may hold.

Unknown fields are errors (`extra="forbid"`) and types are strict (`minutes = "25"` is an
error, not 25), so a typo never passes silently. docs/content-packs.md describes each field.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

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


class OptionSchema(PackModel):
    text: Line
    correct: bool = False


Options = Annotated[list[OptionSchema], Field(min_length=2, max_length=10)]


class QuestionBase(PackModel):
    id: Slug
    text: Text
    feedback: Text


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
        return self


class MultipleQuestion(QuestionBase):
    type: Literal["multiple"]
    options: Options
    # true: a partly right answer scores its share of the marks; false: all or nothing
    partial: bool = False

    @model_validator(mode="after")
    def _some_correct(self) -> MultipleQuestion:
        if not any(o.correct for o in self.options):
            raise ValueError("a multiple-answer question needs at least one correct option")
        _unique_options(self.options)
        return self


class TrueFalseQuestion(QuestionBase):
    type: Literal["true_false"]
    answer: bool


def _unique_options(options: list[OptionSchema]) -> None:
    seen: set[str] = set()
    for option in options:
        if option.text in seen:
            raise ValueError(f"the option {option.text!r} appears twice")
        seen.add(option.text)


Question = Annotated[
    SingleQuestion | MultipleQuestion | TrueFalseQuestion, Field(discriminator="type")
]


class QuizSchema(PackModel):
    title: Line
    pass_mark: Annotated[int, Field(ge=1, le=100)]
    draw: Annotated[int, Field(ge=1)] | None = None
    shuffle: bool = True
    max_attempts: Annotated[int, Field(ge=0)] = 0
    # When the result page shows the correct answers; absent: after a pass, or when no
    # attempts remain.
    review: Literal["always", "after_pass", "never"] | None = None
    questions: Annotated[list[Question], Field(min_length=1, max_length=500)]
