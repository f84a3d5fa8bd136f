"""person data version: a counter on each user row, moved on by triggers whenever one of the
person's rows that their pages show changes (see lms/models/versioning.py)

Revision ID: d5fe76cb60ec
Revises: e56672a9a0ad
Create Date: 2026-11-25 07:09:51.537865

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd5fe76cb60ec'
down_revision = 'e56672a9a0ad'
branch_labels = None
depends_on = None

# A copy, as of this revision, of the tables lms/models/versioning.py names.
PERSON_TABLES = (
    "user_category",
    "lesson_read",
    "completion",
    "quiz_attempt",
    "evidence",
    "attestation",
    "policy_acknowledgement",
    "issued_certificate",
)
BUMP = 'UPDATE "user" SET data_version = data_version + 1 WHERE id IN ({ids})'
SQLITE_IDS = (("insert", "NEW.user_id"), ("update", "OLD.user_id, NEW.user_id"), ("delete", "OLD.user_id"))
PG_FUNCTION = (
    "CREATE OR REPLACE FUNCTION touch_person() RETURNS trigger AS $$ BEGIN "
    f"IF TG_OP = 'INSERT' THEN {BUMP.format(ids='NEW.user_id')}; "
    f"ELSIF TG_OP = 'DELETE' THEN {BUMP.format(ids='OLD.user_id')}; "
    f"ELSE {BUMP.format(ids='OLD.user_id, NEW.user_id')}; "
    "END IF; RETURN NULL; END; $$ LANGUAGE plpgsql"
)


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('data_version', sa.Integer(), server_default='0', nullable=False))

    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for table in PERSON_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_touch_person AFTER INSERT OR UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION touch_person()"
            )
    else:
        for table in PERSON_TABLES:
            for name, ids in SQLITE_IDS:
                op.execute(
                    f"CREATE TRIGGER IF NOT EXISTS {table}_touch_person_{name} AFTER {name.upper()} ON {table} "
                    f"BEGIN {BUMP.format(ids=ids)}; END"
                )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in PERSON_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_touch_person ON {table}")
        op.execute("DROP FUNCTION IF EXISTS touch_person()")
    else:
        for table in PERSON_TABLES:
            for name, _ids in SQLITE_IDS:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_touch_person_{name}")

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('data_version')
