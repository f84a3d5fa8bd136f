"""line managers and the reminder schedule: user.manager_id; each reminder's point (unique per
person and item) and, for a line manager's email, its recipient

Revision ID: 08b2f7489b04
Revises: c279fd022766
Create Date: 2026-12-02 23:59:55.183789

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '08b2f7489b04'
down_revision = 'c279fd022766'
branch_labels = None
depends_on = None


# Plain ALTER TABLE ADD COLUMN and CREATE INDEX, never a batch copy: on SQLite a copy of
# "user" would break the data-version triggers that name it (lms/models/versioning.py).


def _add_reference(table: str, column: str) -> None:
    """A nullable column referring to a person, added in place on every database."""
    name = f"fk_{table}_{column}_user"
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f'ALTER TABLE "{table}" ADD COLUMN {column} INTEGER CONSTRAINT {name} REFERENCES "user" (id)')
    else:
        op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
        op.create_foreign_key(name, table, 'user', [column], ['id'])


def upgrade():
    op.add_column('reminder_log', sa.Column('point', sa.String(length=40), nullable=True))
    _add_reference('reminder_log', 'recipient_id')
    op.create_index('uq_reminder_log_point', 'reminder_log', ['user_id', 'kind', 'ref', 'point'], unique=True)
    _add_reference('user', 'manager_id')
    op.create_index('ix_user_manager_id', 'user', ['manager_id'], unique=False)


def downgrade():
    op.drop_index('ix_user_manager_id', table_name='user')
    op.drop_index('uq_reminder_log_point', table_name='reminder_log')
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:  # the copy of "user" is renamed back without re-reading the triggers that name it
        op.execute("PRAGMA legacy_alter_table = ON")
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('manager_id')
    with op.batch_alter_table('reminder_log', schema=None) as batch_op:
        batch_op.drop_column('recipient_id')
        batch_op.drop_column('point')
    if sqlite:
        op.execute("PRAGMA legacy_alter_table = OFF")
