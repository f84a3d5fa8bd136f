"""standing: each person's dates on each requirement of their plan (lms/models/standing.py)

Revision ID: fcd0c9a4905a
Revises: 7c3e49c9187a
Create Date: 2026-12-02 19:23:08.599314

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'fcd0c9a4905a'
down_revision = '7c3e49c9187a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('standing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('ref', sa.String(length=80), nullable=False),
    sa.Column('applies_from', sa.Date(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('pending', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_standing_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_standing')),
    sa.UniqueConstraint('user_id', 'kind', 'ref', name=op.f('uq_standing_user_id'))
    )
    with op.batch_alter_table('standing', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_standing_kind'), ['kind', 'ref'], unique=False)



def downgrade():
    with op.batch_alter_table('standing', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_standing_kind'))

    op.drop_table('standing')
