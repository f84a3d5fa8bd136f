"""Moodle's grade fractions: the only weights an answer may carry, so that a weight read from
Moodle (GIFT `~%33.33333%`, Moodle XML `fraction="33.33333"`) is written back as the same
number, and a quiz graded here scores as it would in Moodle.

Moodle writes thirds, sixths, sevenths and ninths rounded to five places; each is held here as
the exact fraction it stands for, so three answers of 33.33333 add up to exactly 100.
"""

from __future__ import annotations

from fractions import Fraction

# (the number Moodle writes, the share of the mark it stands for)
_POSITIVE: tuple[tuple[str, Fraction], ...] = (
    ("100", Fraction(1)),
    ("90", Fraction(9, 10)),
    ("83.33333", Fraction(5, 6)),
    ("80", Fraction(4, 5)),
    ("75", Fraction(3, 4)),
    ("70", Fraction(7, 10)),
    ("66.66667", Fraction(2, 3)),
    ("60", Fraction(3, 5)),
    ("50", Fraction(1, 2)),
    ("40", Fraction(2, 5)),
    ("33.33333", Fraction(1, 3)),
    ("30", Fraction(3, 10)),
    ("25", Fraction(1, 4)),
    ("20", Fraction(1, 5)),
    ("16.66667", Fraction(1, 6)),
    ("14.28571", Fraction(1, 7)),
    ("12.5", Fraction(1, 8)),
    ("11.11111", Fraction(1, 9)),
    ("10", Fraction(1, 10)),
    ("5", Fraction(1, 20)),
)

GRADES: tuple[tuple[str, Fraction], ...] = (
    *_POSITIVE,
    ("0", Fraction(0)),
    *((f"-{text}", -share) for text, share in _POSITIVE),
)

# How far a written weight may be from one of Moodle's (33.33 is 33.33333).
_CLOSE = 0.01


class NotAGrade(ValueError):
    pass


def share(weight: float) -> Fraction:
    """The exact share of the mark a weight (a percentage) stands for; NotAGrade when it is
    not one of Moodle's grade fractions."""
    for text, value in GRADES:
        if abs(float(text) - weight) < _CLOSE:
            return value
    allowed = ", ".join(text for text, _ in _POSITIVE)
    raise NotAGrade(
        f"the weight {weight:g} is not one of Moodle's grades: use {allowed}, 0, or one of "
        "them negative"
    )


def written(weight: float) -> str:
    """The weight as Moodle writes it (33.33 -> "33.33333")."""
    value = share(weight)
    return next(text for text, v in GRADES if v == value)


def normal(weight: float) -> float:
    """The weight as Moodle's number (what the pack stores)."""
    return float(written(weight))
