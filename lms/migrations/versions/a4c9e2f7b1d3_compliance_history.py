"""compliance history: one snapshot a day of each requirement's counts by status
(lms/models/history.py); the past months are rebuilt from the ledger by `lms init`

Revision ID: a4c9e2f7b1d3
Revises: 5b1e0c7d2a91
Create Date: 2026-12-03 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a4c9e2f7b1d3'
down_revision = '5b1e0c7d2a91'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('compliance_snapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('taken_at', sa.DateTime(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compliance_snapshot')),
    sa.UniqueConstraint('day', name=op.f('uq_compliance_snapshot_day'))
    )
    op.create_table('compliance_count',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('ref', sa.String(length=80), nullable=False),
    sa.Column('complete', sa.Integer(), nullable=False),
    sa.Column('expiring', sa.Integer(), nullable=False),
    sa.Column('pending', sa.Integer(), nullable=False),
    sa.Column('due', sa.Integer(), nullable=False),
    sa.Column('overdue', sa.Integer(), nullable=False),
    sa.Column('expired', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['snapshot_id'], ['compliance_snapshot.id'], name=op.f('fk_compliance_count_snapshot_id_compliance_snapshot')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compliance_count')),
    sa.UniqueConstraint('snapshot_id', 'kind', 'ref', name=op.f('uq_compliance_count_snapshot_id'))
    )


def downgrade():
    op.drop_table('compliance_count')
    op.drop_table('compliance_snapshot')
