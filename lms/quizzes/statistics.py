"""How each question of a quiz performs, for leads who rewrite the weak ones.

Over the attempts submitted in the last 12 months (to the organisation's today):

- **facility**: the share of the attempts that drew the question and answered it right
  (full marks); a question nearly everyone gets right teaches little, one nearly everyone
  gets wrong may be unclear;
- **discrimination index**: the attempts are ranked by score, and the facility among the
  top 27% (the upper group) less the facility among the bottom 27% (the lower group), from
  -1 to 1. A good question is answered right more often by those who do well overall
  (0.3 or more); near 0 it tells strong from weak learners no better than chance, and below
  0 the strong get it wrong more often than the weak, which usually means the marked
  answer or the wording is wrong. With drawn questions each group counts only the
  attempts in it that drew the question. Tied scores at a group's edge are split by attempt.
- **how often each option is chosen**, out of the attempts that drew the question ("no
  answer" included), so a distractor nobody picks, or one most pick, shows.

A question is followed by its stable id across the quiz's versions; an option by its text,
so a reworded pack still counts the same option as one.

The figures come from one `GROUP BY` over the window's responses (per question, answer
given and group) and a count; nothing is kept between requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Integer, case, cast, func, select

from ..dates import local_today
from ..extensions import db
from ..models import Quiz, QuizAttempt, QuizQuestion, QuizResponse
from ..models.quiz import SUBMITTED
from ..plan.status import add_months

WINDOW_MONTHS = 12
GROUP_PERCENT = 27  # Kelley's upper and lower groups
UPPER, MIDDLE, LOWER = 1, 0, -1
# The types answered by choosing options, whose responses store the options' indexes.
CHOICE_TYPES = frozenset({"single", "multiple", "true_false"})


@dataclass
class OptionFigure:
    text: str
    correct: bool
    chosen: int
    of: int  # attempts that drew the question
    current: bool = True  # still an option in the quiz as it is now

    @property
    def share(self) -> float:
        return self.chosen / self.of if self.of else 0.0


@dataclass
class QuestionFigures:
    qid: str
    text: str
    current: bool  # still in the quiz as it is now
    choice: bool  # answered by choosing options: the options' figures mean something
    drawn: int = 0
    right: int = 0
    upper_drawn: int = 0
    upper_right: int = 0
    lower_drawn: int = 0
    lower_right: int = 0
    unanswered: int = 0
    options: list[OptionFigure] = field(default_factory=list)

    @property
    def facility(self) -> float | None:
        return self.right / self.drawn if self.drawn else None

    @property
    def discrimination(self) -> float | None:
        """Upper group's facility less the lower group's; None while either group is empty."""
        if not self.upper_drawn or not self.lower_drawn:
            return None
        return self.upper_right / self.upper_drawn - self.lower_right / self.lower_drawn

    @property
    def verdict(self) -> str:
        """What a lead should make of the discrimination index, in words."""
        d = self.discrimination
        if d is None:
            return "Too few attempts"
        if d < 0:
            return "Check the answer"
        if d < 0.2:
            return "Weak"
        if d < 0.3:
            return "Fair"
        return "Good"


@dataclass
class QuizFigures:
    since: date
    attempts: int
    group_size: int  # attempts in each of the upper and lower groups
    questions: list[QuestionFigures]


def group_size(attempts: int) -> int:
    """27% of the attempts, rounded half up (0 below 2 attempts: no groups to compare)."""
    return (attempts * GROUP_PERCENT + 50) // 100


def window_start(today: date | None = None) -> date:
    return add_months(today or local_today(), -WINDOW_MONTHS)


def _start_moment(since: date) -> datetime:
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    return datetime.combine(since, time(0), tz).astimezone(UTC)


def quiz_figures(quiz: Quiz, today: date | None = None) -> QuizFigures:
    """Each question's figures over the last 12 months' submitted attempts at `quiz`;
    the questions with the weakest discrimination first (then the lowest facility)."""
    since = window_start(today)
    in_window = (
        QuizAttempt.quiz_id == quiz.id,
        QuizAttempt.state == SUBMITTED,
        QuizAttempt.submitted_at >= _start_moment(since),
    )
    total = db.session.scalar(select(func.count()).select_from(QuizAttempt).where(*in_window)) or 0
    size = group_size(total)
    ranked = (
        select(
            QuizAttempt.id.label("attempt_id"),
            func.row_number().over(order_by=(QuizAttempt.score.desc(), QuizAttempt.id)).label("rank"),
        )
        .where(*in_window)
        .cte("ranked")
    )
    group = case((ranked.c.rank <= size, UPPER), (ranked.c.rank > total - size, LOWER), else_=MIDDLE)
    rows = db.session.execute(
        select(
            QuizResponse.question_id,
            QuizResponse.chosen,
            group.label("grp"),
            func.count(),
            func.sum(cast(QuizResponse.correct, Integer)),
        )
        .join(ranked, ranked.c.attempt_id == QuizResponse.attempt_id)
        .group_by(QuizResponse.question_id, QuizResponse.chosen, group)
    ).all()
    questions = _questions(quiz, {question_id for question_id, *_ in rows})
    figures: dict[str, QuestionFigures] = {}
    chosen_counts: dict[str, dict[str, int]] = {}
    for question_id, chosen, grp, count, right in rows:
        question = questions[question_id]
        fig = figures.setdefault(question.qid, _empty(question, quiz))
        right = int(right or 0)
        fig.drawn += count
        fig.right += right
        if grp == UPPER:
            fig.upper_drawn += count
            fig.upper_right += right
        elif grp == LOWER:
            fig.lower_drawn += count
            fig.lower_right += right
        if not chosen:
            fig.unanswered += count
        elif question.type in CHOICE_TYPES and chosen.isdigit():
            texts = chosen_counts.setdefault(question.qid, {})
            for index in {int(c) for c in chosen}:
                if index < len(question.options):
                    text = question.options[index]["text"]
                    texts[text] = texts.get(text, 0) + count
    current = quiz.current_version
    for question in current.questions if current else ():
        figures.setdefault(question.qid, _empty(question, quiz))
    current_id = current.id if current else None
    for qid, fig in figures.items():
        fig.options = _options(fig, chosen_counts.get(qid, {}), questions.values(), current_id)
    ordered = sorted(
        figures.values(),
        key=lambda f: (
            f.discrimination is None,
            f.discrimination if f.discrimination is not None else 0,
            f.facility if f.facility is not None else 1,
            f.qid,
        ),
    )
    return QuizFigures(since, total, size, ordered)


def _questions(quiz: Quiz, ids: set[int]) -> dict[int, QuizQuestion]:
    """The questions answered in the window, whichever version they belong to, and the
    current version's."""
    current = quiz.current_version
    found = {q.id: q for q in (current.questions if current else ())}
    missing = ids - found.keys()
    if missing:
        found.update({q.id: q for q in db.session.scalars(select(QuizQuestion).where(QuizQuestion.id.in_(missing)))})
    return found


def _empty(question: QuizQuestion, quiz: Quiz) -> QuestionFigures:
    current = quiz.current_version
    latest = next((q for q in (current.questions if current else ()) if q.qid == question.qid), None)
    shown = latest or question
    return QuestionFigures(
        qid=question.qid, text=shown.text, current=latest is not None, choice=shown.type in CHOICE_TYPES
    )


def _options(fig: QuestionFigures, counts: dict[str, int], questions, current_id: int | None) -> list[OptionFigure]:
    """The current version's options in the pack's order, then any chosen that only older
    versions had."""
    if not fig.choice:
        return []
    versions = sorted((q for q in questions if q.qid == fig.qid and q.type in CHOICE_TYPES), key=lambda q: -q.version_id)
    latest = next((q for q in versions if q.version_id == current_id), None)
    options: list[OptionFigure] = []
    seen: set[str] = set()
    for question in ([latest] if latest else []) + [q for q in versions if q is not latest]:
        for option in question.options or ():
            if option["text"] in seen:
                continue
            seen.add(option["text"])
            options.append(
                OptionFigure(option["text"], bool(option.get("correct")), counts.get(option["text"], 0), fig.drawn,
                             current=question is latest)
            )
    return [o for o in options if o.current or o.chosen]
