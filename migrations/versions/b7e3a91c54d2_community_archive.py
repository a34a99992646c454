"""communities: archived_at (an archived community is read-only)

Revision ID: b7e3a91c54d2
Revises: b7e41c09d2a6
Create Date: 2026-12-02 08:30:00.000000

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = 'b7e3a91c54d2'
down_revision = 'b7e41c09d2a6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('communities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('communities', schema=None) as batch_op:
        batch_op.drop_column('archived_at')
