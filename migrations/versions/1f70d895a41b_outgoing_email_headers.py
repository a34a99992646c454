"""outgoing emails: extra headers (List-Id, List-Unsubscribe of notification emails)

Revision ID: 1f70d895a41b
Revises: 3c9e5f1a7b20
Create Date: 2026-11-29 10:14:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1f70d895a41b'
down_revision = '3c9e5f1a7b20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outgoing_emails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('headers', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('outgoing_emails', schema=None) as batch_op:
        batch_op.drop_column('headers')
