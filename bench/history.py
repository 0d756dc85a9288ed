"""Benchmark 7: security history at scale, monthly partitions against one plain table (PostgreSQL only).

Two schemas get the same ``events`` rows (default 20 million, a year of a
busy service: created_at spread evenly over the last 365 days, over
100,000 accounts), loaded with INSERT ... SELECT generate_series. One keeps
the migrations' partitioned ``security_events``; the other is turned back
into one plain table (what migration 0011 replaced). On each:

- the activity page's query (one account's last 90 days, newest first, a
  page of 20), EXPLAIN ANALYZE execution time over random accounts, p50;
- one event inserted and committed through ``AuditService.record``, timed
  with 10,000 rows in the table and again with all of them;
- ``AuditService.purge`` of everything older than 9 months (about a quarter
  of the rows): partitions dropped whole against rows deleted in batches.
"""

import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from app.extensions import db, services
from app.models import ActorKind, EventType
from app.services import event_partitions
from bench.databases import Database, bench_app, insert_users, scratch_database
from bench.report import Row, ms, percentile, progress

NAME = "7 history"
EVENTS = 20_000_000
ACCOUNTS = 100_000
FIRST_ROWS = 10_000
INSERTS = 300
QUERIES = 200
PURGE_AFTER = timedelta(days=274)  # 9 months
LOAD_CHUNK = 1_000_000
ACTIVITY_SQL = (
    "SELECT * FROM security_events WHERE subject_id = :subject AND created_at >= :since "
    "ORDER BY created_at DESC, id DESC LIMIT 20"
)


def run(backend: str = "postgresql", *, events: int = EVENTS, accounts: int = ACCOUNTS,
        queries: int = QUERIES, inserts: int = INSERTS) -> list[Row]:
    if backend != "postgresql":
        return []
    now = datetime.now(UTC)
    measured: dict[str, dict[str, float]] = {}
    for layout in ("partitioned", "plain"):
        with scratch_database(backend, f"history_{layout}") as database:
            measured[layout] = _measure(database, layout, now=now, events=events, accounts=accounts,
                                        queries=queries, inserts=inserts)
    rows = []
    for layout, values in measured.items():
        rows.append(Row(NAME, backend, f"{layout}: {events:,} events, loaded in {values['load_seconds']:,.0f} s",
                        f"activity query p50 {ms(values['query_p50'])}, p99 {ms(values['query_p99'])} "
                        f"(EXPLAIN ANALYZE)", values))
        rows.append(Row(NAME, backend, f"{layout}: one event inserted and committed",
                        f"at {FIRST_ROWS:,} rows p50 {ms(values['insert_small_p50'])}; "
                        f"at {events:,} p50 {ms(values['insert_large_p50'])} "
                        f"({values['insert_large_p50'] / values['insert_small_p50']:.2f}×)", values))
        rows.append(Row(NAME, backend, f"{layout}: purge older than 9 months",
                        f"{values['purge_seconds']:,.2f} s for {values['purged']:,.0f} events", values))
    part, plain = measured["partitioned"], measured["plain"]
    rows.append(Row(NAME, backend, "purge, plain / partitioned",
                    f"{plain['purge_seconds'] / max(part['purge_seconds'], 1e-9):,.0f}×"))
    rows.append(Row(NAME, backend, "activity query p50, partitioned / plain",
                    f"{part['query_p50'] / plain['query_p50']:.2f}×"))
    return rows


def _measure(database: Database, layout: str, *, now: datetime, events: int, accounts: int,
             queries: int, inserts: int) -> dict[str, float]:
    app = bench_app(database)
    oldest = now - timedelta(days=365)
    with app.app_context():
        conn = db.session.connection()
        if layout == "plain":
            _make_plain(conn)
        else:
            start = event_partitions.month_start(oldest)
            existing = {p.name for p in event_partitions.partitions(conn)}
            while start <= now:
                if event_partitions.partition_name(start) not in existing:
                    event_partitions.create_month(conn, start)
                start = event_partitions.next_month(start)
        user_ids = insert_users(conn, accounts)
        db.session.commit()
        low, high = min(user_ids), max(user_ids)

        progress(f"history ({layout}): {FIRST_ROWS:,} events, inserts")
        _load(first=0, count=min(FIRST_ROWS, events), total=events, low=low, accounts=accounts, oldest=oldest)
        db.session.execute(text("ANALYZE security_events"))
        db.session.commit()
        insert_small = _time_inserts(app, low, high, inserts)

        progress(f"history ({layout}): loading {events:,} events")
        started = time.perf_counter()
        done = FIRST_ROWS
        while done < events:
            count = min(LOAD_CHUNK, events - done)
            _load(first=done, count=count, total=events, low=low, accounts=accounts, oldest=oldest)
            done += count
            progress(f"history ({layout}): {done:,} events")
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as autocommit:
            autocommit.execute(text("VACUUM (ANALYZE) security_events"))
        load_seconds = time.perf_counter() - started

        insert_large = _time_inserts(app, low, high, inserts)
        query_times = _time_activity(low, high, now, queries)

        progress(f"history ({layout}): purge")
        started = time.perf_counter()
        purged = services(app).audit.purge(older_than=PURGE_AFTER, commit=db.session.commit)
        purge_seconds = time.perf_counter() - started
        db.session.remove()
        db.engine.dispose()
    return {
        "load_seconds": load_seconds,
        "query_p50": statistics.median(query_times), "query_p99": percentile(query_times, 99),
        "insert_small_p50": statistics.median(insert_small), "insert_large_p50": statistics.median(insert_large),
        "purge_seconds": purge_seconds, "purged": float(purged),
    }


def _make_plain(conn) -> None:  # type: ignore[no-untyped-def]
    """security_events as one table keyed by id, as before migration 0011."""
    conn.execute(text("CREATE TABLE events_plain (LIKE security_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"))
    conn.execute(text("ALTER SEQUENCE security_events_id_seq OWNED BY events_plain.id"))
    conn.execute(text("DROP TABLE security_events"))
    conn.execute(text("ALTER TABLE events_plain RENAME TO security_events"))
    conn.execute(text("ALTER TABLE security_events ADD CONSTRAINT pk_security_events PRIMARY KEY (id)"))
    conn.execute(text("ALTER TABLE security_events ADD CONSTRAINT fk_security_events_subject_id_users "
                      "FOREIGN KEY (subject_id) REFERENCES users (id) ON DELETE CASCADE"))
    conn.execute(text("ALTER TABLE security_events ADD CONSTRAINT fk_security_events_actor_id_users "
                      "FOREIGN KEY (actor_id) REFERENCES users (id) ON DELETE SET NULL"))
    conn.execute(text("CREATE INDEX ix_security_events_actor_id_created_at ON security_events (actor_id, created_at)"))
    conn.execute(text("CREATE INDEX ix_security_events_subject_id_created_at "
                      "ON security_events (subject_id, created_at)"))


def _load(*, first: int, count: int, total: int, low: int, accounts: int, oldest: datetime) -> None:
    """Events ``first`` .. ``first + count - 1`` of ``total``, evenly over the year from ``oldest``."""
    db.session.execute(text(
        "INSERT INTO security_events (subject_id, actor_id, actor_kind, event_type, ip_address, details, created_at) "
        "SELECT s, s, 'user', 'signed_in', "
        "'203.0.113.9'::inet, '{\"where\": {\"browser\": \"Firefox\", \"os\": \"Windows\"}}'::jsonb, "
        "CAST(:oldest AS timestamptz) + (i::float8 / CAST(:total AS float8)) * interval '365 days' "
        "FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS i, "
        "LATERAL (SELECT CAST(:low AS integer) + ((i * 7919) % CAST(:accounts AS integer))::integer AS s) AS subject"
    ), {"low": low, "accounts": accounts, "oldest": oldest, "total": total, "first": first, "last": first + count - 1})
    db.session.commit()


def _time_inserts(app, low: int, high: int, count: int) -> list[float]:  # type: ignore[no-untyped-def]
    audit = services(app).audit
    rng = random.Random(7)
    samples = []
    for _ in range(count):
        subject = rng.randint(low, high)
        started = time.perf_counter()
        audit.record(EventType.SIGNED_IN, subject_id=subject, actor_kind=ActorKind.USER, actor_id=subject)
        db.session.commit()
        samples.append(time.perf_counter() - started)
    return samples


def _time_activity(low: int, high: int, now: datetime, count: int) -> list[float]:
    rng = random.Random(11)
    since = now - timedelta(days=90)
    samples = []
    for _ in range(count):
        plan = db.session.execute(text(f"EXPLAIN (ANALYZE, FORMAT JSON) {ACTIVITY_SQL}"),
                                  {"subject": rng.randint(low, high), "since": since}).scalar_one()
        samples.append(plan[0]["Execution Time"] / 1000)
    db.session.rollback()
    return samples
