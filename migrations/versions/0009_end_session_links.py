"""The "Not you? End this session" links of alert emails.

Revision ID: 0009
Revises: 0010
Create Date: 2026-12-17 09:00:00.000000

``end_session_links`` holds one row per link sent: the one session it may
end, the SHA-256 of its random nonce (never the nonce), when it expires and
when it was used. A new table only: plain CREATE TABLE on both backends.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('end_session_links',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Uuid(), nullable=False),
    sa.Column('nonce_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['session_id'], ['user_sessions.id'], name=op.f('fk_end_session_links_session_id_user_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_end_session_links_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_end_session_links'))
    )
    op.create_index(op.f('ix_end_session_links_session_id'), 'end_session_links', ['session_id'], unique=False)
    op.create_index(op.f('ix_end_session_links_user_id'), 'end_session_links', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_end_session_links_user_id'), table_name='end_session_links')
    op.drop_index(op.f('ix_end_session_links_session_id'), table_name='end_session_links')
    op.drop_table('end_session_links')
