"""moderation: member flags, content hidden pending review

Revision ID: 4bc5b636baf8
Revises: b7e3a91c54d2
Create Date: 2026-12-02 08:10:00.000000

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '4bc5b636baf8'
down_revision = 'b7e3a91c54d2'
branch_labels = None
depends_on = None

HIDDEN = ('posts', 'resources', 'notes', 'users')


def upgrade():
    op.create_table(
        'moderation_flags',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('object_id', sa.Integer(), nullable=False),
        sa.Column('community_id', sa.Integer(), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=20), nullable=False),
        sa.Column('text', sa.String(length=1000), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['community_id'], ['communities.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('kind', 'object_id', 'user_id', name='uq_moderation_flags_kind_object_user'),
    )
    with op.batch_alter_table('moderation_flags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_moderation_flags_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_moderation_flags_user_id'), ['user_id'], unique=False)
        batch_op.create_index('ix_moderation_flags_open', ['resolved_at', 'kind', 'object_id'], unique=False)
    for table in HIDDEN:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    for table in reversed(HIDDEN):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('hidden_at')
    with op.batch_alter_table('moderation_flags', schema=None) as batch_op:
        batch_op.drop_index('ix_moderation_flags_open')
        batch_op.drop_index(batch_op.f('ix_moderation_flags_user_id'))
        batch_op.drop_index(batch_op.f('ix_moderation_flags_community_id'))
    op.drop_table('moderation_flags')
