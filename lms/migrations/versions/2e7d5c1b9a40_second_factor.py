"""second factor: each person's authenticator app secret and recovery codes, and on each
session whether it needs a second factor and when one was given

Revision ID: 2e7d5c1b9a40
Revises: 5b1e0c7d2a91
Create Date: 2026-12-03 06:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2e7d5c1b9a40'
down_revision = '5b1e0c7d2a91'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'second_factor',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('secret', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('confirmed_at', sa.DateTime(), nullable=True),
        sa.Column('last_step', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_second_factor_user_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_second_factor')),
        sa.UniqueConstraint('user_id', name=op.f('uq_second_factor_user_id')),
    )
    op.create_table(
        'recovery_code',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('second_factor_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('used_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ['second_factor_id'], ['second_factor.id'],
            name=op.f('fk_recovery_code_second_factor_id_second_factor'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_code')),
    )
    op.create_index(op.f('ix_recovery_code_second_factor_id'), 'recovery_code', ['second_factor_id'], unique=False)
    # Plain ADD COLUMN (no batch copy of user_session): sessions open before the upgrade keep
    # working as they were opened, without a second factor.
    op.add_column(
        'user_session', sa.Column('second_factor_required', sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.add_column('user_session', sa.Column('second_factor_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_column('second_factor_at')
        batch_op.drop_column('second_factor_required')
    op.drop_index(op.f('ix_recovery_code_second_factor_id'), table_name='recovery_code')
    op.drop_table('recovery_code')
    op.drop_table('second_factor')
