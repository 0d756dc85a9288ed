"""Engine settings that depend on the backend."""

import logging
import sqlite3
import time
import weakref
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.globals import app_ctx
from sqlalchemy import Connection, Engine, Select, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from app.extensions import db

# One list per engine, shared by every DirectSelect built on it. Looked up
# once, when a DirectSelect is built; the request path only checks whether
# its list is empty.
_observers_by_engine: "weakref.WeakKeyDictionary[Engine, list[Callable[[str], None]]]" = weakref.WeakKeyDictionary()


def direct_select_observers(engine: Engine) -> list[Callable[[str], None]]:
    """The callables told the SQL of each statement a DirectSelect sends on this engine.

    SQLAlchemy's own events never see those statements, so whatever counts
    what an engine sends (the statement recorder of the tests and the
    benchmarks) appends itself here and removes itself when done. Empty in
    production.
    """
    return _observers_by_engine.setdefault(engine, [])


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        # Cascading deletes need foreign keys on; WAL lets readers run while
        # a sign-in writes.
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


# The bind key of DATABASE_REPLICA_URL's engine.
REPLICA_BIND = "replica"


class ReplicaOrPrimary:
    """The engine history reads go to: the replica, or the primary while the replica cannot be reached.

    A replica that is down must not take the activity, audit and search pages
    down with it: the primary can answer them too, only with more load. Each
    request's history session takes one connection (``connect``), when it is
    first used; the replica's pool pings it as it hands it out
    (``pool_pre_ping``), so a replica that went away is noticed then, not
    halfway through a page. After a failure the primary is used for
    ``retry_after`` seconds before the replica is tried again, so a dead
    replica costs one failed connect per interval, not one per page.
    """

    def __init__(self, replica: Callable[[], Engine], primary: Callable[[], Engine], *, logger: logging.Logger,
                 retry_after: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._replica = replica
        self._primary = primary
        self._logger = logger
        self._retry_after = retry_after
        self._clock = clock
        self._primary_until = float("-inf")

    @property
    def replica_reachable(self) -> bool:
        """False from a failed try of the replica until ``retry_after`` has passed."""
        return self._clock() >= self._primary_until

    def connect(self) -> Connection:
        """A pooled connection to the replica, or to the primary while the replica cannot be reached."""
        if self.replica_reachable:
            try:
                return self._replica().connect()
            except DBAPIError:
                # The error names hosts and ports: only its kind is logged.
                self._logger.warning(
                    "the read replica is unreachable; history pages read the primary for %ds", self._retry_after)
                self._primary_until = self._clock() + self._retry_after
        return self._primary().connect()


class HistorySession(Session):
    """A Session on the one connection ``router`` gives it when it is made (once per app context).

    Closing it (``scoped_session.remove`` when the context ends) gives the
    connection back to its pool.
    """

    def __init__(self, *, router: ReplicaOrPrimary, bind: Any = None, **options: Any) -> None:
        # sessionmaker passes its own ``bind`` (None): the router's connection replaces it.
        self._connection = router.connect()
        super().__init__(bind=self._connection, **options)

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._connection.close()


def history_session(app: Flask, router: ReplicaOrPrimary | None = None) -> Session | scoped_session[Any]:
    """The session the pages that only read history read through: the replica's, else the app's own.

    With DATABASE_REPLICA_URL set, a scoped session, one Session per app
    context like Flask-SQLAlchemy's and removed when the context ends, on the
    replica's engine, or the primary's while the replica cannot be reached
    (``router``, a ReplicaOrPrimary). Without it, ``db.session``: everything
    reads the primary. Only the services' history reads are given it
    (AuditService.activity, history and staff_actions,
    SupportService.find_accounts and staff_members); the session lookup, every
    write and every check that decides access use ``db.session``, so
    replication lag never hides a revocation.
    """
    if router is None:
        return db.session
    history: scoped_session[HistorySession] = scoped_session(
        sessionmaker(class_=HistorySession, router=router, autoflush=False),
        scopefunc=lambda: id(app_ctx._get_current_object()),  # type: ignore[attr-defined]
    )

    @app.teardown_appcontext
    def _end_history_session(_error: BaseException | None) -> None:
        history.remove()

    return history


def replica_router(app: Flask) -> ReplicaOrPrimary | None:
    """The app's ReplicaOrPrimary when DATABASE_REPLICA_URL is set, else None."""
    if not app.config.get("DATABASE_REPLICA_URL"):
        return None

    # Asked inside the request's app context, whose app is this one.
    return ReplicaOrPrimary(lambda: db.engines[REPLICA_BIND], lambda: db.engine, logger=app.logger,
                            retry_after=app.config["DATABASE_REPLICA_RETRY_AFTER"])


def configure_engines(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite" and not event.contains(engine, "connect", _sqlite_pragmas):
            event.listen(engine, "connect", _sqlite_pragmas)


class DirectSelect:
    """One SELECT, compiled once, sent straight to the driver on a pooled connection.

    The request path's session lookup runs on every request, and going
    through SQLAlchemy's ``Connection`` costs several times the statement
    itself (an execution context, a result object and event dispatch each
    time: about 40 µs against 7 µs on SQLite). This keeps what matters of
    SQLAlchemy and drops the rest:

    - the engine's pool: connections are checked out, reset and returned as
      usual, and one that has gone away is invalidated so the pool replaces it;
    - the column types: parameters and results are converted by the same
      processors SQLAlchemy would use, so values are what an ORM query returns;
    - SQLAlchemy's exceptions: a driver error is raised as ``DBAPIError``, so
      callers handle one family of errors whichever way a statement was sent,
      and, like the engine's, they leave the parameters (a token hash) out.

    On PostgreSQL the statement runs in autocommit: one round trip, rather
    than BEGIN, SELECT and a ROLLBACK when the connection goes back to the
    pool. The driver prepares it after a few uses (psycopg's default).
    """

    def __init__(self, bind: Engine | Connection, statement: Select) -> None:
        # A Connection's engine: the statement always runs on a pooled
        # connection of its own, never inside someone's transaction.
        engine = bind.engine
        dialect = engine.dialect
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        self._engine = engine
        self._observers = direct_select_observers(engine)
        self._driver_error: type[Exception] = dialect.loaded_dbapi.Error
        self._autocommit = dialect.name == "postgresql"
        self._bind_processors = {
            name: bind.type.dialect_impl(dialect).bind_processor(dialect) for name, bind in compiled.binds.items()
        }
        self._positions = compiled.positiontup if compiled.positional else None
        self._result_processors = [
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in statement.selected_columns
        ]

    def first(self, **params: Any) -> tuple[Any, ...] | None:
        """The first row for these parameters, converted to Python values, or None."""
        for name, value in params.items():
            process = self._bind_processors[name]
            if process is not None:
                params[name] = process(value)
        driver_params: Any = params if self._positions is None else tuple(params[name] for name in self._positions)
        try:
            connection = self._engine.raw_connection()
        except self._driver_error as error:
            raise DBAPIError.instance(
                self.sql, driver_params, error, self._driver_error, hide_parameters=self._engine.hide_parameters
            ) from error
        try:
            row = self._fetch_one(connection.dbapi_connection, driver_params)
        except BaseException as error:
            # Whatever state it was left in, a connection that failed is not
            # reused: the pool opens a fresh one when it is next needed.
            connection.invalidate(error if isinstance(error, Exception) else None)
            if isinstance(error, self._driver_error):
                raise DBAPIError.instance(
                    self.sql, driver_params, error, self._driver_error,
                    hide_parameters=self._engine.hide_parameters, connection_invalidated=True,
                ) from error
            raise
        finally:
            connection.close()
        if self._observers:
            for observe in self._observers:
                observe(self.sql)
        if row is None:
            return None
        return tuple(value if process is None else process(value)
                     for process, value in zip(self._result_processors, row, strict=False))

    def _fetch_one(self, driver_connection: Any, params: Any) -> Any:
        if self._autocommit:
            driver_connection.autocommit = True
        cursor = driver_connection.cursor()
        try:
            cursor.execute(self.sql, params)
            row = cursor.fetchone()
        finally:
            cursor.close()
        if self._autocommit:
            driver_connection.autocommit = False
        return row
