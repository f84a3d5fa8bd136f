"""Each person's data version: a counter on their `user` row that the database moves on
whenever one of their rows that their own pages show is added, changed or removed.

Triggers do it, not application code, so no path can forget: the ORM, bulk `UPDATE`s,
`lms import-records`, another app server or a hand-run SQL fix all move it. The ETag of
each person's pages (lms/revalidation.py) includes this counter, which is how a browser's
copy of a page is known to be out of date whichever server made the change.

The user row's own columns (name, permission, start date...) are not counted here: the ETag
includes them beside the counter.
"""

from __future__ import annotations

from sqlalchemy import DDL, event

# Tables whose rows, through `user_id`, are part of what a person's pages show. (Quiz
# responses belong to an attempt, and are written with the attempt's row, which counts.)
PERSON_TABLES: tuple[str, ...] = (
    "user_category",
    "lesson_read",
    "completion",
    "quiz_attempt",
    "quiz_draft_answer",
    "evidence",
    "attestation",
    "policy_acknowledgement",
    "issued_certificate",
    "calendar_feed",
)

# Tables with a `user_id` that are deliberately left out, and why (a test keeps this whole).
NOT_SHOWN: dict[str, str] = {
    "token": "one-time links: never shown on the person's pages",
    "reminder_log": "when reminders were sent: shown to leads, not to the person",
    "standing": "worked out from the person's other rows, whose changes move the version already",
    "user_session": "sign-ins: checked on every request, never shown on the person's pages",
    "second_factor": "the authenticator app's secret: shown only while enrolling, never on the person's pages",
    "sso_identity": "the provider account a person signs in with: never shown on their pages",
}

_BUMP = 'UPDATE "user" SET data_version = data_version + 1 WHERE id IN ({ids})'

_SQLITE_IDS = (("insert", "NEW.user_id"), ("update", "OLD.user_id, NEW.user_id"), ("delete", "OLD.user_id"))


def sqlite_triggers(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER IF NOT EXISTS {table}_touch_person_{op} AFTER {op.upper()} ON {table} "
        f"BEGIN {_BUMP.format(ids=ids)}; END"
        for op, ids in _SQLITE_IDS
    ]


POSTGRESQL_FUNCTION = (
    "CREATE OR REPLACE FUNCTION touch_person() RETURNS trigger AS $$ BEGIN "
    f"IF TG_OP = 'INSERT' THEN {_BUMP.format(ids='NEW.user_id')}; "
    f"ELSIF TG_OP = 'DELETE' THEN {_BUMP.format(ids='OLD.user_id')}; "
    f"ELSE {_BUMP.format(ids='OLD.user_id, NEW.user_id')}; "
    "END IF; RETURN NULL; END; $$ LANGUAGE plpgsql"
)


def postgresql_trigger(table: str) -> str:
    return (
        f"CREATE TRIGGER {table}_touch_person AFTER INSERT OR UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION touch_person()"
    )


def attach(metadata) -> None:
    """Create the triggers with the tables when the schema comes from `create_all` (tests);
    the migration `d5fe76cb60ec` creates the same ones in a real database."""
    event.listen(
        metadata.tables["user"], "after_create", DDL(POSTGRESQL_FUNCTION).execute_if(dialect="postgresql")
    )
    for table in PERSON_TABLES:
        target = metadata.tables[table]
        for sql in sqlite_triggers(table):
            event.listen(target, "after_create", DDL(sql).execute_if(dialect="sqlite"))
        event.listen(target, "after_create", DDL(postgresql_trigger(table)).execute_if(dialect="postgresql"))
