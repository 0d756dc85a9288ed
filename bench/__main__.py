"""``python -m bench`` (``make bench``): run the benchmarks and print one table.

SQLite always; PostgreSQL too when BENCH_DATABASE_URL (or TEST_DATABASE_URL)
names a database the benchmarks may create and drop schemas in. Benchmark 9
(peers) needs PostgreSQL, and Redis for one of its rows. Table-size
and cleanup benchmarks need PostgreSQL's millions of rows and run only there.
"""

import argparse
import os
import platform
import sqlite3
import sys
import time
from collections.abc import Callable
from importlib.metadata import version

from sqlalchemy import create_engine, text

from app.config import database_uri
from bench import cleanup, devices, enrichment, history, request_cost, request_path, sign_in_cost, table_size
from bench.databases import backends, postgresql_url
from bench.peers import run as peers
from bench.report import Row, progress, render


def benchmarks(quick: bool) -> dict[str, Callable[[str], list[Row]]]:
    """Each benchmark by number, as a function of the backend, at full or quick size."""
    return {
        "1": (lambda b: request_path.run(b, seconds=2, rounds=2)) if quick else request_path.run,
        "2": request_cost.run,
        "3": (lambda b: devices.run(b, requests=50)) if quick else devices.run,
        "4": (lambda b: table_size.run(b, sizes=(10_000, 100_000), lookups=500)) if quick
        else table_size.run,
        "5": (lambda b: cleanup.run(b, sizes=(50_000, 100_000))) if quick else cleanup.run,
        "7": (lambda b: history.run(b, events=200_000, accounts=5_000, queries=50, inserts=100)) if quick
        else history.run,
        "8": (lambda b: sign_in_cost.run(b, calls=40)) if quick else sign_in_cost.run,
    }


POSTGRESQL_ONLY = {"4", "5", "7"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes and short runs, to try it out")
    parser.add_argument("--only", default="1,2,3,4,5,6,7,8,9", help="comma-separated benchmark numbers (default: all)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a floor is missed")
    args = parser.parse_args(argv)
    chosen = [n.strip() for n in args.only.split(",") if n.strip()]

    started = time.perf_counter()
    rows: list[Row] = []
    runs = benchmarks(args.quick)
    for number in chosen:
        if number == "6":
            progress("6 sign-in enrichment")
            rows += enrichment.run(calls=300 if args.quick else 2000)
            continue
        if number == "9":  # every server in one run, SQLite and PostgreSQL alike
            progress("9 peers")
            rows += peers.run(seconds=2, rounds=2) if args.quick else peers.run()
            continue
        for backend in backends():
            if number in POSTGRESQL_ONLY and backend != "postgresql":
                continue
            progress(f"{number} on {backend}")
            rows += runs[number](backend)
        if number in POSTGRESQL_ONLY and "postgresql" not in backends():
            rows.append(Row(f"{number} (PostgreSQL only)", "-", "skipped",
                            "set BENCH_DATABASE_URL to a PostgreSQL database to run it"))

    print(describe_machine())
    print(f"Load: {request_path.describe()}. Whole run: {time.perf_counter() - started:,.0f} s"
          f"{' (--quick)' if args.quick else ''}.\n")
    print(render(rows))
    missed = [row for row in rows if row.met is False]
    if missed:
        print(f"\n{len(missed)} floor(s) missed.")
    return 1 if missed and args.strict else 0


def describe_machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                if line.startswith("model name")), platform.processor() or "unknown CPU")
    memory_kb = next((int(line.split()[1]) for line in _read("/proc/meminfo").splitlines()
                      if line.startswith("MemTotal:")), 0)
    parts = [
        f"Machine: {_cpu_count()} cores ({cpu}), {memory_kb / 1024 / 1024:.0f} GiB memory",
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"Flask {version('flask')}, Flask-Login {version('flask-login')}, SQLAlchemy {version('sqlalchemy')}, "
        f"psycopg {version('psycopg')}, gunicorn {version('gunicorn')}",
    ]
    url = postgresql_url()
    if url:
        engine = create_engine(database_uri(url))
        try:
            with engine.connect() as conn:
                parts.append("PostgreSQL " + conn.scalar(text("SHOW server_version")) +
                             ", shared_buffers " + conn.scalar(text("SHOW shared_buffers")))
        finally:
            engine.dispose()
    return "\n".join(parts)


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 0)


def _read(path: str) -> str:
    try:
        with open(path) as file:
            return file.read()
    except OSError:
        return ""


if __name__ == "__main__":
    sys.exit(main())
