"""A learner's courses: what they may take, how far they are, marking lessons read and
recording a course's completion in the ledger."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from ..dates import local_today
from ..extensions import db
from ..models import Completion, Course, CourseVersion, Lesson, LessonRead, Quiz, User
from ..models.types import utcnow
from ..plan import standing
from ..plan.loader import current_plan
from ..plan.status import Status, evaluate_latest
from ..transaction import NotFound


def required_course_slugs(user: User) -> set[str]:
    """The courses this person's training plan requires."""
    plan = current_plan()
    return {t.ref for t in plan.terms_for(frozenset(user.categories)) if t.kind == "course"}


@dataclass
class Progress:
    """How far a person is through the current version of one course."""

    course: Course
    version: CourseVersion
    lesson_hashes: list[str]
    read: set[str]  # content hashes of this course's lessons the person has read
    required: bool = False
    completions: list[Completion] = field(default_factory=list)  # newest first
    # The completion being renewed, while the plan asks the person to read the course again
    # (it lapses within the warning window, or has lapsed): only reads after it count.
    renewing: Completion | None = None

    @property
    def total(self) -> int:
        return len(self.lesson_hashes)

    @property
    def done(self) -> int:
        return sum(h in self.read for h in self.lesson_hashes)

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.done == self.total

    @property
    def started(self) -> bool:
        return self.done > 0

    def is_read(self, lesson: Lesson) -> bool:
        return lesson.content_hash in self.read

    @property
    def completion(self) -> Completion | None:
        """The completion of the current version, when there is one."""
        return next((c for c in self.completions if c.content_version == self.version.hash), None)

    @property
    def earlier_completion(self) -> Completion | None:
        """A completion of an earlier version, while the current one is not complete."""
        if self.complete:
            return None
        return next((c for c in self.completions if c.content_version != self.version.hash), None)


def active_course(slug: str) -> Course:
    """The course with this slug, or 404 when there is none or it is archived."""
    course = db.session.scalar(
        select(Course)
        .join(Course.current_version)
        .options(contains_eager(Course.current_version))
        .where(Course.slug == slug, Course.archived.is_(False))
    )
    if course is None:
        raise NotFound()
    return course


def current_lesson(course: Course, lesson_slug: str) -> Lesson:
    """A lesson of the course's current version, or 404 (also for other versions' lessons)."""
    return db.one_or_404(
        select(Lesson).where(
            Lesson.version_id == course.current_version_id, Lesson.slug == lesson_slug
        )
    )


def list_courses(user: User) -> list[Progress]:
    """Every active course with this person's progress, in a fixed number of queries."""
    courses = db.session.scalars(
        select(Course)
        .join(Course.current_version)
        .options(contains_eager(Course.current_version))
        .where(Course.archived.is_(False))
        .order_by(CourseVersion.order, CourseVersion.title, Course.id)
    ).all()
    version_ids = [c.current_version_id for c in courses]
    hashes: dict[int, list[str]] = {v: [] for v in version_ids}
    for version_id, content_hash in db.session.execute(
        select(Lesson.version_id, Lesson.content_hash)
        .where(Lesson.version_id.in_(version_ids))
        .order_by(Lesson.version_id, Lesson.position)
    ):
        hashes[version_id].append(content_hash)
    reads: dict[int, list] = {c.id: [] for c in courses}
    for course_id, content_hash, read_at in db.session.execute(
        select(LessonRead.course_id, LessonRead.content_hash, LessonRead.read_at).where(LessonRead.user_id == user.id)
    ):
        reads.setdefault(course_id, []).append((content_hash, read_at))
    completions: dict[str, list[Completion]] = {}
    for completion in _completions(user):
        completions.setdefault(completion.ref, []).append(completion)
    required = required_course_slugs(user)
    listed = []
    for c in courses:
        done = completions.get(c.slug, [])
        renewing = renewal_due(user, c.slug, done)
        read = reads[c.id]
        if renewing is not None:  # as on the course page: only reads since the completion count
            read = [r for r in read if r[1] > renewing.recorded_at]
            done = [d for d in done if d.recorded_at > renewing.recorded_at]
        listed.append(
            Progress(
                course=c,
                version=c.current_version,
                lesson_hashes=hashes[c.current_version_id],
                read={h for h, _ in read},
                required=c.slug in required,
                completions=done,
                renewing=renewing,
            )
        )
    return listed


def renewal_due(user: User, slug: str, completions: list[Completion]) -> Completion | None:
    """The latest completion of this course when the person's plan asks them to renew it now
    (it lapses within the plan's warning window, or has lapsed); otherwise None."""
    plan = current_plan()
    terms = next(
        (t for t in plan.terms_for(frozenset(user.categories)) if t.kind == "course" and t.ref == slug), None
    )
    if terms is None or terms.renew_months is None:
        return None
    today = local_today()
    latest = max(
        (c for c in completions if c.completed_on <= today), key=lambda c: (c.completed_on, c.id), default=None
    )
    if latest is None:
        return None
    done = latest.completed_on
    status = evaluate_latest(done, 0, terms.renew_months, done, False, today, plan.warning_days).status
    return latest if status in (Status.EXPIRING, Status.EXPIRED) else None


def course_progress(user: User, course: Course) -> Progress:
    version = course.current_version
    completions = _completions(user, course.slug)
    renewing = renewal_due(user, course.slug, completions)
    rows = db.session.execute(
        select(LessonRead.content_hash, LessonRead.read_at).where(
            LessonRead.user_id == user.id, LessonRead.course_id == course.id
        )
    ).all()
    if renewing is not None:
        # A renewal is a fresh read: lessons read before the completion it renews do not count.
        since = renewing.recorded_at
        rows = [r for r in rows if r.read_at > since]
        completions = [c for c in completions if c.recorded_at > since]
    return Progress(
        course=course,
        version=version,
        lesson_hashes=[lesson.content_hash for lesson in version.lessons],
        read={r.content_hash for r in rows},
        required=course.slug in required_course_slugs(user),
        completions=completions,
        renewing=renewing,
    )


def _completions(user: User, slug: str | None = None) -> list[Completion]:
    query = select(Completion).where(Completion.user_id == user.id, Completion.kind == "course")
    if slug is not None:
        query = query.where(Completion.ref == slug)
    return list(db.session.scalars(query.order_by(Completion.recorded_at.desc(), Completion.id.desc())))


def course_quiz(version: CourseVersion) -> Quiz | None:
    """The active quiz that belongs to this course, when it has one."""
    if not version.quiz_slug:
        return None
    return db.session.scalar(
        select(Quiz).where(Quiz.slug == version.quiz_slug, Quiz.archived.is_(False))
    )


def mark_read(user: User, course: Course, lesson: Lesson) -> Completion | None:
    """Record that the person read this lesson; when that completes the course's current
    version, add a completion to the ledger and return it. Commits."""
    exists = db.session.scalar(
        select(LessonRead.id).where(
            LessonRead.user_id == user.id,
            LessonRead.course_id == course.id,
            LessonRead.content_hash == lesson.content_hash,
        )
    )
    if exists is None:
        try:
            with db.session.begin_nested():
                db.session.add(
                    LessonRead(
                        user_id=user.id,
                        course_id=course.id,
                        content_hash=lesson.content_hash,
                        lesson_id=lesson.id,
                    )
                )
        except IntegrityError:
            pass  # the same person's other request recorded it a moment ago
    elif renewal_due(user, course.slug, _completions(user, course.slug)) is not None:
        # Read again to renew the course: the read counts from now.
        db.session.execute(
            update(LessonRead).where(LessonRead.id == exists).values(read_at=utcnow(), lesson_id=lesson.id)
        )
    progress = course_progress(user, course)
    completion = None
    if progress.complete and progress.completion is None:
        version = course.current_version
        completion = Completion(
            user_id=user.id,
            kind="course",
            ref=course.slug,
            completed_on=local_today(),
            source="lms",
            content_version=version.hash,
            course_version_id=version.id,
        )
        db.session.add(completion)
        standing.refresh([user.id])
    db.session.flush()
    return completion


def next_lesson_to_read(progress: Progress, after: Lesson | None = None) -> Lesson | None:
    """The first unread lesson after `after` (wrapping round), or None when all are read."""
    lessons = progress.version.lessons
    start = after.position if after is not None else 0
    ordered = lessons[start:] + lessons[:start]
    return next((lesson for lesson in ordered if not progress.is_read(lesson)), None)
