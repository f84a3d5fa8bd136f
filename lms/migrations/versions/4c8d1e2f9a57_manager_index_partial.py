"""the line-manager index holds only people who have a manager

Most people have no line manager, so an index over every row counts them all as one value
and planners (SQLite after ANALYZE) scan the whole user table to count a person's reports,
on every learner page. An index of the rows that have a manager stays small and selective.

Revision ID: 4c8d1e2f9a57
Revises: 9b2e5d71c4a8
Create Date: 2026-12-03 07:30:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '4c8d1e2f9a57'
down_revision = '9b2e5d71c4a8'
branch_labels = None
depends_on = None

HAS_MANAGER = sa.text('manager_id IS NOT NULL')


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_index('ix_user_manager_id')
    op.create_index('ix_user_manager_id', 'user', ['manager_id'], unique=False,
                    postgresql_where=HAS_MANAGER, sqlite_where=HAS_MANAGER)


def downgrade():
    op.drop_index('ix_user_manager_id', table_name='user')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.create_index('ix_user_manager_id', ['manager_id'], unique=False)
