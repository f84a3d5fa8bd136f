"""All models, imported here so that Alembic and create_all see every table."""

from .calendar import CalendarFeed
from .content import (
    Completion,
    Course,
    CourseImage,
    CourseVersion,
    Lesson,
    LessonRead,
    Quiz,
    QuizQuestion,
    QuizVersion,
)
from .drafts import QuizDraftAnswer
from .evidence import (
    Attestation,
    Declaration,
    Evidence,
    EvidenceStatus,
    IssuedCertificate,
    PolicyAcknowledgement,
)
from .history import ComplianceCount, ComplianceSnapshot
from .people import (
    CATEGORIES,
    CATEGORY_LABELS,
    Permission,
    Token,
    TokenPurpose,
    User,
    UserCategory,
    UserSession,
    new_session_token,
)
from .quiz import QuizAttempt, QuizResponse, QuizReview
from .records import ReminderLog
from .second_factor import RecoveryCode, SecondFactor
from .sso import SsoIdentity
from .standing import Standing
from .system import AuditEvent, OrgSetting, OutboxMessage
from .types import UTCDateTime, utcnow
from .versioning import attach as _attach_versioning

_attach_versioning(User.metadata)

__all__ = [
    "CATEGORIES",
    "CATEGORY_LABELS",
    "Attestation",
    "AuditEvent",
    "CalendarFeed",
    "ComplianceCount",
    "ComplianceSnapshot",
    "Completion",
    "Course",
    "CourseImage",
    "CourseVersion",
    "Declaration",
    "Evidence",
    "EvidenceStatus",
    "IssuedCertificate",
    "Lesson",
    "LessonRead",
    "OrgSetting",
    "OutboxMessage",
    "Permission",
    "PolicyAcknowledgement",
    "Quiz",
    "QuizAttempt",
    "QuizDraftAnswer",
    "QuizQuestion",
    "QuizResponse",
    "QuizReview",
    "QuizVersion",
    "RecoveryCode",
    "ReminderLog",
    "SecondFactor",
    "SsoIdentity",
    "Token",
    "TokenPurpose",
    "User",
    "UserCategory",
    "UserSession",
    "Standing",
    "new_session_token",
    "UTCDateTime",
    "utcnow",
]
