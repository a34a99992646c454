"""activity feed: what happened in each community

Revision ID: 8776447ac225
Revises: d55acec54f54
Create Date: 2026-12-02 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8776447ac225'
down_revision = 'd55acec54f54'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'activity_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('community_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('action', sa.String(length=30), nullable=False),
        sa.Column('object_id', sa.Integer(), nullable=False),
        sa.Column('page_id', sa.Integer(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('first_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['community_id'], ['communities.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('activity_items', schema=None) as batch_op:
        batch_op.create_index('ix_activity_items_community_at', ['community_id', 'at', 'id'], unique=False)
        batch_op.create_index('ix_activity_items_at', ['at', 'id'], unique=False)
        batch_op.create_index('ix_activity_items_object', ['kind', 'object_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_activity_items_actor_id'), ['actor_id'], unique=False)


def downgrade():
    with op.batch_alter_table('activity_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_items_actor_id'))
        batch_op.drop_index('ix_activity_items_object')
        batch_op.drop_index('ix_activity_items_at')
        batch_op.drop_index('ix_activity_items_community_at')
    op.drop_table('activity_items')
