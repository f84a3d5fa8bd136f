"""quiz response typed answer: the text given to a short-answer or numerical question

Rows stored before these question types keep `answer` empty (NULL) and read, and score, as
they always did (lms/quizzes/grading.py).

Revision ID: 6d2b9e4f1a38
Revises: a4c9e2f7b1d3
Create Date: 2026-12-03 06:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6d2b9e4f1a38'
down_revision = 'a4c9e2f7b1d3'
branch_labels = None
depends_on = None


# A plain ALTER TABLE ADD COLUMN, never a batch copy (see 08b2f7489b04).


def upgrade():
    op.add_column('quiz_response', sa.Column('answer', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('quiz_response') as batch_op:
        batch_op.drop_column('answer')
