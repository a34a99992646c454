"""privacy policy: the administrator's text, per language

Revision ID: a59b789133e7
Revises: 4bc5b636baf8
Create Date: 2026-12-02 08:30:00.000000

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = 'a59b789133e7'
down_revision = '4bc5b636baf8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'privacy_policy',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('body_fr', sa.Text(), nullable=False),
        sa.Column('body_en', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )


def downgrade():
    op.drop_table('privacy_policy')
