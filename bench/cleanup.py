"""Benchmark 5: deleting 1 and 2 million expired sessions, while people keep signing in.

Each size runs twice, in the order 1M, 2M, 2M, 1M. Each table holds the
expired rows plus a tenth as many live ones, five per account, VACUUM
ANALYZEd. ``SessionService.cleanup`` runs with the CLI's batch size; its
``commit`` callback times every transaction. Meanwhile another process signs
random owners of expired rows in (``SessionService.create`` + commit) every
10 ms: a sign-in deletes its owner's expired rows too, so it is exactly the
sign-in that would queue behind a long cleanup transaction.
"""

import multiprocessing
import random
import statistics
import time
from contextlib import ExitStack
from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import create_engine, func, select, text

from app.config import database_uri
from app.extensions import db, services
from app.models import User, UserSession
from app.services.credentials import VerifiedCredentials
from bench.databases import Database, bench_app, checkpoint, insert_sessions, loading_sessions, scratch_database
from bench.report import Row, ms, percentile, progress, ratio_row

NAME = "5 cleanup"
SIZES = (1_000_000, 2_000_000)
BATCH_SIZE = 1000  # what `flask sessions cleanup` uses unless told otherwise
MAX_SECONDS_FOR_FIRST = 10.0
MAX_GROWTH = 2.2
MAX_TRANSACTION = 1.0
SIGN_IN_PAUSE = 0.01
SESSIONS_PER_USER = 5


def run(backend: str = "postgresql", *, sizes: tuple[int, ...] = SIZES, batch_size: int = BATCH_SIZE,
        repeats: int = 2, max_seconds: float = 600.0) -> list[Row]:
    """Each size ``repeats`` times, in the order 1M, 2M, 2M, 1M, so drift hits both alike."""
    order = [size for r in range(repeats) for size in (sizes if r % 2 == 0 else tuple(reversed(sizes)))]
    runs: dict[int, list[dict[str, float]]] = {size: [] for size in sizes}
    with ExitStack() as stack:
        loaded = []
        for number, size in enumerate(order):
            database = stack.enter_context(scratch_database(backend, f"cleanup_{number}"))
            loaded.append((size, database, _load(database, size)))
        for size, database, users in loaded:
            progress(f"cleanup: deleting {size:,} expired sessions on {backend}")
            checkpoint(database)
            runs[size].append(_clean(database, users, batch_size=batch_size, max_seconds=max_seconds))
            _check_only_live_rows_left(database, size)
    results = {size: _combine(size_runs) for size, size_runs in runs.items()}

    rows = []
    for size, result in results.items():
        seconds, longest, deleted = result["seconds"], result["longest_transaction"], result["deleted"]
        first = size == min(sizes)
        each = " and ".join(f"{run['seconds']:,.1f}" for run in runs[size])
        rows.append(Row(
            NAME, backend, f"{size:,} expired rows",
            f"{seconds:,.1f} s (mean of {each} s), {deleted / seconds:,.0f} rows/s, "
            f"{result['transactions']:,.0f} transactions "
            f"(first tenth {ms(result['first_tenth'])}, last tenth {ms(result['last_tenth'])} each), "
            f"longest {ms(longest)}"
            + (f"; WAL {result['wal_bytes'] / 2**30:.2f} GiB, {result['checkpoints']:g} checkpoints"
               if backend == "postgresql" else ""),
            {**result, "rows_per_second": deleted / seconds},
            f"≤ {MAX_SECONDS_FOR_FIRST:g} s; each transaction ≤ {MAX_TRANSACTION:g} s" if first
            else f"each transaction ≤ {MAX_TRANSACTION:g} s",
            (seconds <= MAX_SECONDS_FOR_FIRST if first else True) and longest <= MAX_TRANSACTION,
        ))
        rows.append(Row(
            NAME, backend, f"sign-ins during the {size:,}-row cleanup",
            f"{result['sign_ins']:,} sign-ins: p50 {ms(result['sign_in_p50'])}, max {ms(result['sign_in_max'])} "
            f"(idle: p50 {ms(result['idle_sign_in_p50'])}, max {ms(result['idle_sign_in_max'])}); "
            f"{result['sign_in_errors']} failed",
            {key: result[key] for key in ("sign_ins", "sign_in_p50", "sign_in_max", "sign_in_errors")},
            f"max ≤ {MAX_TRANSACTION:g} s, none failed",
            result["sign_in_max"] <= MAX_TRANSACTION and result["sign_in_errors"] == 0,
        ))
    if len(sizes) > 1:
        smallest, largest = min(sizes), max(sizes)
        rows.append(ratio_row(NAME, backend, f"{largest:,} rows / {smallest:,} (time)",
                              results[largest]["seconds"] / results[smallest]["seconds"],
                              at_most=MAX_GROWTH))
    return rows


def _combine(runs: list[dict[str, float]]) -> dict[str, float]:
    """Several runs of one size as one: means of times, worst of the maxima, sums of counts."""
    combined = {key: statistics.mean(run[key] for run in runs) for key in runs[0]}
    for key in ("longest_transaction", "sign_in_max", "idle_sign_in_max"):
        combined[key] = max(run[key] for run in runs)
    for key in ("sign_ins", "sign_in_errors"):
        combined[key] = sum(run[key] for run in runs)
    return combined


def _load(database: Database, size: int) -> list[int]:
    """``size`` expired sessions and a tenth as many live ones; returns the account ids."""
    progress(f"cleanup: loading {size:,} expired sessions into {database.backend}")
    now = datetime.now(UTC)
    with loading_sessions(database, max(1, size // SESSIONS_PER_USER)) as (conn, user_ids):
        insert_sessions(conn, first=1, count=size, user_ids=user_ids, expired=True, now=now)
        insert_sessions(conn, first=size + 1, count=max(1, size // 10), user_ids=user_ids, expired=False, now=now)
    return user_ids


def _clean(database: Database, user_ids: list[int], *, batch_size: int, max_seconds: float) -> dict[str, float]:
    app = bench_app(database)
    sessions = services(app).sessions
    with app.app_context():
        rng = random.Random(5)
        # Each purges its owner's expired rows: few enough to leave a tiny table something to clean.
        idle = [_sign_in(app, rng.choice(user_ids)) for _ in range(min(50, max(1, len(user_ids) // 20)))]
        db.engine.dispose()  # the sign-in process must not inherit open connections

    # Sign-ins come from another process, as they would from a gunicorn
    # worker: in a thread here they would fight the cleanup for the GIL.
    # Forked where possible, since the modules it needs are loaded already.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    stop = context.Event()
    results = context.Queue()
    signer = context.Process(target=_keep_signing_in,
                             args=(database, user_ids, stop, results, max_seconds), daemon=True)
    signer.start()
    if not results.get(timeout=60) == "ready":
        raise RuntimeError("the sign-in process did not start")

    transactions: list[float] = []
    wal_before = _wal_position(database)
    with app.app_context():
        started = last = time.perf_counter()

        def commit() -> None:
            nonlocal last
            db.session.commit()
            now = time.perf_counter()
            transactions.append(now - last)
            last = now

        try:
            deleted = sessions.cleanup(commit=commit, batch_size=batch_size)
        finally:
            seconds = time.perf_counter() - started
            stop.set()
        db.engine.dispose()
    during, errors = results.get(timeout=60)
    signer.join(timeout=30)
    wal_after = _wal_position(database)
    return {
        # What PostgreSQL wrote to its log meanwhile, and how many checkpoints it took.
        "wal_bytes": wal_after[0] - wal_before[0],
        "checkpoints": wal_after[1] - wal_before[1],
        "seconds": seconds,
        "deleted": deleted,
        "transactions": len(transactions),
        "longest_transaction": max(transactions),
        # Mean batch time at the start and at the end: equal if batches do not slow down.
        "first_tenth": statistics.mean(transactions[: max(1, len(transactions) // 10)]),
        "last_tenth": statistics.mean(transactions[-max(1, len(transactions) // 10):]),
        "sign_ins": len(during),
        "sign_in_p50": percentile(during, 50) if during else 0.0,
        "sign_in_max": max(during, default=0.0),
        "sign_in_errors": len(errors),
        "idle_sign_in_p50": percentile(idle, 50),
        "idle_sign_in_max": max(idle),
    }


def _wal_position(database: Database) -> tuple[int, int]:
    """(bytes of WAL written so far, checkpoints so far); zeros on SQLite."""
    if database.backend != "postgresql":
        return 0, 0
    engine = create_engine(database_uri(database.url))
    try:
        with engine.connect() as conn:
            row = conn.execute(text(
                "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint,"
                " (SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter)"
            )).one()
    finally:
        engine.dispose()
    return int(row[0]), int(row[1])


def _sign_in(app: Flask, user_id: int) -> float:
    """Start a session for the account, as the sign-in view does; returns the seconds it took."""
    start = time.perf_counter()
    user = db.session.get(User, user_id)
    services(app).sessions.create(
        VerifiedCredentials.without_password(user), user_agent="bench sign-in", ip_address="203.0.113.7"
    )
    db.session.commit()
    return time.perf_counter() - start


def _keep_signing_in(database: Database, user_ids: list[int], stop, results, max_seconds: float) -> None:  # type: ignore[no-untyped-def]
    """In its own process: sign random owners of expired rows in until told to stop."""
    app = bench_app(database)
    rng = random.Random(7)
    latencies: list[float] = []
    errors: list[str] = []
    deadline = time.perf_counter() + max_seconds
    with app.app_context():
        db.session.get(User, user_ids[0])  # connect before saying ready
        db.session.rollback()
        results.put("ready")
        while not stop.is_set() and time.perf_counter() < deadline and len(latencies) < 100_000:
            try:
                latencies.append(_sign_in(app, rng.choice(user_ids)))
            except Exception as error:  # a deadlock or a timeout is a result, not a crash
                db.session.rollback()
                errors.append(repr(error))
            stop.wait(SIGN_IN_PAUSE)
        db.engine.dispose()
    results.put((latencies, errors))


def _check_only_live_rows_left(database: Database, size: int) -> None:
    engine = create_engine(database_uri(database.url))
    try:
        with engine.connect() as conn:
            now = datetime.now(UTC)
            expired = conn.scalar(select(func.count()).select_from(UserSession).where(UserSession.expires_at <= now))
            live = conn.scalar(select(func.count()).select_from(UserSession).where(UserSession.expires_at > now))
    finally:
        engine.dispose()
    if expired or live < max(1, size // 10):
        raise RuntimeError(f"cleanup left {expired} expired rows and {live} live ones")
