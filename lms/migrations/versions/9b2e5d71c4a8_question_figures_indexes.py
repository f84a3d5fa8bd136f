"""question figures indexes: the last 12 months' attempts at a quiz by score, and each
attempt's answers, both read from the index alone (lms/quizzes/statistics.py)

Revision ID: 9b2e5d71c4a8
Revises: 3f6a2d8e41c7
Create Date: 2026-12-03 12:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '9b2e5d71c4a8'
down_revision = '3f6a2d8e41c7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_quiz_attempt_window', 'quiz_attempt', ['quiz_id', 'state', 'submitted_at', 'score', 'id'], unique=False)
    op.create_index('ix_quiz_response_answers', 'quiz_response', ['attempt_id', 'question_id', 'chosen', 'correct'], unique=False)


def downgrade():
    op.drop_index('ix_quiz_response_answers', table_name='quiz_response')
    op.drop_index('ix_quiz_attempt_window', table_name='quiz_attempt')
