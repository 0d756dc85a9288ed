"""The session store: the only code that writes to ``user_sessions``.

A browser holds a random token; the table holds its SHA-256. Every request
resolves the token with one indexed SELECT of the few columns it needs, and
writes only when the last recorded activity is older than the touch interval.
Methods flush; the caller commits, so a change and whatever is recorded with
it land in one transaction. Every start and end of a session is recorded as a
security event through the injected ``AuditService``, in that same transaction.
"""

import hashlib
import re
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement, Row, and_, any_, bindparam, delete, func, literal_column, select, text, update,
)
from sqlalchemy.orm import Session, aliased

from app.clock import Clock
from app.database import DirectSelect
from app.models import ActorKind, EndReason, EventType, User, UserSession
from app.models.user_session import USER_AGENT_MAX_LENGTH
from app.services.audit import AuditService, Snapshot
from app.services.credentials import VerifiedCredentials
from app.services.errors import CredentialsChanged, SessionNotFound
from app.services.session_events import ENDED_COLUMNS, Ending, SessionEvents

# token_urlsafe(32): 256 bits from the OS CSPRNG, 43 URL-safe characters.
TOKEN_BYTES = 32
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_well_formed_token(token: str) -> bool:
    return _TOKEN_SHAPE.fullmatch(token) is not None


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    idle_timeout: timedelta
    absolute_lifetime: timedelta
    touch_interval: timedelta
    max_sessions_per_user: int
    ended_retention: timedelta
    reauthentication_window: timedelta

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "SessionPolicy":
        return cls(
            idle_timeout=timedelta(seconds=config["SESSION_IDLE_TIMEOUT"]),
            absolute_lifetime=timedelta(seconds=config["SESSION_ABSOLUTE_LIFETIME"]),
            touch_interval=timedelta(seconds=config["SESSION_TOUCH_INTERVAL"]),
            max_sessions_per_user=config["MAX_SESSIONS_PER_USER"],
            ended_retention=timedelta(seconds=config["ENDED_SESSION_RETENTION"]),
            reauthentication_window=timedelta(seconds=config["REAUTHENTICATION_WINDOW"]),
        )

    def expiry(self, *, created_at: datetime, active_at: datetime) -> datetime:
        """Idle expiry slides with activity but never passes the absolute lifetime."""
        return min(active_at + self.idle_timeout, created_at + self.absolute_lifetime)

    def cookie_expiry(self, created_at: datetime) -> datetime:
        """The browser may keep the cookie for the absolute lifetime; the
        server decides on every request whether it still opens a session."""
        return created_at + self.absolute_lifetime


class SignedInUser(NamedTuple):
    """What one request knows about who is signed in: a plain row, no ORM object.

    It is also Flask-Login's ``current_user``.
    """

    session_id: uuid.UUID
    id: int
    email: str
    role: str
    created_at: datetime
    last_activity_at: datetime
    authenticated_at: datetime

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def is_staff(self) -> bool:
        return self.role in ("support", "admin")


_RESOLVE = (
    select(
        UserSession.id,
        UserSession.user_id,
        User.email,
        User.role,
        UserSession.created_at,
        UserSession.last_activity_at,
        UserSession.authenticated_at,
    )
    .join(User, User.id == UserSession.user_id)
    .where(
        UserSession.session_token_hash == bindparam("token_hash"),
        UserSession.is_active.is_(True),
        UserSession.expires_at > bindparam("now"),
        User.is_active.is_(True),
        # Opened with a password the account no longer has: nothing.
        UserSession.credentials_version == User.credentials_version,
    )
)


_ASYNCHRONOUS_COMMIT = text("SET LOCAL synchronous_commit = off")


def _delete_cleanup_batch(
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


class ActiveSession(NamedTuple):
    """One active session as pages show it: what was stored at sign-in, and when it was last used.

    Plain columns rather than ORM objects: the devices page lists every
    session of the account, and loading, tracking and releasing an entity
    per row cost more than rendering it.
    """

    id: uuid.UUID
    device_type: str
    browser: str | None
    os: str | None
    device: str | None
    country: str | None
    city: str | None
    ip_address: str | None
    user_agent: str | None
    created_at: datetime
    last_activity_at: datetime


_ACTIVE_SESSION_COLUMNS = tuple(getattr(UserSession, name) for name in ActiveSession._fields)


class NewSession(NamedTuple):
    row: UserSession
    token: str


class EndedSession(NamedTuple):
    """An ended session row and the email of whoever ended it (None: the system or its owner gone)."""

    row: UserSession
    ended_by_email: str | None


class SessionService:
    def __init__(self, db: Session, *, clock: Clock, policy: SessionPolicy, audit: AuditService) -> None:
        self._db = db
        self._clock = clock
        self._events = SessionEvents(audit)
        self.policy = policy

    # -- the hot path -------------------------------------------------------

    def resolve(self, token: str) -> SignedInUser | None:
        """The active, unexpired session for a cookie token, in one SELECT.

        The SELECT goes straight to the driver on a pooled connection of its
        own (``DirectSelect``), never through the request's ORM session: on
        PostgreSQL one round trip in autocommit, and nothing built per
        request beyond the row itself.
        """
        if not is_well_formed_token(token):
            return None
        row = self._resolve_statement.first(token_hash=hash_token(token), now=self._clock.now())
        return None if row is None else SignedInUser(*row)

    @cached_property
    def _resolve_statement(self) -> DirectSelect:
        # Built once, on first use: asking the scoped ORM session for its
        # engine on every request would build a Session the request may never use.
        return DirectSelect(self._db.get_bind(UserSession), _RESOLVE)

    def touch_if_due(self, signed_in: SignedInUser) -> bool:
        """Record activity and slide the idle expiry, at most once per touch interval."""
        now = self._clock.now()
        if now - signed_in.last_activity_at < self.policy.touch_interval:
            return False
        self._db.execute(
            update(UserSession)
            .where(UserSession.id == signed_in.session_id)
            .values(
                last_activity_at=now,
                expires_at=self.policy.expiry(created_at=signed_in.created_at, active_at=now),
            )
        )
        return True

    def recently_authenticated(self, signed_in: SignedInUser) -> bool:
        """Whether a password was entered on this session within the re-authentication window."""
        return self._clock.now() - signed_in.authenticated_at < self.policy.reauthentication_window

    def record_authentication(self, session_id: uuid.UUID) -> None:
        """The user just proved who they are again on this session."""
        self._db.execute(
            update(UserSession).where(UserSession.id == session_id).values(authenticated_at=self._clock.now())
        )

    def rotate_token(self, session_id: uuid.UUID, *, credentials_version: int | None = None) -> str:
        """Give an active session a new token and return it; the old token stops working.

        Called when the user proves who they are again (ASVS 5.0 7.2.4), so a
        token that leaked before the re-authentication is worth nothing after it.
        ``credentials_version``, after a password change, binds the session to
        the new password; it is the one session that keeps working.
        """
        token = new_token()
        values: dict[str, Any] = {"session_token_hash": hash_token(token)}
        if credentials_version is not None:
            values["credentials_version"] = credentials_version
        rotated = self._db.scalars(
            update(UserSession)
            .where(UserSession.id == session_id, self._active(self._clock.now()))
            .values(**values)
            .returning(UserSession.id)
            .execution_options(synchronize_session=False)
        ).first()
        if rotated is None:
            raise SessionNotFound(str(session_id))
        return token

    def why_not_active(self, token: str) -> str:
        """Why a token resolves to nothing: an EndReason value, "expired" or "unknown".

        Only called on the failure path, so it costs the hot path nothing.
        A session opened with a password the account has since changed is
        reported as ended by that change, as if it had been ended with the others.
        """
        if not is_well_formed_token(token):
            return "unknown"
        row = self._db.execute(
            select(
                UserSession.is_active,
                UserSession.revoked_reason,
                (UserSession.credentials_version == User.credentials_version).label("current_credentials"),
            )
            .join(User, User.id == UserSession.user_id)
            .where(UserSession.session_token_hash == hash_token(token))
        ).first()
        if row is None:
            return "unknown"
        if not row.is_active:
            return row.revoked_reason or "unknown"
        if not row.current_credentials:
            return EndReason.PASSWORD_CHANGED
        return "expired"

    # -- starting sessions --------------------------------------------------

    def create(
        self,
        credentials: VerifiedCredentials,
        *,
        user_agent: str | None,
        ip_address: str | None,
        **details: Any,
    ) -> NewSession:
        """Start a session at sign-in and return it with its token.

        The session is bound to the credentials that were verified: if the
        password has been changed since (while it was being checked), this
        raises CredentialsChanged and starts nothing; and should a row with
        an outdated version exist all the same, ``resolve`` refuses it.
        ``details`` are the enrichment columns (device_type, browser, os,
        device, country_code, country, city). The user's expired rows go
        first; if the user is at the session limit, the least recently active
        sessions are ended to make room. Records signed_in, and
        session_limit_evicted for each session ended to make room.
        """
        now = self._clock.now()
        user = credentials.user
        self._lock_user(user.id)
        self._db.execute(
            delete(UserSession).where(
                UserSession.user_id == user.id,
                UserSession.is_active.is_(True),
                UserSession.expires_at <= now,
            )
        )
        # Checked only now, after this transaction's first write, because
        # that is when SQLite takes its write lock: from here on no password
        # change can commit before this sign-in does (PostgreSQL has held the
        # user row since _lock_user). A check before it would leave a gap.
        current_version = self._db.scalar(select(User.credentials_version).where(User.id == user.id))
        if current_version != credentials.credentials_version:
            raise CredentialsChanged()
        keep = max(self.policy.max_sessions_per_user - 1, 0)
        crowded_out = self._db.scalars(
            select(UserSession.id)
            .where(self._active(now), UserSession.user_id == user.id)
            .order_by(UserSession.last_activity_at.desc(), UserSession.created_at.desc())
            .offset(keep)
        ).all()
        if crowded_out:
            evicted = self._end_where(UserSession.id.in_(crowded_out), reason=EndReason.SESSION_LIMIT, ended_by=None)
            self._events.evicted(user.id, evicted)

        token = new_token()
        row = UserSession(
            user_id=user.id,
            session_token_hash=hash_token(token),
            user_agent=(user_agent or "")[:USER_AGENT_MAX_LENGTH] or None,
            ip_address=ip_address,
            created_at=now,
            last_activity_at=now,
            authenticated_at=now,
            expires_at=self.policy.expiry(created_at=now, active_at=now),
            credentials_version=credentials.credentials_version,
            **details,
        )
        self._db.add(row)
        self._db.flush()
        self._events.signed_in(row)
        return NewSession(row, token)

    def _lock_user(self, user_id: int) -> None:
        # Serialises concurrent sign-ins of one user on PostgreSQL, so two of
        # them cannot both see room under the session limit. SQLite locks the
        # whole database on write and ignores FOR UPDATE.
        self._db.execute(select(User.id).where(User.id == user_id).with_for_update())

    # -- ending sessions ----------------------------------------------------

    def end(
        self,
        session_id: uuid.UUID | str,
        *,
        owner_id: int,
        reason: str,
        ended_by: int | None = None,
        actor_kind: str | None = None,
        staff_reason: str | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> UserSession:
        """End one active session of ``owner_id`` and record it.

        Any other user's session id is treated exactly like an unknown one.
        ``actor_kind`` defaults from ``reason`` and ``ended_by``; a staff
        actor must give ``staff_reason`` (ReasonRequired otherwise, before
        anything changes). ``context`` is the acting request's
        ``sign_in_details``.
        """
        ending = Ending.of(
            owner_id, reason=reason, ended_by=ended_by, actor_kind=actor_kind,
            staff_reason=staff_reason, context=context,
        )
        try:
            session_uuid = session_id if isinstance(session_id, uuid.UUID) else uuid.UUID(session_id)
        except ValueError:
            raise SessionNotFound(str(session_id)) from None
        row = self._db.scalar(
            select(UserSession)
            .where(
                UserSession.id == session_uuid,
                UserSession.user_id == owner_id,
                self._active(self._clock.now()),
            )
            .with_for_update()
        )
        if row is None:
            raise SessionNotFound(str(session_id))
        row.is_active = False
        row.revoked_at = self._clock.now()
        row.revoked_reason = reason
        row.revoked_by = ended_by
        self._db.flush()
        self._events.ended_one(ending, row)
        return row

    def end_others(
        self,
        user_id: int,
        *,
        keep_session_id: uuid.UUID,
        reason: str,
        ended_by: int | None,
        actor_kind: str | None = None,
        staff_reason: str | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> int:
        """End every active session of the user except ``keep_session_id``; one event for the batch.

        Two devices that press "sign out all other sessions" at the same moment
        must not end each other: the user row lock makes the second wait for the
        first, and the second then finds its own session ended and ends nothing.
        """
        now = self._clock.now()
        self._lock_user(user_id)
        keeper_active = self._db.scalar(
            select(UserSession.id).where(
                UserSession.id == keep_session_id, UserSession.user_id == user_id, self._active(now)
            )
        )
        if keeper_active is None:
            return 0
        # Without the acting request, the kept session is where it was done from.
        where = context or self._db.get(UserSession, keep_session_id)
        return self._end_batch(
            EventType.OTHER_SESSIONS_REVOKED,
            and_(UserSession.user_id == user_id, UserSession.id != keep_session_id, self._active(now)),
            Ending.of(user_id, reason=reason, ended_by=ended_by, actor_kind=actor_kind,
                      staff_reason=staff_reason, context=context),
            user_id=user_id, ended_by=ended_by, where=where,
        )

    def end_all(
        self,
        user_id: int,
        *,
        reason: str,
        ended_by: int | None,
        actor_kind: str | None = None,
        staff_reason: str | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> int:
        """End every active session of the user ("sign out everywhere"); one event for the batch."""
        return self._end_batch(
            EventType.ALL_SESSIONS_REVOKED,
            and_(UserSession.user_id == user_id, self._active(self._clock.now())),
            Ending.of(user_id, reason=reason, ended_by=ended_by, actor_kind=actor_kind,
                      staff_reason=staff_reason, context=context),
            user_id=user_id, ended_by=ended_by, where=context,
        )

    def _end_batch(
        self, event_type: str, condition: ColumnElement[bool], ending: Ending, *,
        user_id: int, ended_by: int | None, where: Any,
    ) -> int:
        """End the matching sessions of one user and record one event for them, if any."""
        ended = self._end_where(condition, reason=ending.reason, ended_by=ended_by)
        if ended:
            self._events.ended_batch(event_type, user_id, ending, ended, Snapshot.of(where))
        return len(ended)

    def end_everyone(self, *, reason: str) -> int:
        """End every active session of every user (an operator's emergency brake).

        Account by account, so each one's activity records it as a system action.
        """
        user_ids = self._db.scalars(
            select(UserSession.user_id).where(self._active(self._clock.now())).distinct()
        ).all()
        return sum(
            self.end_all(user_id, reason=reason, ended_by=None, actor_kind=ActorKind.SYSTEM)
            for user_id in user_ids
        )

    def _end_where(
        self, condition: ColumnElement[bool], *, reason: str, ended_by: int | None
    ) -> list[Row[Any]]:
        """End the matching rows; returns what their events need to remember of them."""
        statement = (
            update(UserSession)
            .where(condition)
            .values(
                is_active=False,
                revoked_at=self._clock.now(),
                revoked_reason=reason,
                revoked_by=ended_by,
            )
            .returning(*ENDED_COLUMNS)
            .execution_options(synchronize_session=False)
        )
        return list(self._db.execute(statement).all())

    # -- housekeeping -------------------------------------------------------

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
        deleted = 0
        for column, cutoff in (
            (UserSession.expires_at, now),
            (UserSession.revoked_at, now - self.policy.ended_retention),
        ):
            reached: datetime | None = None
            while True:
                in_batch = (column <= cutoff) if reached is None else and_(column <= cutoff, column >= reached)
                count, reached = _delete_cleanup_batch(self._db, dialect, in_batch, column, batch_size)
                commit()
                deleted += count
                # A short batch is the last: any row it skipped is being deleted by a sign-in.
                if count < batch_size:
                    break
        return deleted

    # -- reading ------------------------------------------------------------

    def list_active(self, user_id: int) -> list[ActiveSession]:
        """The user's active sessions, most recently active first."""
        rows = self._db.execute(
            select(*_ACTIVE_SESSION_COLUMNS)
            .where(UserSession.user_id == user_id, self._active(self._clock.now()))
            .order_by(UserSession.last_activity_at.desc(), UserSession.created_at.desc())
        )
        return [ActiveSession(*row) for row in rows]

    def list_recently_ended(self, user_id: int, *, limit: int = 20) -> list[EndedSession]:
        """The user's ended sessions still kept, most recently ended first, with who ended each."""
        ender = aliased(User)
        rows = self._db.execute(
            select(UserSession, ender.email)
            .outerjoin(ender, ender.id == UserSession.revoked_by)
            .where(UserSession.user_id == user_id, UserSession.is_active.is_(False))
            .order_by(UserSession.revoked_at.desc(), UserSession.created_at.desc())
            .limit(limit)
        ).all()
        return [EndedSession(row, email) for row, email in rows]

    def find_by_refresh_token(self, refresh_token: str) -> UserSession | None:
        """The active session that holds this refresh token, if any."""
        return self._db.scalar(
            select(UserSession).where(
                UserSession.refresh_token_hash == hash_token(refresh_token),
                self._active(self._clock.now()),
            )
        )

    @staticmethod
    def _active(now: datetime) -> ColumnElement[bool]:
        return and_(UserSession.is_active.is_(True), UserSession.expires_at > now)
