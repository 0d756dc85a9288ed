"""Benchmark 4: does resolving a session slow down as the sessions table grows?

One throwaway table per size (10 thousand, 1 million, 10 million rows on
PostgreSQL), generated in SQL, indexed and VACUUM ANALYZEd as a live table
would be, then ``SessionService.resolve`` on random existing tokens, the
sizes taking turns lookup by lookup. The tables are dropped at the end.
"""

import random
import time
from contextlib import ExitStack
from datetime import datetime, timezone

from flask import Flask
from sqlalchemy import Engine, create_engine, text

from app.config import database_uri
from app.extensions import db
from bench.databases import (
    Database, bench_app, bench_token, bulk_loading, insert_sessions, insert_users, scratch_database,
    vacuum_analyze,
)
from bench.report import Row, percentile, progress, ratio_row, us

NAME = "4 table size"
SIZES = (10_000, 1_000_000, 10_000_000)
MAX_GROWTH = 1.3
CHUNK = 1_000_000
SESSIONS_PER_USER = 5  # the default session limit


def run(backend: str = "postgresql", *, sizes: tuple[int, ...] = SIZES, lookups: int = 5000,
        seed: int = 6) -> list[Row]:
    rng = random.Random(seed)
    with ExitStack() as stack:
        tables = {}
        for size in sizes:
            database = stack.enter_context(scratch_database(backend, f"size_{size}"))
            tables[size] = (database, *_load(database, size))
        apps = {size: bench_app(database) for size, (database, _, _) in tables.items()}
        for size, app in apps.items():  # warm the pools, the caches and the prepared statements
            for _ in range(min(lookups, 500)):
                _lookup(app, rng.randint(1, size))
        samples: dict[int, list[float]] = {size: [] for size in sizes}
        for _ in range(lookups):
            for size, app in apps.items():
                samples[size].append(_lookup(app, rng.randint(1, size)))
        for app in apps.values():
            with app.app_context():
                db.engine.dispose()

    rows = []
    for size in sizes:
        _, seconds, footprint = tables[size]
        p50, p99 = percentile(samples[size], 50), percentile(samples[size], 99)
        rows.append(Row(NAME, backend, f"{size:,} rows", f"p50 {us(p50)}, p99 {us(p99)} per lookup "
                        f"({footprint}, loaded in {seconds:,.0f} s)",
                        {"p50": p50, "p99": p99, "load_seconds": seconds, "lookups": len(samples[size])}))
    smallest, largest = min(sizes), max(sizes)
    rows.append(ratio_row(NAME, backend, f"{largest:,} rows / {smallest:,} (p50)",
                          percentile(samples[largest], 50) / percentile(samples[smallest], 50),
                          at_most=MAX_GROWTH))
    rows.append(ratio_row(NAME, backend, f"{largest:,} rows / {smallest:,} (p99)",
                          percentile(samples[largest], 99) / percentile(samples[smallest], 99)))
    return rows


def _load(database: Database, size: int) -> tuple[float, str]:
    """``size`` active sessions, five per account; returns (seconds taken, size on disk)."""
    progress(f"table size: loading {size:,} sessions into {database.backend}")
    start = time.perf_counter()
    engine = create_engine(database_uri(database.url))
    now = datetime.now(timezone.utc)
    try:
        with engine.begin() as conn:
            user_ids = insert_users(conn, max(1, size // SESSIONS_PER_USER))
            with bulk_loading(conn):
                for first in range(1, size + 1, CHUNK):
                    insert_sessions(conn, first=first, count=min(CHUNK, size - first + 1),
                                    user_ids=user_ids, expired=False, now=now)
        vacuum_analyze(database)
        footprint = _footprint(engine)
    finally:
        engine.dispose()
    return time.perf_counter() - start, footprint


def _footprint(engine: Engine) -> str:
    if engine.dialect.name != "postgresql":
        return "SQLite"
    with engine.connect() as conn:
        return conn.scalar(text("SELECT pg_size_pretty(pg_total_relation_size('user_sessions'))"))


def _lookup(app: Flask, i: int) -> float:
    sessions = app.extensions["doorman.sessions"]
    token = bench_token(i)
    with app.app_context():
        start = time.perf_counter()
        signed_in = sessions.resolve(token)
        elapsed = time.perf_counter() - start
    if signed_in is None:
        raise RuntimeError(f"generated session {i} did not resolve")
    return elapsed
