"""Benchmark 3: the devices page (``GET /devices``) for an account with 1, 10 and 100 sessions.

Served by the real app through Flask's test client, so it measures the
view, the query and the template (and not the network). The three accounts
are requested in turn, one request each, so a noisy neighbour slows all
three alike.
"""

import gc
import time
from datetime import UTC, datetime

from flask.testing import FlaskClient
from sqlalchemy import create_engine

from app.config import database_uri
from app.extensions import db
from bench.databases import app_environment, bench_token, insert_sessions, insert_users, scratch_database
from bench.doorman_wsgi import create_bench_app
from bench.report import Row, ms, percentile, ratio_row
from bench.statements import recorded_statements

NAME = "3 devices page"
SIZES = (1, 10, 100)
MAX_STATEMENTS = 2
MAX_GROWTH = 3.0


def run(backend: str, *, sizes: tuple[int, ...] = SIZES, requests: int = 200) -> list[Row]:
    with scratch_database(backend, "devices") as database:
        tokens = _accounts_with_sessions(database.url, sizes)
        app = create_bench_app(environ=app_environment(database.url))
        clients = {}
        for size, token in tokens.items():
            clients[size] = app.test_client()
            clients[size].set_cookie(app.config["SESSION_TOKEN_COOKIE"], token)
            for _ in range(3):  # the first request records activity; time the usual ones
                _get_devices(clients[size])
        statements = {}
        for size, client in clients.items():
            with recorded_statements(app) as sent:
                _get_devices(client)
            statements[size] = len(sent)
        samples: dict[int, list[float]] = {size: [] for size in sizes}
        # Whatever earlier benchmarks left alive in this process stays out of
        # the garbage collector's way, or the page that allocates most pays most.
        gc.collect()
        gc.freeze()
        try:
            for _ in range(requests):
                for size, client in clients.items():
                    samples[size].append(_get_devices(client))
        finally:
            gc.unfreeze()
        with app.app_context():
            db.engine.dispose()

    rows = []
    for size in sizes:
        p50, p99 = percentile(samples[size], 50), percentile(samples[size], 99)
        rows.append(Row(NAME, backend, f"{size} session{'s' if size != 1 else ''}",
                        f"p50 {ms(p50)}, p99 {ms(p99)}, {statements[size]} statements",
                        {"p50": p50, "p99": p99, "statements": statements[size]},
                        f"≤ {MAX_STATEMENTS} statements", statements[size] <= MAX_STATEMENTS))
    smallest, largest = min(sizes), max(sizes)
    growth = percentile(samples[largest], 50) / percentile(samples[smallest], 50)
    rows.append(ratio_row(NAME, backend, f"{largest} sessions / {smallest} (p50)", growth, at_most=MAX_GROWTH))
    return rows


def _accounts_with_sessions(url: str, sizes: tuple[int, ...]) -> dict[int, str]:
    """One account per size with that many active sessions; the token of one of each."""
    engine = create_engine(database_uri(url))
    now = datetime.now(UTC)
    tokens = {}
    try:
        with engine.begin() as conn:
            user_ids = insert_users(conn, len(sizes))
            first = 1
            for size, user_id in zip(sizes, user_ids, strict=False):
                insert_sessions(conn, first=first, count=size, user_ids=[user_id], expired=False, now=now)
                tokens[size] = bench_token(first)
                first += size
    finally:
        engine.dispose()
    return tokens


def _get_devices(client: FlaskClient) -> float:
    start = time.perf_counter()
    response = client.get("/devices")
    elapsed = time.perf_counter() - start
    if response.status_code != 200:
        raise RuntimeError(f"/devices answered {response.status_code}, not the page")
    return elapsed
