"""DirectSelect: the session lookup sent straight to the driver, with SQLAlchemy's types, pool and errors."""

import tempfile
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, select
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from app.database import DirectSelect, direct_select_observers
from app.extensions import db
from app.models import User, UserSession
from app.services.sessions import hash_token
from app.services.sessions.lookup import RESOLVE
from bench.statements import recorded_statements

LATER = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def session_row(app, make_user, make_session):
    user = make_user("direct@example.com", role="support")
    row, token = make_session(user)
    return row, token


def test_values_come_back_as_the_orm_would_return_them(app, session_row):
    row, token = session_row
    with app.app_context():
        direct = DirectSelect(db.engine, RESOLVE).first(token_hash=hash_token(token), now=LATER)
        through_sqlalchemy = tuple(db.session.execute(RESOLVE, {"token_hash": hash_token(token), "now": LATER}).one())

    assert direct == through_sqlalchemy
    session_id, user_id, email, role, created_at, *_ = direct
    assert isinstance(session_id, uuid.UUID) and session_id == row.id
    assert (user_id, email, role) == (row.user_id, "direct@example.com", "support")
    assert created_at.tzinfo is not None and created_at.utcoffset() == timedelta(0)


def test_parameters_are_converted_like_sqlalchemy_converts_them(app, session_row):
    """An aware datetime compares correctly on SQLite too, where it is stored as naive UTC text."""
    row, token = session_row
    with app.app_context():
        lookup = DirectSelect(db.engine, RESOLVE)
        expires_at = db.session.get(UserSession, row.id).expires_at
        in_berlin = timezone(timedelta(hours=1))
        just_before = (expires_at - timedelta(seconds=1)).astimezone(in_berlin)
        just_after = (expires_at + timedelta(seconds=1)).astimezone(in_berlin)

        assert lookup.first(token_hash=hash_token(token), now=just_before) is not None
        assert lookup.first(token_hash=hash_token(token), now=just_after) is None


def test_no_row_is_none(app):
    with app.app_context():
        assert DirectSelect(db.engine, RESOLVE).first(token_hash=hash_token("x" * 43), now=LATER) is None


def test_a_driver_error_is_a_sqlalchemy_error_and_the_connection_is_replaced(app, session_row, sessions_table_moved):
    _, token = session_row
    with app.app_context():
        lookup = DirectSelect(db.engine, RESOLVE)
        with sessions_table_moved():
            with pytest.raises(DBAPIError) as raised:
                lookup.first(token_hash=hash_token(token), now=LATER)
        pool = db.engine.pool
        assert isinstance(raised.value, SQLAlchemyError) and raised.value.connection_invalidated
        assert "user_sessions" in raised.value.statement
        assert pool.checkedout() == 0  # nothing leaked
        assert lookup.first(token_hash=hash_token(token), now=LATER) is not None  # a fresh connection works


def test_a_driver_error_leaves_the_token_hash_out_of_its_message(app, session_row, sessions_table_moved):
    _, token = session_row
    with app.app_context():
        lookup = DirectSelect(db.engine, RESOLVE)
        with sessions_table_moved():
            with pytest.raises(DBAPIError) as raised:
                lookup.first(token_hash=hash_token(token), now=LATER)
    rendered = "".join(traceback.format_exception(raised.value))  # the error and its cause, as a log would print them
    assert "user_sessions" in rendered and "[SQL parameters hidden due to hide_parameters=True]" in rendered
    assert hash_token(token) not in rendered


def test_an_unreachable_database_is_a_sqlalchemy_error(tmp_path, app):
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{tmp_path / 'missing' / 'nowhere.sqlite3'}")
    with pytest.raises(DBAPIError):
        DirectSelect(engine, select(User.id).where(User.email == bindparam("email"))).first(email="a@b.c")
    engine.dispose()


def test_the_connection_goes_back_to_the_pool_as_it_came(app, session_row):
    """On PostgreSQL the lookup runs in autocommit; the pooled connection must not stay that way."""
    _, token = session_row
    with app.app_context():
        engine = db.engine
        engine.dispose()
        DirectSelect(engine, RESOLVE).first(token_hash=hash_token(token), now=LATER)
        assert engine.pool.checkedout() == 0 and engine.pool.checkedin() == 1
        pooled = engine.raw_connection()
        try:
            if engine.dialect.name == "postgresql":
                assert pooled.dbapi_connection.autocommit is False
            else:
                assert pooled.dbapi_connection.in_transaction is False
        finally:
            pooled.close()
        # And the ORM session on that same connection still runs transactions.
        db.session.execute(select(User.id)).all()
        assert db.session().in_transaction()
        db.session.rollback()


def test_recorded_statements_sees_direct_selects_of_its_own_app_only(app, session_row, database_url):
    from tests.conftest import create_test_app

    _, token = session_row
    other = create_test_app(database_url)
    with app.app_context():
        lookup = DirectSelect(db.engine, RESOLVE)
    with other.app_context():
        other_lookup = DirectSelect(db.engine, RESOLVE)

    with recorded_statements(app) as statements:
        lookup.first(token_hash=hash_token(token), now=LATER)
        other_lookup.first(token_hash=hash_token(token), now=LATER)

    assert statements == [lookup.sql]
    with other.app_context():
        db.engine.dispose()


def test_a_direct_select_built_while_recording_is_seen_and_the_recorder_leaves_nothing_behind(app, session_row):
    """The request path builds its lookup on first use, possibly inside a recording; afterwards it reports to no one."""
    _, token = session_row
    with recorded_statements(app) as statements:
        with app.app_context():
            lookup = DirectSelect(db.engine, RESOLVE)
        lookup.first(token_hash=hash_token(token), now=LATER)
        with recorded_statements(app) as nested:
            lookup.first(token_hash=hash_token(token), now=LATER)

    assert statements == [lookup.sql, lookup.sql]
    assert nested == [lookup.sql]
    with app.app_context():
        assert direct_select_observers(db.engine) == []


@pytest.fixture
def what_the_database_saw(app):
    """``with what_the_database_saw() as seen:`` what the driver sent on the app's connections.

    SQLite: each statement SQLite ran (its trace callback). PostgreSQL: the
    protocol messages libpq sent (its trace), so a BEGIN, a ROLLBACK or an
    extra round trip shows up whatever code sent it.
    """
    from sqlalchemy import event

    opened: list = []

    def remember(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        opened.append(dbapi_connection)

    with app.app_context():
        engine = db.engine
        engine.dispose()
    event.listen(engine, "connect", remember)

    @contextmanager
    def seen() -> Iterator[list[str]]:
        lines: list[str] = []
        if engine.dialect.name == "sqlite":
            for connection in opened:
                connection.set_trace_callback(lines.append)
            try:
                yield lines
            finally:
                for connection in opened:
                    connection.set_trace_callback(None)
            return
        import psycopg

        with tempfile.TemporaryFile() as trace:
            for connection in opened:
                connection.pgconn.trace(trace.fileno())
                connection.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)
            try:
                yield lines
            finally:
                for connection in opened:
                    connection.pgconn.untrace()
                trace.seek(0)
                lines.extend(trace.read().decode().splitlines())

    yield seen
    event.remove(engine, "connect", remember)


@pytest.mark.config(SESSION_TOUCH_INTERVAL=60)
def test_the_database_sees_one_statement_and_one_round_trip_per_authenticated_request(
    app, client, signed_in, clock, what_the_database_saw
):
    for _ in range(6):  # open the pooled connection; psycopg prepares the lookup after a few uses
        client.get("/devices")
    clock.advance(seconds=10)

    with what_the_database_saw() as seen:
        response = client.get("/sign-in")  # a signed-in visitor is sent on without touching the database

    assert response.status_code == 302
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        assert len(seen) == 1, seen
        assert seen[0].lstrip().startswith("SELECT") and "JOIN users" in seen[0]
    else:
        messages = [line.split("\t")[2] for line in seen if line.startswith("F\t")]
        assert messages.count("Execute") == 1, seen
        assert messages.count("Sync") == 1, seen  # one round trip
        assert "Query" not in messages, seen  # no BEGIN, no ROLLBACK


def test_a_direct_select_built_from_a_connection_runs_on_a_pooled_connection_of_its_own(app, session_row):
    """What a Session's bind may be: the lookup takes the connection's engine and leaves its transaction alone."""
    row, token = session_row
    with app.app_context(), db.engine.connect() as connection:
        lookup = DirectSelect(connection, RESOLVE)
        found = lookup.first(token_hash=hash_token(token), now=LATER)
        assert not connection.in_transaction()
    assert found is not None and found[0] == row.id
