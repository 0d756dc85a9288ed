"""Sessions that move: where a session's requests came from last, and when it last moved.

Revision ID: 0010
Revises: 0011
Create Date: 2026-12-07 11:00:00.000000

Plain ``ADD COLUMN`` on both backends, never a batch rebuild: on SQLite
rebuilding ``user_sessions`` would cascade away the rows that refer to it
(see 0007). The new columns are all nullable, with no default.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0011'
branch_labels = None
depends_on = None

COLUMNS = ('last_ip_address', 'last_country_code', 'last_country', 'last_city', 'moved_at')


def upgrade() -> None:
    op.add_column('user_sessions', sa.Column(
        'last_ip_address', sa.String(length=45).with_variant(postgresql.INET(), 'postgresql'), nullable=True))
    op.add_column('user_sessions', sa.Column('last_country_code', sa.String(length=2), nullable=True))
    op.add_column('user_sessions', sa.Column('last_country', sa.String(length=100), nullable=True))
    op.add_column('user_sessions', sa.Column('last_city', sa.String(length=100), nullable=True))
    op.add_column('user_sessions', sa.Column('moved_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # SQLite 3.35+ drops a column in place, without rebuilding user_sessions.
    for column in reversed(COLUMNS):
        op.drop_column('user_sessions', column)
