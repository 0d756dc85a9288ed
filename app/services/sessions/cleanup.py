"""Deleting the rows that can never open a session again, in batches, per dialect."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, any_, delete, func, literal_column, select, text
from sqlalchemy.orm import Session

from app.clock import Clock
from app.models import RotatedRefreshToken, UserSession
from app.services.sessions.policy import SessionPolicy

_ASYNCHRONOUS_COMMIT = text("SET LOCAL synchronous_commit = off")


def delete_cleanup_batch(
    db: Session, dialect: str, condition: ColumnElement[bool], column: Any, batch_size: int
) -> tuple[int, datetime | None]:
    """Delete the first ``batch_size`` rows matching ``condition`` in ``column`` order.

    Returns how many rows went and the last ``column`` value among them.
    Rows are picked by physical address (PostgreSQL's ctid, SQLite's rowid),
    not by primary key: uuid4 keys lie scattered over the key index, and
    looking each one up again took about 40% of cleanup's time. On PostgreSQL the
    rows another transaction holds are skipped, and the count and the last
    value come back from the server instead of one row per deleted session.
    """
    if dialect == "postgresql":
        # Not worth waiting for the disk at every batch: if the server crashed
        # within the next fraction of a second, some deleted rows could come
        # back, and they are rows that open no session anyway (expired, or
        # ended), which the next run deletes again.
        db.execute(_ASYNCHRONOUS_COMMIT)
        ctid = literal_column("ctid")
        batch = (
            select(ctid).select_from(UserSession).where(condition)
            .order_by(column).limit(batch_size).with_for_update(skip_locked=True)
        )
        # = ANY(ARRAY(...)) fetches the rows by address; ctid IN (...) would scan the table.
        gone = (
            delete(UserSession)
            .where(ctid == any_(func.array(batch.scalar_subquery())))
            .returning(column)
            .cte("gone")
        )
        count, last = db.execute(select(func.count(), func.max(gone.c[column.key]))).one()
        return count, last
    rowid = literal_column("rowid")
    batch = select(rowid).select_from(UserSession).where(condition).order_by(column).limit(batch_size)
    values = db.scalars(
        delete(UserSession)
        .where(rowid.in_(batch.scalar_subquery()))
        .returning(column)
        .execution_options(synchronize_session=False)
    ).all()
    return len(values), max(values, default=None)


class SessionCleanup:
    """Housekeeping; part of ``SessionService``."""

    _db: Session
    _clock: Clock
    policy: SessionPolicy

    def cleanup(self, *, commit: Callable[[], None], batch_size: int = 1000) -> int:
        """Delete expired rows and rows ended longer ago than the retention.

        Works in batches, committing after each, so no transaction holds
        locks for long and a sign-in waits for one batch at most. Each batch
        goes on along the index from where the last one stopped, rather than
        stepping again over the entries of the rows already deleted (they
        stay in the index until VACUUM), so batches cost the same to the end.
        A batch skips rows another transaction has locked (PostgreSQL): those
        belong to a sign-in deleting its owner's expired rows itself, so
        cleanup never waits for a sign-in and the two cannot deadlock; such a
        row goes with the sign-in, or is left for the next run if it rolls back.
        """
        now = self._clock.now()
        dialect = self._db.get_bind(UserSession).dialect.name
        # Committed with the first batch: exchanged refresh tokens of sessions
        # that no longer open anything catch no reuse worth catching.
        self.forget_rotated_tokens_of_closed_sessions()
        deleted = 0
        for column, cutoff in (
            (UserSession.expires_at, now),
            (UserSession.revoked_at, now - self.policy.ended_retention),
        ):
            reached: datetime | None = None
            while True:
                in_batch = (column <= cutoff) if reached is None else and_(column <= cutoff, column >= reached)
                count, reached = delete_cleanup_batch(self._db, dialect, in_batch, column, batch_size)
                commit()
                deleted += count
                # A short batch is the last: any row it skipped is being deleted by a sign-in.
                if count < batch_size:
                    break
        return deleted

    def forget_rotated_tokens_of_closed_sessions(self) -> int:
        """Delete the exchanged refresh tokens of sessions that have ended or expired.

        Reuse detection protects an open session; one that is closed already
        refuses every token, so its history protects nothing. Expired rows
        take theirs with them (ON DELETE CASCADE); ended rows are kept for
        the retention, their history is not.
        """
        open_sessions = select(UserSession.id).where(UserSession.is_active.is_(True),
                                                     UserSession.expires_at > self._clock.now())
        result = self._db.execute(
            delete(RotatedRefreshToken)
            .where(RotatedRefreshToken.session_id.not_in(open_sessions))
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)
