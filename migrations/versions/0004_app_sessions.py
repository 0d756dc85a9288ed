"""Sessions held by apps: access and refresh tokens, and the refresh tokens already exchanged.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08 09:00:00.000000

An app session is a ``user_sessions`` row like a browser's, of kind ``app``:
it holds the hashes of an access token and a refresh token instead of a
session cookie's, so ``session_token_hash`` may now be empty. Every existing
row is a browser's. ``rotated_refresh_tokens`` keeps the hashes of refresh
tokens that were exchanged, to catch one presented again.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

KIND = "kind IN ('browser', 'app')"
TOKENS_OF_KIND = (
    "(kind = 'browser' AND session_token_hash IS NOT NULL) OR "
    "(kind = 'app' AND access_token_hash IS NOT NULL AND refresh_token_hash IS NOT NULL)"
)


def upgrade() -> None:
    # On SQLite this rebuilds user_sessions, which is safe while no table
    # refers to it: rotated_refresh_tokens, which will, is created after.
    # users is never rebuilt (its dependants would cascade away).
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=8), server_default='browser', nullable=False))
        batch_op.add_column(sa.Column('client_name', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('access_token_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('access_expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column('session_token_hash', existing_type=sa.String(length=64), nullable=True)
        batch_op.create_unique_constraint(batch_op.f('uq_user_sessions_access_token_hash'), ['access_token_hash'])
        batch_op.create_check_constraint('kind', KIND)
        batch_op.create_check_constraint('tokens_of_kind', TOKENS_OF_KIND)

    op.create_table('rotated_refresh_tokens',
    sa.Column('refresh_token_hash', sa.String(length=64), nullable=False),
    sa.Column('session_id', sa.Uuid(), nullable=False),
    sa.Column('rotated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['user_sessions.id'], name=op.f('fk_rotated_refresh_tokens_session_id_user_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('refresh_token_hash', name=op.f('pk_rotated_refresh_tokens'))
    )
    with op.batch_alter_table('rotated_refresh_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rotated_refresh_tokens_session_id'), ['session_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('rotated_refresh_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rotated_refresh_tokens_session_id'))
    op.drop_table('rotated_refresh_tokens')

    # Before 0004 every session was a browser's: app sessions cannot be kept.
    op.execute("DELETE FROM user_sessions WHERE kind = 'app'")
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_user_sessions_tokens_of_kind'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_user_sessions_kind'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_user_sessions_access_token_hash'), type_='unique')
        batch_op.alter_column('session_token_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_column('access_expires_at')
        batch_op.drop_column('access_token_hash')
        batch_op.drop_column('client_name')
        batch_op.drop_column('kind')
