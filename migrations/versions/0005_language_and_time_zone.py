"""Each person's language and time zone, and the zone a session signed in from.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-09 09:00:00.000000

``users.language`` and ``users.time_zone`` are the person's saved choices
(empty until they choose); ``user_sessions.time_zone`` is the IANA zone of the
place a session signed in from, which pages use until the person chooses.
Plain ``ADD COLUMN``: on SQLite a batch rebuild of ``users`` would cascade
away every row that refers to it.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('users', sa.Column('language', sa.String(length=8), nullable=True))
    op.add_column('users', sa.Column('time_zone', sa.String(length=64), nullable=True))
    op.add_column('user_sessions', sa.Column('time_zone', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_column('time_zone')
    # SQLite 3.35+ drops a column in place, without rebuilding users.
    op.drop_column('users', 'time_zone')
    op.drop_column('users', 'language')
