"""attention and notices: follow-up assignees, theme follows, weekly summaries

Revision ID: d55acec54f54
Revises: 6e1f2a9c4d70
Create Date: 2026-12-02 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd55acec54f54'
down_revision = '6e1f2a9c4d70'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assignee_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_follow_ups_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_foreign_key('fk_follow_ups_assignee_id_users', 'users', ['assignee_id'], ['id'], ondelete='SET NULL')
    op.create_table(
        'theme_follows',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('theme_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['theme_id'], ['themes.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('theme_id', 'user_id', name='uq_theme_follows_theme_user'),
    )
    op.create_index(op.f('ix_theme_follows_theme_id'), 'theme_follows', ['theme_id'], unique=False)
    op.create_index(op.f('ix_theme_follows_user_id'), 'theme_follows', ['user_id'], unique=False)
    op.create_table(
        'weekly_summaries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('last_sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('unsubscribed_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id'),
    )


def downgrade():
    op.drop_table('weekly_summaries')
    op.drop_index(op.f('ix_theme_follows_user_id'), table_name='theme_follows')
    op.drop_index(op.f('ix_theme_follows_theme_id'), table_name='theme_follows')
    op.drop_table('theme_follows')
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.drop_constraint('fk_follow_ups_assignee_id_users', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_follow_ups_assignee_id'))
        batch_op.drop_column('assignee_id')
