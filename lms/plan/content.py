"""What the requirements engine needs to know about the content (titles, current policy
versions, which course holds a policy, quiz ids): two small queries, read once per request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import g, has_request_context
from sqlalchemy import select

from ..extensions import db
from ..models.content import Course, CourseVersion, Quiz, QuizVersion

Key = tuple[str, str]


@dataclass(frozen=True)
class ContentSnapshot:
    titles: dict[Key, str]
    policies: dict[str, tuple[str, date]]  # ref -> (current version label, effective date)
    policy_courses: dict[str, str]  # policy ref -> the course slug that carries it
    quiz_ids: dict[str, int]  # active quizzes by slug


def content_snapshot() -> ContentSnapshot:
    """The content's facts, read once per request (or per call outside one)."""
    if has_request_context() and "content_snapshot" in g:
        return g.content_snapshot
    snapshot = _load()
    if has_request_context():
        g.content_snapshot = snapshot
    return snapshot


def _load() -> ContentSnapshot:
    titles: dict[Key, str] = {}
    policies: dict[str, tuple[str, date]] = {}
    policy_courses: dict[str, str] = {}
    q = select(
        Course.slug,
        Course.archived,
        CourseVersion.title,
        CourseVersion.policy_ref,
        CourseVersion.policy_version,
        CourseVersion.policy_effective,
    ).join(CourseVersion, Course.current_version_id == CourseVersion.id)
    for slug, archived, title, ref, version, effective in db.session.execute(q):
        titles[("course", slug)] = title
        if ref:
            titles[("policy", ref)] = title
            if not archived:
                policies[ref] = (version, effective)
                policy_courses[ref] = slug
    quiz_ids = {}
    q = select(Quiz.id, Quiz.slug, Quiz.archived, QuizVersion.title).join(
        QuizVersion, Quiz.current_version_id == QuizVersion.id
    )
    for quiz_id, slug, archived, title in db.session.execute(q):
        titles[("quiz", slug)] = title
        if not archived:
            quiz_ids[slug] = quiz_id
    return ContentSnapshot(titles, policies, policy_courses, quiz_ids)
