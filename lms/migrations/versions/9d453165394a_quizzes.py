"""quizzes: attempts, responses, review settings, completion.attempt_id

Revision ID: 9d453165394a
Revises: 87abd87ee1c2
Create Date: 2026-11-25 02:06:50.426675

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9d453165394a'
down_revision = '87abd87ee1c2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('quiz_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('quiz_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('passed', sa.Boolean(), nullable=True),
    sa.Column('draw', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['quiz_id'], ['quiz.id'], name=op.f('fk_quiz_attempt_quiz_id_quiz')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_quiz_attempt_user_id_user')),
    sa.ForeignKeyConstraint(['version_id'], ['quiz_version.id'], name=op.f('fk_quiz_attempt_version_id_quiz_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quiz_attempt')),
    sa.UniqueConstraint('user_id', 'quiz_id', 'number', name=op.f('uq_quiz_attempt_user_id'))
    )
    with op.batch_alter_table('quiz_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quiz_attempt_quiz_id'), ['quiz_id', 'user_id', 'state', 'passed', 'score', 'submitted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_quiz_attempt_version_id'), ['version_id'], unique=False)

    op.create_table('quiz_review',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('review', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['quiz_version.id'], name=op.f('fk_quiz_review_version_id_quiz_version')),
    sa.PrimaryKeyConstraint('version_id', name=op.f('pk_quiz_review'))
    )
    op.create_table('quiz_response',
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('chosen', sa.String(length=16), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('correct', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['quiz_attempt.id'], name=op.f('fk_quiz_response_attempt_id_quiz_attempt')),
    sa.ForeignKeyConstraint(['question_id'], ['quiz_question.id'], name=op.f('fk_quiz_response_question_id_quiz_question')),
    sa.PrimaryKeyConstraint('attempt_id', 'position', name=op.f('pk_quiz_response'))
    )
    with op.batch_alter_table('quiz_response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quiz_response_question_id'), ['question_id', 'correct'], unique=False)

    with op.batch_alter_table('completion', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempt_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_completion_attempt_id'), ['attempt_id'])
        batch_op.create_foreign_key(batch_op.f('fk_completion_attempt_id_quiz_attempt'), 'quiz_attempt', ['attempt_id'], ['id'])


def downgrade():
    with op.batch_alter_table('completion', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_completion_attempt_id_quiz_attempt'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_completion_attempt_id'), type_='unique')
        batch_op.drop_column('attempt_id')

    with op.batch_alter_table('quiz_response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quiz_response_question_id'))

    op.drop_table('quiz_response')
    op.drop_table('quiz_review')
    with op.batch_alter_table('quiz_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quiz_attempt_version_id'))
        batch_op.drop_index(batch_op.f('ix_quiz_attempt_quiz_id'))

    op.drop_table('quiz_attempt')
