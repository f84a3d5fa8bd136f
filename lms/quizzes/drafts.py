"""Answers saved as the person goes, so an attempt left part-way (a closed browser, a lost
connection, another device) resumes with the same draw and the answers given so far.

A save replaces the attempt's saved answers with what the page's form holds now, checked
as a submission is (`attempts.parse_answers`), so nothing a submission would refuse is ever
saved. Only the questions whose answers changed are written, so saving an unchanged page
moves nothing. Submitting grades the form that is sent (the page was drawn with the saved
answers in it) and then removes the saved answers: `quiz_response` holds the graded ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from werkzeug.datastructures import MultiDict

from ..extensions import db
from ..formatting import plural
from ..models import QuizAttempt, QuizQuestion, User, utcnow
from ..models.drafts import QuizDraftAnswer
from ..models.quiz import IN_PROGRESS
from ..people.personal_data import PersonalDataSource, _row, register
from . import attempts


def _question_fields(form: Mapping, questions: Iterable[QuizQuestion]) -> dict[int, dict[str, list[str]]]:
    """The form's answer fields by question: `q-<qid>`, or `q-<qid>-...` for a question type
    that sends several fields (the longest matching question id wins), empty values dropped."""
    by_name = sorted(((attempts.field_name(q), q) for q in questions), key=lambda p: -len(p[0]))
    found: dict[int, dict[str, list[str]]] = {}
    for key in form.keys():
        if not key.startswith("q-"):
            continue
        question = next((q for name, q in by_name if key == name or key.startswith(name + "-")), None)
        values = form.getlist(key) if hasattr(form, "getlist") else [form.get(key)]
        values = [v for v in values if v not in (None, "")]
        if question is not None and values:
            found.setdefault(question.id, {})[key] = values
    return found


def _rows(attempt: QuizAttempt) -> dict[int, QuizDraftAnswer]:
    return {
        row.question_id: row
        for row in db.session.scalars(
            select(QuizDraftAnswer)
            .where(QuizDraftAnswer.attempt_id == attempt.id)
            .execution_options(populate_existing=True)
        )
    }


def save(attempt: QuizAttempt, questions: list[QuizQuestion], form: Mapping) -> int:
    """Make the attempt's saved answers the form's; return how many questions have one.

    Raises AlreadySubmitted once the attempt is submitted, and Tampered for answers a
    submission would refuse. Racing a submission, only one wins: the save's first write is a
    conditional update of the attempt's row, which waits for (and then sees) a submission
    holding that row, and which a submission then waits for in turn.
    """
    attempts.check_open(attempt)
    attempts.parse_answers(form, questions)  # the same refusals as a submission
    wanted = _question_fields(form, questions)
    saved_fields = db.session.execute(
        select(QuizDraftAnswer.question_id, QuizDraftAnswer.fields).where(QuizDraftAnswer.attempt_id == attempt.id)
    )
    if dict(saved_fields.all()) == wanted:
        return len(wanted)
    still_open = db.session.execute(
        update(QuizAttempt)
        .where(QuizAttempt.id == attempt.id, QuizAttempt.state == IN_PROGRESS)
        .values(state=IN_PROGRESS)
        .execution_options(synchronize_session=False)
    ).rowcount
    if still_open != 1:
        raise attempts.AlreadySubmitted(attempts._already_message())
    saved = _rows(attempt)  # read under the row's lock: another tab may have saved since
    gone = [qid for qid in saved if qid not in wanted]
    if gone:
        db.session.execute(
            delete(QuizDraftAnswer).where(
                QuizDraftAnswer.attempt_id == attempt.id, QuizDraftAnswer.question_id.in_(gone)
            )
        )
        for qid in gone:
            db.session.expunge(saved.pop(qid))
    now = utcnow()
    for question_id, fields in wanted.items():
        row = saved.get(question_id)
        if row is None:
            db.session.add(
                QuizDraftAnswer(
                    attempt_id=attempt.id, question_id=question_id, user_id=attempt.user_id, fields=fields, saved_at=now
                )
            )
        elif row.fields != fields:
            row.fields, row.saved_at = fields, now
    db.session.flush()
    return len(wanted)


def saved_answers(attempt: QuizAttempt, questions: list[QuizQuestion]) -> dict:
    """The saved answers in the form `attempts.parse_answers` gives, to draw the page with."""
    form = MultiDict()
    for row in _rows(attempt).values():
        for key, values in row.fields.items():
            for value in values:
                form.add(key, value)
    try:
        return attempts.parse_answers(form, questions)
    except attempts.Tampered:
        return {}  # saved under checks that have since changed: start the page afresh


def saved_message(answered: int, total: int) -> str:
    return (
        f"Your answers are saved: {answered} of {plural(total, 'question')} answered. "
        "You can leave this page and come back to finish."
    )


@dataclass
class SavedSummary:
    answered: int
    saved_at: datetime | None


def summary(attempt: QuizAttempt | None) -> SavedSummary:
    """How many questions have a saved answer, and when the last was saved."""
    if attempt is None:
        return SavedSummary(0, None)
    answered, saved_at = db.session.execute(
        select(func.count(), func.max(QuizDraftAnswer.saved_at)).where(QuizDraftAnswer.attempt_id == attempt.id)
    ).one()
    return SavedSummary(answered, saved_at)


def discard(attempt: QuizAttempt) -> None:
    """Remove the attempt's saved answers (it has been submitted)."""
    db.session.execute(delete(QuizDraftAnswer).where(QuizDraftAnswer.attempt_id == attempt.id))


# -- personal data ---------------------------------------------------------------------------------


def _export(person: User) -> list[dict]:
    rows = db.session.scalars(
        select(QuizDraftAnswer).where(QuizDraftAnswer.user_id == person.id).order_by(QuizDraftAnswer.attempt_id)
    )
    return [_row(r, ("attempt_id", "question_id", "fields", "saved_at")) for r in rows]


def _purge(person: User) -> None:
    db.session.execute(delete(QuizDraftAnswer).where(QuizDraftAnswer.user_id == person.id))


register(PersonalDataSource("quiz_draft_answers", "Quiz answers saved before submitting", export=_export, purge=_purge))
