"""community generation: raised by every change a community's pages show (page cache key)

Revision ID: 3c1f0e7a9b21
Revises: 079e6bc37ba4
Create Date: 2026-11-29 10:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3c1f0e7a9b21'
down_revision = '079e6bc37ba4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('communities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('generation', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('communities', schema=None) as batch_op:
        batch_op.drop_column('generation')
