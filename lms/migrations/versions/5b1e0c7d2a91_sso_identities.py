"""single sign-on: sso_identity binds a person to a provider's issuer and subject

Revision ID: 5b1e0c7d2a91
Revises: a7c41e9b2d60
Create Date: 2026-12-03 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b1e0c7d2a91'
down_revision = 'a7c41e9b2d60'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'sso_identity',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('issuer', sa.String(length=255), nullable=False),
        sa.Column('subject', sa.String(length=255), nullable=False),
        sa.Column('email_at_link', sa.String(length=254), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_used_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_sso_identity_user_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sso_identity')),
        sa.UniqueConstraint('issuer', 'subject', name='uq_sso_identity_issuer_subject'),
        sa.UniqueConstraint('user_id', 'issuer', name='uq_sso_identity_user_id_issuer'),
    )
    op.create_index(op.f('ix_sso_identity_user_id'), 'sso_identity', ['user_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_sso_identity_user_id'), table_name='sso_identity')
    op.drop_table('sso_identity')
