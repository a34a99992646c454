"""pending registrations: an account is created when its emailed link is opened

Revision ID: b7e41c09d2a6
Revises: 4d2a7c9e1b30
Create Date: 2026-12-02 08:10:00.000000

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = 'b7e41c09d2a6'
down_revision = '4d2a7c9e1b30'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'pending_registrations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('password_hash', sa.String(length=255), nullable=False),
        sa.Column('display_name', sa.String(length=120), nullable=False),
        sa.Column('organization', sa.String(length=200), nullable=False),
        sa.Column('job_title', sa.String(length=200), nullable=False),
        sa.Column('locale', sa.String(length=10), nullable=False),
        sa.Column('timezone', sa.String(length=64), nullable=False),
        sa.Column('invitation_id', sa.Integer(), nullable=True),
        sa.Column('next_path', sa.String(length=500), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['invitation_id'], ['invitations.id'], name=op.f('fk_pending_registrations_invitation_id_invitations'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_registrations')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_pending_registrations_token_hash')),
    )
    with op.batch_alter_table('pending_registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_registrations_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_pending_registrations_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_pending_registrations_invitation_id'), ['invitation_id'], unique=False)


def downgrade():
    op.drop_table('pending_registrations')
