"""Benchmark 4: does resolving a session slow down as the sessions table grows?

One throwaway table per size (10 thousand, 1 million, 10 million rows on
PostgreSQL), generated in SQL, indexed and VACUUM ANALYZEd as a live table
would be, then ``SessionService.resolve`` on existing tokens, the sizes
taking turns lookup by lookup, in two patterns:

- sessions in use: the same number of sessions (IN_USE, all of the smallest
  table) is in use on every table, each looked up once before timing, as
  the sessions people are using are. Only the table's size differs, so
  this is what the floor is about.
- any session: tokens drawn from the whole table. On the large tables
  almost every lookup touches pages no lookup has touched before, so this
  adds the cost of reading cold pages to that of the table's size.

The tables are dropped at the end.
"""

import random
import time
from contextlib import ExitStack
from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import create_engine, text

from app.config import database_uri
from app.extensions import db, services
from bench.databases import Database, bench_app, bench_token, insert_sessions, loading_sessions, scratch_database
from bench.report import Row, percentile, progress, ratio_row, us

NAME = "4 table size"
SIZES = (10_000, 1_000_000, 10_000_000)
MAX_GROWTH = 1.3
IN_USE = 10_000
IN_USE_PATTERN = "sessions in use"
ANY_PATTERN = "any session"
PATTERNS = (IN_USE_PATTERN, ANY_PATTERN)
CHUNK = 1_000_000
SESSIONS_PER_USER = 5  # the default session limit


def run(backend: str = "postgresql", *, sizes: tuple[int, ...] = SIZES, lookups: int = 5000,
        in_use: int = IN_USE, seed: int = 6) -> list[Row]:
    rng = random.Random(seed)
    in_use = min(in_use, *sizes)
    with ExitStack() as stack:
        tables = {}
        for size in sizes:
            database = stack.enter_context(scratch_database(backend, f"size_{size}"))
            tables[size] = (database, *_load(database, size))
        apps = {size: bench_app(database) for size, (database, _, _) in tables.items()}
        used = {size: rng.sample(range(1, size + 1), in_use) for size in sizes}
        for size, app in apps.items():  # the pools, the prepared statements, and the sessions in use
            for i in used[size]:
                _lookup(app, i)
        samples: dict[tuple[str, int], list[float]] = {(pattern, size): [] for pattern in PATTERNS for size in sizes}
        for _ in range(lookups):
            for size, app in apps.items():
                samples[IN_USE_PATTERN, size].append(_lookup(app, rng.choice(used[size])))
                samples[ANY_PATTERN, size].append(_lookup(app, rng.randint(1, size)))
        for app in apps.values():
            with app.app_context():
                db.engine.dispose()

    rows = []
    smallest, largest = min(sizes), max(sizes)
    for pattern in PATTERNS:
        for size in sizes:
            _, seconds, footprint = tables[size]
            measured = samples[pattern, size]
            p50, p99 = percentile(measured, 50), percentile(measured, 99)
            label = f"{in_use:,} sessions in use" if pattern == IN_USE_PATTERN else "any session"
            rows.append(Row(NAME, backend, f"{size:,} rows, {label}", f"p50 {us(p50)}, p99 {us(p99)} per lookup "
                            f"({footprint}, loaded in {seconds:,.0f} s)",
                            {"p50": p50, "p99": p99, "load_seconds": seconds, "lookups": len(measured)}))
        for quantile in (50, 99):
            growth = (percentile(samples[pattern, largest], quantile)
                      / percentile(samples[pattern, smallest], quantile))
            floor = MAX_GROWTH if pattern == IN_USE_PATTERN and quantile == 50 else None
            rows.append(ratio_row(NAME, backend, f"{largest:,} rows / {smallest:,} (p{quantile}), {pattern}",
                                  growth, at_most=floor))
    return rows


def _load(database: Database, size: int) -> tuple[float, str]:
    """``size`` active sessions, five per account; returns (seconds taken, size on disk)."""
    progress(f"table size: loading {size:,} sessions into {database.backend}")
    start = time.perf_counter()
    now = datetime.now(UTC)
    with loading_sessions(database, max(1, size // SESSIONS_PER_USER)) as (conn, user_ids):
        for first in range(1, size + 1, CHUNK):
            insert_sessions(conn, first=first, count=min(CHUNK, size - first + 1),
                            user_ids=user_ids, expired=False, now=now)
    return time.perf_counter() - start, _footprint(database)


def _footprint(database: Database) -> str:
    if database.backend != "postgresql":
        return "SQLite"
    engine = create_engine(database_uri(database.url))
    try:
        with engine.connect() as conn:
            return conn.scalar(text("SELECT pg_size_pretty(pg_total_relation_size('user_sessions'))"))
    finally:
        engine.dispose()


def _lookup(app: Flask, i: int) -> float:
    sessions = services(app).sessions
    token = bench_token(i)
    with app.app_context():
        start = time.perf_counter()
        signed_in = sessions.resolve(token)
        elapsed = time.perf_counter() - start
    if signed_in is None:
        raise RuntimeError(f"generated session {i} did not resolve")
    return elapsed
