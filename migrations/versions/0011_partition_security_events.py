"""security_events partitioned by month on PostgreSQL; SQLite keeps one table.

On PostgreSQL the table becomes ``PARTITION BY RANGE (created_at)``: one
partition per month (UTC) from the oldest event's month to a few months
ahead, and a DEFAULT partition for any month without one. The primary key
becomes ``(id, created_at)`` (a partitioned table's keys must hold the
partition key); ``id`` keeps its sequence, so it stays unique on its own.
The rows are copied over in one transaction: this takes an exclusive lock
on the events for as long as the copy (a few seconds per million rows).
Nothing references ``security_events``, so no foreign key has to follow.

``flask --app wsgi events purge`` then drops whole months, and ``flask
--app wsgi sessions cleanup`` makes the months ahead (app/services/event_partitions.py).

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-07 10:45:00
"""
from datetime import UTC, datetime

from alembic import op
from sqlalchemy import text

revision = '0011'
down_revision = '0008'
branch_labels = None
depends_on = None

MONTHS_AHEAD = 3
_INDEXES = ("ix_security_events_actor_id_created_at", "ix_security_events_subject_id_created_at")
_COLUMNS = ("id, subject_id, actor_id, actor_kind, event_type, session_id, ip_address, device_summary, "
            "place, reason, details, created_at, ip_masked_at")


def _table_sql(partitioned: bool) -> str:
    key = "id, created_at" if partitioned else "id"
    return f"""
        CREATE TABLE security_events (
            id BIGINT NOT NULL DEFAULT nextval('security_events_id_seq'),
            subject_id INTEGER NOT NULL,
            actor_id INTEGER,
            actor_kind VARCHAR(8) NOT NULL,
            event_type VARCHAR(40) NOT NULL,
            session_id UUID,
            ip_address INET,
            device_summary VARCHAR(200),
            place VARCHAR(200),
            reason VARCHAR(500),
            details JSONB NOT NULL,
            created_at TIMESTAMP WITH TIME ZONE NOT NULL,
            ip_masked_at TIMESTAMP WITH TIME ZONE,
            CONSTRAINT pk_security_events PRIMARY KEY ({key}),
            CONSTRAINT ck_security_events_actor_kind CHECK (actor_kind IN ('user', 'staff', 'system')),
            CONSTRAINT fk_security_events_subject_id_users FOREIGN KEY (subject_id)
                REFERENCES users (id) ON DELETE CASCADE,
            CONSTRAINT fk_security_events_actor_id_users FOREIGN KEY (actor_id)
                REFERENCES users (id) ON DELETE SET NULL
        ){' PARTITION BY RANGE (created_at)' if partitioned else ''}
    """


def _set_old_aside() -> None:
    op.execute("ALTER TABLE security_events RENAME TO security_events_old")
    op.execute("ALTER INDEX pk_security_events RENAME TO pk_security_events_old")
    for index in _INDEXES:
        op.execute(f"ALTER INDEX {index} RENAME TO {index}_old")


def _create_new(partitioned: bool) -> None:
    op.execute(_table_sql(partitioned))
    # The sequence moves to the new table, so dropping the old one keeps it and every id it gave.
    op.execute("ALTER SEQUENCE security_events_id_seq OWNED BY security_events.id")
    op.execute("CREATE INDEX ix_security_events_actor_id_created_at ON security_events (actor_id, created_at)")
    op.execute("CREATE INDEX ix_security_events_subject_id_created_at ON security_events (subject_id, created_at)")


def _month_start(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def _next_month(start: datetime) -> datetime:
    return datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=UTC)


def _create_partitions() -> None:
    """One per month from the oldest event's to MONTHS_AHEAD months from now, and the default one."""
    oldest = op.get_bind().scalar(text("SELECT min(created_at) FROM security_events_old"))
    now = datetime.now(UTC)
    start = _month_start(min(oldest, now) if oldest is not None else now)
    last = _month_start(now)
    for _ in range(MONTHS_AHEAD - 1):
        last = _next_month(last)
    while start <= last:
        ends = _next_month(start)
        op.execute(f"CREATE TABLE security_events_y{start.year:04d}m{start.month:02d} PARTITION OF security_events "
                   f"FOR VALUES FROM ('{start.isoformat()}') TO ('{ends.isoformat()}')")
        start = ends
    op.execute("CREATE TABLE security_events_default PARTITION OF security_events DEFAULT")


def _copy_and_drop_old() -> None:
    op.execute(f"INSERT INTO security_events ({_COLUMNS}) SELECT {_COLUMNS} FROM security_events_old")
    op.execute("DROP TABLE security_events_old")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("LOCK TABLE security_events IN EXCLUSIVE MODE")
    _set_old_aside()
    _create_new(partitioned=True)
    _create_partitions()
    _copy_and_drop_old()


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("LOCK TABLE security_events IN EXCLUSIVE MODE")
    _set_old_aside()
    _create_new(partitioned=False)
    _copy_and_drop_old()
