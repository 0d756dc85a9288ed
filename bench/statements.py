"""Counting the SQL an app sends: what the suite and the benchmarks check the request path with."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import event

from app.database import direct_select_observers
from app.extensions import db


@contextmanager
def recorded_statements(app: Flask) -> Iterator[list[str]]:
    """Every SQL statement the app's engine sends while the block runs, DirectSelects included.

    What the suite and the benchmarks count to keep the session lookup at
    one statement per request. SQLAlchemy's ``before_cursor_execute`` sees
    what goes through its ``Connection``; the DirectSelects of the engine
    report theirs through ``direct_select_observers``.
    """
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    observers = direct_select_observers(engine)
    record_direct = statements.append
    event.listen(engine, "before_cursor_execute", record)
    observers.append(record_direct)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
        observers.remove(record_direct)


def is_write(statement: str) -> bool:
    return re.match(r"\s*(INSERT|UPDATE|DELETE)\b", statement, re.IGNORECASE) is not None
