"""Sessions are bound to the credentials they were opened with.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 09:00:00.000000

``users.credentials_version`` goes up with every password change;
``user_sessions.credentials_version`` is the version a session's password was
verified against. Every existing account and session starts at 1, so no
session ends because of the upgrade. Sessions then keep no default: each new
row must say which credentials it was opened with.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A constant default lets SQLite add the columns in place. Rebuilding
    # users instead would drop the old table, and with foreign keys on that
    # deletes every session and security event of every account (CASCADE).
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credentials_version', sa.Integer(), server_default='1', nullable=False))

    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credentials_version', sa.Integer(), server_default='1', nullable=False))
    # Rebuilding user_sessions is safe: no table refers to it.
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.alter_column('credentials_version', existing_type=sa.Integer(), existing_nullable=False,
                              server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_column('credentials_version')

    # In place, for the same reason as above (SQLite 3.35 or newer drops a column in place).
    with op.batch_alter_table('users', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('credentials_version')
