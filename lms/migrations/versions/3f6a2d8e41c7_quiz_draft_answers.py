"""quiz draft answers: answers saved while an attempt is in progress, moving the person's
data version like their other rows (lms/models/versioning.py)

Revision ID: 3f6a2d8e41c7
Revises: 6d2b9e4f1a38, 2e7d5c1b9a40
Create Date: 2026-12-03 11:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3f6a2d8e41c7'
# Also the merge point of the two branches that met here (the second factor's and the
# question types'), so the history has one head again.
down_revision = ('6d2b9e4f1a38', '2e7d5c1b9a40')
branch_labels = None
depends_on = None

TABLE = "quiz_draft_answer"
# As in d5fe76cb60ec, for this one table (the function touch_person() exists already).
BUMP = 'UPDATE "user" SET data_version = data_version + 1 WHERE id IN ({ids})'
SQLITE_IDS = (("insert", "NEW.user_id"), ("update", "OLD.user_id, NEW.user_id"), ("delete", "OLD.user_id"))


def upgrade():
    op.create_table(
        TABLE,
        sa.Column('attempt_id', sa.Integer(), nullable=False),
        sa.Column('question_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('fields', sa.JSON(), nullable=False),
        sa.Column('saved_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['attempt_id'], ['quiz_attempt.id'], name=op.f('fk_quiz_draft_answer_attempt_id_quiz_attempt'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['question_id'], ['quiz_question.id'], name=op.f('fk_quiz_draft_answer_question_id_quiz_question')),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_quiz_draft_answer_user_id_user')),
        sa.PrimaryKeyConstraint('attempt_id', 'question_id', name=op.f('pk_quiz_draft_answer')),
    )
    op.create_index(op.f('ix_quiz_draft_answer_user_id'), TABLE, ['user_id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE TRIGGER {TABLE}_touch_person AFTER INSERT OR UPDATE OR DELETE ON {TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION touch_person()"
        )
    else:
        for name, ids in SQLITE_IDS:
            op.execute(
                f"CREATE TRIGGER IF NOT EXISTS {TABLE}_touch_person_{name} AFTER {name.upper()} ON {TABLE} "
                f"BEGIN {BUMP.format(ids=ids)}; END"
            )


def downgrade():
    # Dropping the table drops its triggers on both databases.
    op.drop_index(op.f('ix_quiz_draft_answer_user_id'), table_name=TABLE)
    op.drop_table(TABLE)
