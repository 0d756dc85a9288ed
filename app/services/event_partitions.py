"""Monthly partitions of ``security_events`` on PostgreSQL.

On PostgreSQL ``security_events`` is partitioned by range of ``created_at``,
one partition per calendar month (UTC), named ``security_events_yYYYYmMM``,
plus ``security_events_default`` for any month without one, so an event is
never refused. Its primary key is ``(id, created_at)`` there, because a
partitioned table's unique keys must include the partition key; ``id``
alone still comes from one sequence and stays unique. SQLite keeps one
plain table, and everything here does nothing on it.

Purging past the retention then drops whole months (no rows deleted one by
one, no dead tuples, no WAL for each row); only the month the cutoff falls
in, and the default partition, have rows deleted.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.clock import Clock
from app.services.errors import EventTableBusy

TABLE = "security_events"
DEFAULT_PARTITION = f"{TABLE}_default"
# Partitions made ahead of time, counting the current month.
MONTHS_AHEAD = 3
_PARTITION_NAME = re.compile(rf"^{TABLE}_(y\d{{4}}m\d{{2}}|default)$")
_BOUNDS = re.compile(r"FROM \('([^']+)'\) TO \('([^']+)'\)")
# How long making or dropping a partition waits for its lock on the table. That DDL takes a lock
# every insert of an event queues behind, so waiting without bound behind a long query (a report,
# a backup's dump) would hold up every sign-in; past this it gives up, changes nothing, and says so.
LOCK_TIMEOUT = timedelta(seconds=5)
LOCK_NOT_AVAILABLE = "55P03"


def month_start(moment: datetime) -> datetime:
    """The first instant of ``moment``'s month, in UTC."""
    moment = moment.astimezone(UTC)
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def next_month(start: datetime) -> datetime:
    return datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=UTC)


def partition_name(start: datetime) -> str:
    return f"{TABLE}_y{start.year:04d}m{start.month:02d}"


def is_partition_name(name: str) -> bool:
    """Whether ``name`` is one of the partitions (for autogenerate's compare, which must not see them)."""
    return bool(_PARTITION_NAME.match(name))


@dataclass(frozen=True, slots=True)
class Partition:
    name: str
    # None for the default partition.
    starts: datetime | None
    ends: datetime | None


@dataclass(frozen=True, slots=True)
class PartitionPurge:
    dropped: list[str]
    rows_in_dropped: int


def is_partitioned(conn: Connection) -> bool:
    if conn.dialect.name != "postgresql":
        return False
    return bool(conn.scalar(text(
        "SELECT EXISTS (SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
        "WHERE c.oid = to_regclass(:table))"
    ), {"table": TABLE}))


def partitions(conn: Connection) -> list[Partition]:
    """Every partition of the table, months in order, the default one last."""
    rows = conn.execute(text(
        "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
        "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(:table)"
    ), {"table": TABLE}).all()
    found = []
    for name, bound in rows:
        match = _BOUNDS.search(bound)
        if match is None:
            found.append(Partition(name, None, None))
        else:
            found.append(Partition(name, *(datetime.fromisoformat(b).astimezone(UTC) for b in match.groups())))
    return sorted(found, key=lambda p: (p.starts is None, p.starts or datetime.min.replace(tzinfo=UTC)))


def create_month(conn: Connection, start: datetime) -> str:
    """Create the partition of the month starting at ``start``, moving its rows out of the default partition.

    Rows of that month may have landed in the default partition while it had
    none; PostgreSQL refuses a partition that some default row would belong
    to, so they move to the new one in the same transaction.
    """
    name = partition_name(start)
    ends = next_month(start)
    bounds = {"starts": start, "ends": ends}
    in_month = "created_at >= :starts AND created_at < :ends"
    waiting = conn.scalar(text(f"SELECT EXISTS (SELECT 1 FROM {DEFAULT_PARTITION} WHERE {in_month})"), bounds)
    if waiting:
        conn.execute(text(f"CREATE TEMPORARY TABLE moving_events (LIKE {TABLE}) ON COMMIT DROP"))
        conn.execute(text(
            f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} WHERE {in_month} RETURNING *) "
            "INSERT INTO moving_events SELECT * FROM moved"
        ), bounds)
    conn.execute(text(
        f"CREATE TABLE {name} PARTITION OF {TABLE} "
        f"FOR VALUES FROM ('{start.isoformat()}') TO ('{ends.isoformat()}')"
    ))
    if waiting:
        conn.execute(text(f"INSERT INTO {TABLE} SELECT * FROM moving_events"))
        conn.execute(text("DROP TABLE moving_events"))
    return name


def ensure_months(conn: Connection, now: datetime, *, months_ahead: int = MONTHS_AHEAD) -> list[str]:
    """Create the partitions of ``now``'s month and the ones after it (``months_ahead`` in all) that are missing."""
    if not is_partitioned(conn):
        return []
    existing = {p.name for p in partitions(conn)}
    created = []
    start = month_start(now)
    for _ in range(months_ahead):
        if partition_name(start) not in existing:
            created.append(create_month(conn, start))
        start = next_month(start)
    return created


@contextmanager
def waiting_at_most(conn: Connection, timeout: timedelta) -> Iterator[None]:
    """Lock waits in the rest of this transaction end after ``timeout``, as EventTableBusy."""
    conn.execute(text(f"SET LOCAL lock_timeout = {max(1, int(timeout.total_seconds() * 1000))}"))
    try:
        yield
    except OperationalError as error:
        if getattr(error.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE:
            raise EventTableBusy() from error
        raise


class EventPartitions:
    """Keeps ``security_events``'s monthly partitions: months ahead made, months past the retention dropped.

    Both wait at most ``lock_timeout`` for the table (LOCK_TIMEOUT), then
    raise EventTableBusy; the caller rolls back and nothing has changed.
    """

    def __init__(self, db: Session, *, clock: Clock, lock_timeout: timedelta = LOCK_TIMEOUT) -> None:
        self._db = db
        self._clock = clock
        self._lock_timeout = lock_timeout

    def is_partitioned(self) -> bool:
        return is_partitioned(self._db.connection())

    def ensure_upcoming(self, *, months_ahead: int = MONTHS_AHEAD) -> list[str]:
        """Create this month's partition and the next ones' that are missing; returns their names."""
        conn = self._db.connection()
        if not is_partitioned(conn):
            return []
        with waiting_at_most(conn, self._lock_timeout):
            return ensure_months(conn, self._clock.now(), months_ahead=months_ahead)

    def drop_before(self, cutoff: datetime) -> PartitionPurge:
        """Drop every month partition that ends at or before ``cutoff``: all its rows are older.

        The month ``cutoff`` falls in is kept, for its rows to be deleted one
        by one; so is the default partition. Nothing happens on SQLite.
        """
        conn = self._db.connection()
        if not is_partitioned(conn):
            return PartitionPurge([], 0)
        dropped: list[str] = []
        rows = 0
        with waiting_at_most(conn, self._lock_timeout):
            for partition in partitions(conn):
                if partition.ends is None or partition.ends > cutoff:
                    continue
                rows += conn.scalar(text(f"SELECT count(*) FROM {partition.name}")) or 0
                conn.execute(text(f"ALTER TABLE {TABLE} DETACH PARTITION {partition.name}"))
                conn.execute(text(f"DROP TABLE {partition.name}"))
                dropped.append(partition.name)
        return PartitionPurge(dropped, rows)

