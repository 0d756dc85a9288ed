"""Where a benchmark runs: a throwaway SQLite file or a throwaway PostgreSQL schema.

Every benchmark gets a freshly migrated database of its own and removes it
afterwards. On PostgreSQL that is a schema (``doorman_bench_*``) inside the
database it is given (``BENCH_SCHEMA_PREFIX`` changes the prefix), with
``search_path`` pinned in the URL, so the tables of a test run in the same
database are never touched. Rows are generated in
bulk: in SQL with ``generate_series`` on PostgreSQL (millions in minutes),
from Python on SQLite (only ever small counts there).
"""

import hashlib
import logging
import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import Connection, create_engine, make_url, text

from app import create_app
from app.config import database_uri
from app.extensions import db

BENCH_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
)
# Benchmarks never time password hashing, so accounts get the cheapest profile.
SECRET_KEY = secrets.token_hex(32)


def postgresql_url() -> str | None:
    """The PostgreSQL database benchmarks may create schemas in, if one is configured."""
    return os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL") or None


def backends() -> list[str]:
    return ["sqlite"] + (["postgresql"] if postgresql_url() else [])


@dataclass(frozen=True)
class Database:
    backend: str  # "sqlite" or "postgresql"
    url: str  # a SQLAlchemy URL; on PostgreSQL its search_path is the scratch schema


def app_environment(url: str, **variables: str) -> dict[str, str]:
    """The environment of a Doorman with production settings (secure cookies, CSRF on), on the given database.

    The whole of it: an app in this process reads it instead of ``os.environ``,
    and gunicorn's workers get it as theirs.
    """
    return {
        "DOORMAN_ENV": "production",
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": url,
        "PUBLIC_URL": "https://doorman.bench.invalid",
        "PASSWORD_HASH_PROFILE": "CHEAPEST",
        **variables,
    }


def bench_app(database: Database, **variables: str) -> Flask:
    return create_app(environ=app_environment(database.url, **variables))


@contextmanager
def scratch_database(backend: str, name: str) -> Iterator[Database]:
    """A migrated, empty database for one benchmark, dropped when the block ends."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix=f"doorman-bench-{name}-") as directory:
            database = Database("sqlite", f"sqlite:///{os.path.join(directory, 'bench.sqlite3')}")
            _migrate(database)
            yield database
        return
    base = postgresql_url()
    if base is None:
        raise RuntimeError("set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to benchmark PostgreSQL")
    # The smoke tests use their own prefix, so they never drop a running benchmark's tables.
    schema = f"{os.environ.get('BENCH_SCHEMA_PREFIX', 'doorman_bench')}_{name}"
    admin = create_engine(database_uri(base))
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(database_uri(base)).update_query_dict({"options": f"-csearch_path={schema}"})
    database = Database("postgresql", url.render_as_string(hide_password=False))
    try:
        _migrate(database)
        yield database
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def _migrate(database: Database) -> None:
    app = bench_app(database)
    # Alembic logs every migration at INFO; the table is what the reader came for.
    logging.disable(logging.INFO)
    try:
        with app.app_context():
            upgrade()
            db.engine.dispose()
    finally:
        logging.disable(logging.NOTSET)


def bench_token(i: int) -> str:
    """The cookie token of generated session ``i``: 43 characters of the real token's alphabet.

    Deterministic, so a benchmark can present the token of any row it
    generated; computed the same way in SQL by ``_TOKEN_SQL``.
    """
    head = hashlib.md5(f"doorman-bench-{i}".encode()).hexdigest()
    tail = hashlib.md5(f"doorman-bench-{i}-tail".encode()).hexdigest()[:11]
    return head + tail


_TOKEN_SQL = "md5('doorman-bench-' || i) || left(md5('doorman-bench-' || i || '-tail'), 11)"


def sqlite_time(moment: datetime) -> str:
    """A datetime as SQLAlchemy stores it in SQLite: naive UTC text, compared as text."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def insert_users(conn: Connection, count: int) -> list[int]:
    """``count`` plain accounts that cannot sign in with a password; returns their ids."""
    now = datetime.now(UTC)
    if conn.dialect.name == "postgresql":
        conn.execute(
            text(
                "INSERT INTO users (email, password_hash, role, is_active, created_at) "
                "SELECT 'bench-' || i || '@example.com', '!', 'user', true, :now "
                "FROM generate_series(1, :count) AS i"
            ),
            {"count": count, "now": now},
        )
    else:
        conn.execute(
            text(
                "INSERT INTO users (email, password_hash, role, is_active, created_at) "
                "VALUES (:email, '!', 'user', 1, :now)"
            ),
            [{"email": f"bench-{i}@example.com", "now": sqlite_time(now)} for i in range(1, count + 1)],
        )
    return list(conn.scalars(text("SELECT id FROM users ORDER BY id")))[-count:]


def insert_sessions(
    conn: Connection, *, first: int, count: int, user_ids: list[int], expired: bool, now: datetime,
    scattered: bool = False,
) -> None:
    """Sessions ``first`` .. ``first + count - 1``, spread round-robin over ``user_ids``.

    Active rows were last used up to a day ago and expire in about a week.
    Expired rows expired a day or more ago, in about the order they were
    written (half a second apart, give or take an hour), as sessions do that
    are used for a while after sign-in and then left; ``scattered`` expires
    them in an order unrelated to where they lie instead (the worst case for
    deleting them in expiry order). Rows carry a real User-Agent, an address
    and a place, so they are as wide as real ones, and are bound to the
    accounts' first password (credentials version 1), so they open sessions.
    """
    if count <= 0:
        return
    low, high = min(user_ids), max(user_ids)
    assert high - low + 1 == len(user_ids), "user ids are expected to be contiguous"
    if conn.dialect.name == "postgresql":
        _insert_sessions_sql(conn, first=first, count=count, low=low, users=len(user_ids),
                             expired=expired, scattered=scattered, now=now)
    else:
        _insert_sessions_python(conn, first=first, count=count, low=low, users=len(user_ids),
                                expired=expired, scattered=scattered, now=now)


def _insert_sessions_sql(conn: Connection, *, first: int, count: int, low: int, users: int,
                         expired: bool, scattered: bool, now: datetime) -> None:
    # last: the row's last activity, ago_sql() seconds before now.
    last = f"(:now - ({_ago_sql(expired, scattered)}) * interval '1 second')"
    conn.execute(
        text(
            "INSERT INTO user_sessions (id, user_id, session_token_hash, user_agent, ip_address,"
            " device_type, browser, os, country_code, country, city, created_at,"
            " last_activity_at, authenticated_at, expires_at, is_active, credentials_version, metadata) "
            f"SELECT md5('doorman-bench-id-' || i)::uuid, :low + i % :users,"
            " encode(sha256(convert_to(token, 'UTF8')), 'hex'), :ua,"
            " ('198.51.' || (i / 256 % 256) || '.' || (i % 256))::inet,"
            " 'desktop', 'Firefox 128', 'Windows 10', 'DE', 'Germany', 'Berlin',"
            f" {last} - interval '1 hour', {last}, {last} - interval '1 hour',"
            f" {last} + interval '7 days', true, 1, '{{}}'::jsonb "
            f"FROM (SELECT i, {_TOKEN_SQL} AS token"
            " FROM generate_series(CAST(:first AS bigint), CAST(:last_i AS bigint)) AS i) AS generated"
        ),
        {"first": first, "last_i": first + count - 1, "low": low, "users": users,
         "ua": BENCH_USER_AGENT, "now": now},
    )


_EIGHT_DAYS = 8 * 86400  # idle past the 7-day timeout


def _ago(i: int, last_i: int, expired: bool, scattered: bool) -> float:
    """Seconds between row ``i``'s last activity and now; ``_ago_sql`` says the same in SQL."""
    if not expired:
        return i % 86400
    if scattered:
        return _EIGHT_DAYS + i % 86400
    return _EIGHT_DAYS + (last_i - i) * 0.5 + i * 7919 % 3600


def _ago_sql(expired: bool, scattered: bool) -> str:
    if not expired:
        return "i % 86400"
    if scattered:
        return f"{_EIGHT_DAYS} + i % 86400"
    return f"{_EIGHT_DAYS} + (:last_i - i) * 0.5 + i * 7919 % 3600"


def _insert_sessions_python(conn: Connection, *, first: int, count: int, low: int, users: int,
                            expired: bool, scattered: bool, now: datetime) -> None:
    rows = []
    last_i = first + count - 1
    for i in range(first, first + count):
        last = now - timedelta(seconds=_ago(i, last_i, expired, scattered))
        rows.append({
            "id": hashlib.md5(f"doorman-bench-id-{i}".encode()).hexdigest(),
            "user_id": low + i % users,
            "hash": hashlib.sha256(bench_token(i).encode()).hexdigest(),
            "ua": BENCH_USER_AGENT,
            "ip": f"198.51.{i // 256 % 256}.{i % 256}",
            "created": sqlite_time(last - timedelta(hours=1)),
            "last": sqlite_time(last),
            "expires": sqlite_time(last + timedelta(days=7)),
        })
    conn.execute(
        text(
            "INSERT INTO user_sessions (id, user_id, session_token_hash, user_agent, ip_address,"
            " device_type, browser, os, country_code, country, city, created_at,"
            " last_activity_at, authenticated_at, expires_at, is_active, credentials_version, metadata) "
            "VALUES (:id, :user_id, :hash, :ua, :ip, 'desktop', 'Firefox 128', 'Windows 10',"
            " 'DE', 'Germany', 'Berlin', :created, :last, :created, :expires, 1, 1, '{}')"
        ),
        rows,
    )


@contextmanager
def bulk_loading(conn: Connection, table: str = "user_sessions") -> Iterator[None]:
    """Load rows into ``table`` with its indexes built afterwards, as a restore would.

    Maintaining a unique index on random hashes row by row costs far more
    than building it once from sorted data, so PostgreSQL loads take minutes
    instead of tens of minutes. The constraints and indexes are recreated
    from their own definitions, so the table ends up exactly as migrated.
    Foreign-key triggers are skipped for the load (session_replication_role)
    because every generated row points at a generated user. SQLite loads are
    small and go in as they are.
    """
    if conn.dialect.name != "postgresql":
        yield
        return
    constraints = conn.execute(
        text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = CAST(:table AS regclass) AND contype IN ('p', 'u')"
        ),
        {"table": table},
    ).all()
    indexes = conn.execute(
        text(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = CAST(:table AS regclass) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)"
        ),
        {"table": table},
    ).all()
    # Foreign keys of other tables that point at this one (rotated_refresh_tokens)
    # hang on its primary key: they go first and come back last.
    referencing = conn.execute(
        text(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE confrelid = CAST(:table AS regclass) AND contype = 'f'"
        ),
        {"table": table},
    ).all()
    for referrer, name, _ in referencing:
        conn.execute(text(f'ALTER TABLE {referrer} DROP CONSTRAINT "{name}"'))
    for name, _ in constraints:
        conn.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    for name, _ in indexes:
        conn.execute(text(f'DROP INDEX "{name}"'))
    conn.execute(text("SET LOCAL session_replication_role = replica"))
    yield
    conn.execute(text("SET LOCAL session_replication_role = origin"))
    conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
    for name, definition in constraints:
        conn.execute(text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))
    for _, definition in indexes:
        conn.execute(text(definition))
    for referrer, name, definition in referencing:
        conn.execute(text(f'ALTER TABLE {referrer} ADD CONSTRAINT "{name}" {definition}'))


@contextmanager
def loading_sessions(database: Database, accounts: int) -> Iterator[tuple[Connection, list[int]]]:
    """``accounts`` generated accounts, and the sessions the block inserts for them, in one bulk load.

    Yields the loading connection and the account ids; once the block is
    done the load commits and the table is VACUUM ANALYZEd.
    """
    engine = create_engine(database_uri(database.url))
    try:
        with engine.begin() as conn:
            user_ids = insert_users(conn, accounts)
            with bulk_loading(conn):
                yield conn, user_ids
    finally:
        engine.dispose()
    vacuum_analyze(database)


def vacuum_analyze(database: Database, table: str = "user_sessions") -> None:
    """Fresh statistics and visibility map after a bulk load, as autovacuum would leave them."""
    engine = create_engine(database_uri(database.url))
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f"VACUUM ANALYZE {table}" if database.backend == "postgresql" else "ANALYZE"))
    finally:
        engine.dispose()


def checkpoint(database: Database) -> None:
    """Start the next timing from a fresh checkpoint (PostgreSQL).

    Otherwise the WAL of the bulk loads, or of the previous run, decides
    whether PostgreSQL's next checkpoint (every max_wal_size of WAL) falls
    inside a timed run, and a run that meets one pays for it twice: the
    checkpoint's writes and a full-page image of every page it touches next.
    """
    if database.backend != "postgresql":
        return
    engine = create_engine(database_uri(database.url))
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("CHECKPOINT"))
    finally:
        engine.dispose()
