"""link preview images: the hub's copy of a card's image

Revision ID: 3c9e5f1a7b20
Revises: 3c1f0e7a9b21
Create Date: 2026-11-29 10:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3c9e5f1a7b20'
down_revision = '3c1f0e7a9b21'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('post_attachments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('image_sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('image_type', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('image_width', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('image_height', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_post_attachments_image_sha256'), ['image_sha256'], unique=False)


def downgrade():
    with op.batch_alter_table('post_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_post_attachments_image_sha256'))
        batch_op.drop_column('image_height')
        batch_op.drop_column('image_width')
        batch_op.drop_column('image_type')
        batch_op.drop_column('image_sha256')
