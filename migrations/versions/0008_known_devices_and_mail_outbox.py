"""Known devices and countries, and the mail outbox.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 10:50:00.000000

``known_devices`` holds the SHA-256 of each browser's device cookie (or an
app's ``device_id``) per account, ``known_countries`` the countries an account
has signed in from; a sign-in from neither is new and is emailed through
``mail_outbox``, the transactional outbox the mail worker sends from.
``users.new_device_emails`` is the person's switch for those emails, and
``user_sessions.known_device_id`` the device a session was opened from.
Plain ``ADD COLUMN`` on both backends, as in 0007: on SQLite a batch rebuild
of ``users`` or ``user_sessions`` would cascade away every row that refers to
them, so the foreign key of ``user_sessions.known_device_id`` is written
inline there, which SQLite allows for a column added with no default.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('known_devices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('device_hash', sa.String(length=64), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_known_devices_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_known_devices')),
    sa.UniqueConstraint('user_id', 'device_hash', name=op.f('uq_known_devices_user_id'))
    )
    op.create_index(op.f('ix_known_devices_last_seen_at'), 'known_devices', ['last_seen_at'], unique=False)
    op.create_table('known_countries',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('country_code', sa.String(length=2), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_known_countries_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'country_code', name=op.f('pk_known_countries'))
    )
    op.create_table('mail_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('text_body', sa.Text(), nullable=False),
    sa.Column('html_body', sa.Text(), nullable=False),
    sa.Column('message_id', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=8), server_default='pending', nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name=op.f('ck_mail_outbox_status')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_mail_outbox_user_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_outbox')),
    sa.UniqueConstraint('message_id', name=op.f('uq_mail_outbox_message_id'))
    )
    op.create_index('ix_mail_outbox_status_next_attempt_at', 'mail_outbox', ['status', 'next_attempt_at'],
                    unique=False)
    op.create_index(op.f('ix_mail_outbox_user_id'), 'mail_outbox', ['user_id'], unique=False)
    op.add_column('users', sa.Column('new_device_emails', sa.Boolean(), server_default=sa.true(), nullable=False))
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE user_sessions ADD COLUMN known_device_id INTEGER '
                   'CONSTRAINT fk_user_sessions_known_device_id_known_devices '
                   'REFERENCES known_devices (id)')
    else:
        op.add_column('user_sessions', sa.Column('known_device_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_user_sessions_known_device_id_known_devices'), 'user_sessions',
                              'known_devices', ['known_device_id'], ['id'])


def downgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(op.f('fk_user_sessions_known_device_id_known_devices'), 'user_sessions',
                           type_='foreignkey')
    # SQLite 3.35+ drops a column in place, without rebuilding the table.
    op.drop_column('user_sessions', 'known_device_id')
    op.drop_column('users', 'new_device_emails')
    op.drop_index(op.f('ix_mail_outbox_user_id'), table_name='mail_outbox')
    op.drop_index('ix_mail_outbox_status_next_attempt_at', table_name='mail_outbox')
    op.drop_table('mail_outbox')
    op.drop_table('known_countries')
    op.drop_index(op.f('ix_known_devices_last_seen_at'), table_name='known_devices')
    op.drop_table('known_devices')
