"""Each question type's answers: reading them from the attempt form, grading them on the
server, storing them in a response (and reading them back), and the feedback for the answer
given. The attempt code (attempts.py) calls these and knows no type.

An answer is, by the question's kind:
- choice (single, multiple, true_false): a frozenset of the pack's option indexes;
- text (short_answer, numerical): the text typed, as typed ("" when unanswered);
- matching: a tuple with, for each prompt in the pack's order, the index of the chosen
  answer in `matching_choices(question)`, or None.

Stored in a response as `chosen` (option indexes "02"; for matching one character per prompt,
"-" for none) and `answer` (the typed text; None for the other kinds). Rows stored before the
new types have only `chosen`, which reads back as before, and their score stays as stored.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, Union

from ..packs.grades import share

CHOICE_TYPES = frozenset({"single", "multiple", "true_false"})
TEXT_TYPES = frozenset({"short_answer", "numerical"})
MATCHING = "matching"

Answer = Union[frozenset[int], str, tuple[int | None, ...]]  # noqa: UP007 (a type alias)

MAX_TEXT = 200  # characters of a typed answer kept


class BadAnswer(ValueError):
    """A form value that the page could not have sent (a tampered or stale form)."""


def kind(question) -> str:
    if question.type in TEXT_TYPES:
        return "text"
    if question.type == MATCHING:
        return MATCHING
    return "choice"


def empty(question) -> Answer:
    return {"text": "", MATCHING: (None,) * len(question.options)}.get(kind(question), frozenset())


def answered(answer: Answer | None) -> bool:
    """Whether anything was given (a matching question with one prompt matched counts)."""
    if answer is None:
        return False
    if isinstance(answer, str):
        return bool(answer.strip())
    return any(a is not None for a in answer) if isinstance(answer, tuple) else bool(answer)


# -- the form ----------------------------------------------------------------------------------


def field_name(question) -> str:
    return f"q-{question.qid}"


def prompt_field(question, index: int) -> str:
    """The select for one matching prompt (by its index in the pack): `q-<id>--<n>`. A
    question id never holds two hyphens together, so this never names another question."""
    return f"q-{question.qid}--{index}"


def owns_field(question, key: str) -> bool:
    name = field_name(question)
    if key == name:
        return True
    if question.type == MATCHING and key.startswith(name + "--"):
        rest = key[len(name) + 2:]
        return rest.isdigit() and int(rest) < len(question.options)
    return False


def parse(question, form: Mapping) -> Answer:
    """The answer the form gives this question; BadAnswer for values the page never offers."""
    def values(name: str) -> list[str]:
        got = form.getlist(name) if hasattr(form, "getlist") else [form.get(name)]
        return [v for v in got if v is not None and v != ""]

    if kind(question) == "text":
        given = values(field_name(question))
        if len(given) > 1:
            raise BadAnswer("one typed answer was sent twice")
        return given[0].strip()[:MAX_TEXT] if given else ""
    if kind(question) == MATCHING:
        choices = len(matching_choices(question))
        chosen: list[int | None] = []
        for index in range(len(question.options)):
            given = values(prompt_field(question, index))
            if len(given) > 1 or any(not v.isdigit() or int(v) >= choices for v in given):
                raise BadAnswer("a matching answer the question does not have")
            chosen.append(int(given[0]) if given else None)
        return tuple(chosen)
    chosen_options = set()
    for value in values(field_name(question)):
        if not value.isdigit() or int(value) >= len(question.options):
            raise BadAnswer("an option the question does not have")
        chosen_options.add(int(value))
    if question.type != "multiple" and len(chosen_options) > 1:
        raise BadAnswer("more than one answer to a question that takes one")
    return frozenset(chosen_options)


def problem(question, answer: Answer) -> str | None:
    """Why an answer given cannot be marked as it is, in words for the person (None: it can).
    Only a numerical question's answer can be wrong in form: it must be a number."""
    if question.type == "numerical" and answered(answer) and number(answer) is None:
        return "Enter a number, like 12 or 0.5"
    return None


# -- storing -----------------------------------------------------------------------------------


def stored(question, answer: Answer) -> tuple[str, str | None]:
    """(chosen, answer) for a quiz_response row."""
    if kind(question) == "text":
        return "", answer or ""
    if kind(question) == MATCHING:
        return "".join("-" if a is None else str(a) for a in answer), None
    return "".join(str(i) for i in sorted(answer)), None


def columns(question, answer: Answer | None) -> dict[str, str | None]:
    """The quiz_response columns that hold an answer: {"chosen": ..., "answer": ...}."""
    chosen, text = stored(question, empty(question) if answer is None else answer)
    return {"chosen": chosen, "answer": text}


def restored(question, chosen: str, text: str | None) -> Answer:
    """The answer a stored (chosen, answer) pair stands for."""
    if kind(question) == "text":
        return text or ""
    if kind(question) == MATCHING:
        return tuple(None if c == "-" else int(c) for c in chosen) or empty(question)
    return frozenset(int(c) for c in chosen)


# -- grading -----------------------------------------------------------------------------------


def _share(option: dict[str, Any]) -> Fraction:
    if "weight" in option:
        return share(option["weight"])
    return Fraction(int(bool(option["correct"])))


def grade(question, answer: Answer | None) -> Fraction:
    """The share of the question's mark the answer earns, from 0 to 1.

    Single and true/false: 1 for the correct option (a weighted wrong option its weight);
    multiple: all or nothing, or with `partial` each correct option chosen earns its share and
    each wrong one takes 1 / the number of wrong options away; with weights (Moodle's), the
    chosen options' weights added up; short answer and numerical: the weight of the best
    accepted answer matched; matching: each right pair its share. Never below 0 or above 1.
    """
    if not answered(answer):
        return Fraction(0)
    options = question.options
    if question.type == "short_answer":
        score = max((_share(o) for o in options if accepts(o["text"], answer)), default=Fraction(0))
    elif question.type == "numerical":
        value = number(answer)
        score = max(
            (_share(o) for o in options if value is not None and within(o, value)), default=Fraction(0)
        )
    elif question.type == MATCHING:
        choices = matching_choices(question)
        right = sum(
            chosen is not None and choices[chosen] == option["match"]
            for option, chosen in zip(options, answer, strict=False)
        )
        score = Fraction(right, len(options))
    elif question.type == "multiple" and any("weight" in o for o in options):
        score = sum((_share(options[i]) for i in answer), Fraction(0))
    elif question.type == "multiple":
        correct = frozenset(i for i, o in enumerate(options) if o["correct"])
        if not question.partial:
            return Fraction(int(answer == correct))
        wrong_options = len(options) - len(correct)
        score = Fraction(len(answer & correct), len(correct))
        if wrong_options:
            score -= Fraction(len(answer - correct), wrong_options)
    else:
        score = max((_share(options[i]) for i in answer), default=Fraction(0))
    return min(max(score, Fraction(0)), Fraction(1))


def _normal(text: str) -> str:
    return " ".join(text.casefold().split())


def accepts(accepted: str, given: str) -> bool:
    """Whether a typed answer matches an accepted one: case and spacing do not count, and `*`
    in the accepted answer stands for any text."""
    pattern = ".*".join(re.escape(part) for part in _normal(accepted).split("*"))
    return re.fullmatch(pattern, _normal(given)) is not None


_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def number(text: str) -> Fraction | None:
    """The number typed ("12", "-0.5", "1,822", "2.5e3", " 4 "), exactly; None when it is
    not one."""
    text = text.strip().replace(" ", "")
    if _GROUPED.match(text):
        text = text.replace(",", "")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", text):
        return None
    try:
        return Fraction(Decimal(text))
    except (InvalidOperation, ValueError, OverflowError):
        return None


def _exact(value: float) -> Fraction:
    return Fraction(Decimal(repr(value)))


def within(option: dict[str, Any], value: Fraction) -> bool:
    if "value" in option:
        return abs(value - _exact(option["value"])) <= _exact(option.get("tolerance") or 0)
    return _exact(option["min"]) <= value <= _exact(option["max"])


# -- matching ----------------------------------------------------------------------------------


def matching_choices(question) -> list[str]:
    """The answers a matching question offers for each prompt: each pair's match once, in the
    pack's order (the page shows them shuffled, see `choice_order`)."""
    return list(dict.fromkeys(o["match"] for o in question.options))


def choice_order(question, attempt_id: int, shuffle: bool) -> list[int]:
    """The order a matching question's answers are listed in for one attempt: shuffled the
    same way every time the attempt is shown, or alphabetical when the quiz does not shuffle
    (so the pack's order never gives the pairs away)."""
    choices = matching_choices(question)
    order = sorted(range(len(choices)), key=lambda i: choices[i].casefold())
    if shuffle:
        random.Random(f"{attempt_id}:{question.id}").shuffle(order)  # noqa: S311 (not secret)
    return order


# -- feedback ----------------------------------------------------------------------------------


def answer_feedback(question, answer: Answer | None) -> list[str]:
    """The feedback written for the answer given: each chosen option's, or the accepted answer
    it matched (the best); the question's general feedback is shown beside it."""
    if not answered(answer):
        return []
    options = question.options
    if question.type == "short_answer":
        matched = [o for o in options if accepts(o["text"], answer)]
    elif question.type == "numerical":
        value = number(answer)
        matched = [o for o in options if value is not None and within(o, value)]
    elif question.type == MATCHING:
        return []
    else:
        return [options[i]["feedback"] for i in sorted(answer) if options[i].get("feedback")]
    matched.sort(key=_share, reverse=True)
    return [matched[0]["feedback"]] if matched and matched[0].get("feedback") else []


def answer_text(question, answer: Answer | None) -> str:
    """The answer given, in words (for the result page and the CSV of responses)."""
    if answer is None or not answered(answer):
        return ""
    if kind(question) == "text":
        return answer
    if kind(question) == MATCHING:
        choices = matching_choices(question)
        return " | ".join(
            f"{o['text']} → {choices[c]}" for o, c in zip(question.options, answer, strict=False) if c is not None
        )
    return " | ".join(question.options[i]["text"] for i in sorted(answer))
