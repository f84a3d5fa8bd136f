"""outbox delivery state: each message's state, attempts, next attempt and claim, for the
delivery worker (`lms deliver-mail`) that sends queued messages after commit

Messages already in the outbox were sent in the request that made them: those with sent_at
are sent, those with an error failed (they were never tried again), and the rest were never
emailed because no SMTP server was set. A row inserted without a state (by an app server of
the version before, during a rolling upgrade, which sends its mail itself) is not emailed again.

Revision ID: c279fd022766
Revises: fcd0c9a4905a
Create Date: 2026-12-02 20:04:10.287622

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c279fd022766'
down_revision = 'fcd0c9a4905a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sa.String(length=16), nullable=False, server_default='outbox_only'))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(), nullable=True))
        batch_op.create_index('ix_outbox_message_due', ['state', 'next_attempt_at'], unique=False)

    outbox = sa.table('outbox_message', sa.column('state'), sa.column('attempts'), sa.column('sent_at'), sa.column('error'))
    op.execute(outbox.update().where(outbox.c.sent_at.is_not(None)).values(state='sent', attempts=1))
    op.execute(
        outbox.update().where(outbox.c.sent_at.is_(None), outbox.c.error.is_not(None)).values(state='failed', attempts=1)
    )


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_message_due')
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('attempts')
        batch_op.drop_column('state')
