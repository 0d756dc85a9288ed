"""What of the database may reach a log line: what failed and where, never the values.

The values Doorman sends and reads are the secrets it guards: token hashes,
password hashes. The engine is created with ``hide_parameters`` (see
``app/extensions.py``), which keeps them out of SQLAlchemy's messages and
statement log. Two more places carry them:

- the driver's own message: PostgreSQL's DETAIL line quotes the failing
  row ("Failing row contains (..., $argon2id$...)") or key
  ("Key (session_token_hash)=(...)"), and every rendering of the exception
  (``str``, a traceback) repeats it;
- SQLAlchemy's DEBUG log of every result row.

The views that catch database errors log them through
``describe_database_error``; ``describe_database_errors_in`` makes any other
record of such an error on the app's logger (Flask's own "Exception on ..."
among them) do the same.
"""

import logging
import sqlite3
import traceback
from collections.abc import Iterator

import psycopg
from sqlalchemy.exc import SQLAlchemyError, StatementError

# SQLAlchemy's engine logger, the one its statement and row logging goes to.
ENGINE_LOGGER = "sqlalchemy.engine.Engine"


def describe_database_error(error: BaseException) -> str:
    """The error and its causes as a log can carry them: type, first line, statement, traceback.

    Only the first line of each message is kept, because PostgreSQL keeps
    the row's values to the lines after it (DETAIL), and SQLAlchemy its
    parameters; the statement is SQL with placeholders; a traceback is
    file names, line numbers and source code.
    """
    parts = []
    for position, exception in enumerate(_chain(error)):
        kind = type(exception)
        lines = str(exception).splitlines()
        parts.append(
            ("" if position == 0 else "Caused by ")
            + f"{kind.__module__}.{kind.__qualname__}: {lines[0] if lines else ''}\n"
        )
        if isinstance(exception, StatementError) and exception.statement:
            parts.append(f"[SQL: {exception.statement}]\n")
        if exception.__traceback__ is not None:
            parts.append("Traceback (most recent call last):\n")
            parts.extend(traceback.format_tb(exception.__traceback__))
    return "".join(parts).rstrip("\n")


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error, then what caused it, and so on: the chain Python prints, outermost first."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)


DATABASE_ERRORS = (SQLAlchemyError, sqlite3.Error, psycopg.Error)


class _DatabaseErrorsDescribed(logging.Filter):
    """Turns a record's database exception into ``describe_database_error``'s text before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is not None and any(isinstance(e, DATABASE_ERRORS) for e in _chain(error)):
            record.msg = f"{record.getMessage()}\n{describe_database_error(error)}"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


_database_errors_described = _DatabaseErrorsDescribed()


def describe_database_errors_in(logger: logging.Logger) -> None:
    logger.addFilter(_database_errors_described)


class _WithoutResultRows(logging.Filter):
    """Drops SQLAlchemy's "Row (...)" records: a user's row holds its password hash."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg != "Row %r"


_without_result_rows = _WithoutResultRows()


def keep_result_rows_out_of_the_log() -> None:
    """Statements may be logged at INFO (with their parameters hidden); rows never are, even at DEBUG."""
    logging.getLogger(ENGINE_LOGGER).addFilter(_without_result_rows)
