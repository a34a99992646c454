"""link previews read by the worker: post_attachments.preview_pending

Revision ID: 6e1f2a9c4d70
Revises: a59b789133e7
Create Date: 2026-12-02 09:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6e1f2a9c4d70'
down_revision = 'a59b789133e7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('post_attachments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('preview_pending', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('post_attachments', schema=None) as batch_op:
        batch_op.drop_column('preview_pending')
