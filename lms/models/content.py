"""Content packs as stored: courses and quizzes with every version kept, lesson reads, and
the one ledger of completions that the status engine and reports read."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .people import User
from .types import UTCDateTime, utcnow


class Course(db.Model):
    """A course pack, by slug (its folder name). Archived when its folder disappears."""

    __tablename__ = "course"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    archived: Mapped[bool] = mapped_column(default=False)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("course_version.id", use_alter=True)
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    current_version: Mapped[CourseVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True
    )
    versions: Mapped[list[CourseVersion]] = relationship(
        back_populates="course",
        foreign_keys="CourseVersion.course_id",
        order_by="CourseVersion.id",
    )


class CourseVersion(db.Model):
    """One content version of a course; never changed once stored."""

    __tablename__ = "course_version"
    __table_args__ = (UniqueConstraint("course_id", "hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    minutes: Mapped[int]
    order: Mapped[int]
    audience: Mapped[str | None] = mapped_column(String(200))
    quiz_slug: Mapped[str | None] = mapped_column(String(80))
    policy_ref: Mapped[str | None] = mapped_column(String(80))
    policy_version: Mapped[str | None] = mapped_column(String(40))
    policy_effective: Mapped[date | None]
    policy_statement: Mapped[str | None] = mapped_column(Text)
    policy_changes: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(500))  # where the pack was read from
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    course: Mapped[Course] = relationship(back_populates="versions", foreign_keys=[course_id])
    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="version", order_by="Lesson.position", cascade="all, delete-orphan"
    )

    @property
    def is_policy(self) -> bool:
        return self.policy_ref is not None


class Lesson(db.Model):
    """A lesson of one course version; `content_hash` is what a read is recorded against."""

    __tablename__ = "lesson"
    __table_args__ = (
        UniqueConstraint("version_id", "position", name="uq_lesson_version_id_position"),
        UniqueConstraint("version_id", "slug", name="uq_lesson_version_id_slug"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("course_version.id"), index=True)
    position: Mapped[int]  # 1, 2, 3...
    slug: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    html: Mapped[str] = mapped_column(Text)  # rendered and sanitised at sync
    content_hash: Mapped[str] = mapped_column(String(64))

    version: Mapped[CourseVersion] = relationship(back_populates="lessons")


class CourseImage(db.Model):
    """An image file of a course, kept once per content hash and served at a hashed URL."""

    __tablename__ = "course_image"
    __table_args__ = (UniqueConstraint("content_hash", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    mime: Mapped[str] = mapped_column(String(40))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Quiz(db.Model):
    """A quiz pack, by slug (its file name). Archived when its file disappears."""

    __tablename__ = "quiz"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    archived: Mapped[bool] = mapped_column(default=False)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("quiz_version.id", use_alter=True)
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    current_version: Mapped[QuizVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True
    )
    versions: Mapped[list[QuizVersion]] = relationship(
        back_populates="quiz", foreign_keys="QuizVersion.quiz_id", order_by="QuizVersion.id"
    )


class QuizVersion(db.Model):
    """One content version of a quiz: its settings and question pool. Attempts point here."""

    __tablename__ = "quiz_version"
    __table_args__ = (UniqueConstraint("quiz_id", "hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id"), index=True)
    hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    pass_mark: Mapped[int]  # percent
    draw: Mapped[int]  # questions per attempt: at most the pool, all of it when not given
    shuffle: Mapped[bool]
    max_attempts: Mapped[int]  # 0: unlimited
    source: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    quiz: Mapped[Quiz] = relationship(back_populates="versions", foreign_keys=[quiz_id])
    questions: Mapped[list[QuizQuestion]] = relationship(
        back_populates="version", order_by="QuizQuestion.position", cascade="all, delete-orphan"
    )


class QuizQuestion(db.Model):
    """A question of one quiz version. `options` is a list of {"text", "correct"};
    a true/false question stores the two options True and False."""

    __tablename__ = "quiz_question"
    __table_args__ = (
        UniqueConstraint("version_id", "qid", name="uq_quiz_question_version_id_qid"),
        UniqueConstraint("version_id", "position", name="uq_quiz_question_version_id_position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("quiz_version.id"), index=True)
    position: Mapped[int]
    qid: Mapped[str] = mapped_column(String(80))  # the pack's stable question id
    type: Mapped[str] = mapped_column(String(16))  # single | multiple | true_false
    text: Mapped[str] = mapped_column(Text)
    feedback: Mapped[str] = mapped_column(Text)
    options: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    partial: Mapped[bool] = mapped_column(default=False)  # partial credit (multiple only)

    version: Mapped[QuizVersion] = relationship(back_populates="questions")


class LessonRead(db.Model):
    """A person read a lesson's content. Keyed by content hash, so a read carries over to a
    new course version in which that lesson did not change."""

    __tablename__ = "lesson_read"
    __table_args__ = (UniqueConstraint("user_id", "course_id", "content_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id"))  # where it was read
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Completion(db.Model):
    """The ledger: one row for every way a requirement was met (a course completed, a quiz
    passed, a certificate verified, an attestation, a policy acknowledged, an import).

    Rows are only ever added. `ref` is the requirement's ref (a course or quiz slug...);
    `content_version` the content hash it was met against; the link columns point to the
    record behind it (later kinds add theirs).
    """

    __tablename__ = "completion"
    __table_args__ = (Index(None, "user_id", "kind", "ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(String(16))  # course | quiz | certificate | ...
    ref: Mapped[str] = mapped_column(String(80))
    completed_on: Mapped[date]  # the day it counts from, in the organisation's time zone
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(16))  # lms | import | ...
    content_version: Mapped[str | None] = mapped_column(String(64))
    course_version_id: Mapped[int | None] = mapped_column(ForeignKey("course_version.id"))
    note: Mapped[str | None] = mapped_column(Text)  # e.g. an imported record's note
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # who imported it
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id"))  # a verified upload
    attestation_id: Mapped[int | None] = mapped_column(ForeignKey("attestation.id"))
    acknowledgement_id: Mapped[int | None] = mapped_column(ForeignKey("policy_acknowledgement.id"))
    # the quiz attempt that passed (at most one completion per attempt)
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("quiz_attempt.id"), unique=True)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    course_version: Mapped[CourseVersion | None] = relationship()
