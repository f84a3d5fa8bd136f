"""calendar feeds: each person's private calendar link, stored as a SHA-256 hash, moving the
person's data version like their other rows (lms/models/versioning.py)

Revision ID: a7c41e9b2d60
Revises: 08b2f7489b04
Create Date: 2026-12-03 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c41e9b2d60'
down_revision = '08b2f7489b04'
branch_labels = None
depends_on = None

TABLE = "calendar_feed"
# As in d5fe76cb60ec, for this one table (the function touch_person() exists already).
BUMP = 'UPDATE "user" SET data_version = data_version + 1 WHERE id IN ({ids})'
SQLITE_IDS = (("insert", "NEW.user_id"), ("update", "OLD.user_id, NEW.user_id"), ("delete", "OLD.user_id"))


def upgrade():
    op.create_table(
        TABLE,
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_calendar_feed_user_id_user')),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_calendar_feed')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_feed_token_hash')),
    )
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
    op.drop_table(TABLE)
