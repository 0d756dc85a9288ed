"""Organisations, sessions that move, and addresses kept only as long as needed.

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-15 09:00:00.000000

``organisations`` holds the organisations accounts may belong to
(``users.organisation_id``); sessions record theirs at sign-in in the column
the first migration reserved for it, ``tenant_id``, now ``organisation_id``.
Plain ``ADD COLUMN`` and ``RENAME COLUMN`` on both backends: on SQLite a batch
rebuild of ``users`` or ``user_sessions`` would cascade away every row that
refers to them, so the foreign key of ``users.organisation_id`` is written
inline there, which SQLite allows for a column added with no default.
``security_events.ip_masked_at`` says when an event's addresses were cut to
their networks, past IP_RETENTION_DAYS.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('organisations',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations')),
    sa.UniqueConstraint('name', name=op.f('uq_organisations_name'))
    )
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE users ADD COLUMN organisation_id CHAR(32) '
                   'CONSTRAINT fk_users_organisation_id_organisations REFERENCES organisations (id)')
    else:
        op.add_column('users', sa.Column('organisation_id', sa.Uuid(), nullable=True))
        op.create_foreign_key(op.f('fk_users_organisation_id_organisations'), 'users', 'organisations',
                              ['organisation_id'], ['id'])
    op.create_index(op.f('ix_users_organisation_id'), 'users', ['organisation_id'], unique=False)
    op.execute('ALTER TABLE user_sessions RENAME COLUMN tenant_id TO organisation_id')
    op.add_column('security_events', sa.Column('ip_masked_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column('security_events', 'ip_masked_at')
    op.execute('ALTER TABLE user_sessions RENAME COLUMN organisation_id TO tenant_id')
    op.drop_index(op.f('ix_users_organisation_id'), table_name='users')
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(op.f('fk_users_organisation_id_organisations'), 'users', type_='foreignkey')
    # SQLite 3.35+ drops a column in place, without rebuilding users.
    op.drop_column('users', 'organisation_id')
    op.drop_table('organisations')
