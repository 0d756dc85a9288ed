"""Starting and ending sessions, and moving one to a new token.

Every start and end is recorded as a security event (``events``) in the
same transaction as the change it describes.
"""

import uuid
from collections.abc import Iterable
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Row, and_, delete, select, update
from sqlalchemy.orm import Session

from app.clock import Clock
from app.models import EndReason, EventType, User, UserSession
from app.services.audit import Snapshot
from app.services.credentials import VerifiedCredentials
from app.services.enrichment import clean_user_agent
from app.services.errors import CredentialsChanged, SessionNotFound
from app.services.sessions.ending import Ending
from app.services.sessions.events import ENDED_COLUMNS, SessionEvents
from app.services.sessions.lookup import active_at
from app.services.sessions.policy import SessionPolicy
from app.services.sessions.tokens import hash_token, new_token


class NewSession(NamedTuple):
    row: UserSession
    token: str


class SessionLifecycle:
    """Signing in, re-authenticating and ending sessions; part of ``SessionService``."""

    _db: Session
    _clock: Clock
    _events: SessionEvents
    policy: SessionPolicy

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
            .where(UserSession.id == session_id, active_at(self._clock.now()))
            .values(**values)
            .returning(UserSession.id)
            .execution_options(synchronize_session=False)
        ).first()
        if rotated is None:
            raise SessionNotFound(str(session_id))
        return token

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
        device, country_code, country, city). ``user_agent`` is stored as
        ``clean_user_agent`` leaves it, whoever calls. The user's expired rows go
        first; if the user is at the session limit, the least recently active
        sessions are ended to make room. Records signed_in, and
        session_limit_evicted for each session ended to make room.
        """
        token = new_token()
        row = self._start(
            credentials, {"session_token_hash": hash_token(token)},
            user_agent=user_agent, ip_address=ip_address, **details,
        )
        return NewSession(row, token)

    def _start(
        self, credentials: VerifiedCredentials, token_columns: dict[str, Any], *,
        user_agent: str | None, ip_address: str | None, **columns: Any,
    ) -> UserSession:
        """Insert a session row holding ``token_columns``, after the checks and the room every sign-in makes."""
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
            .where(active_at(now), UserSession.user_id == user.id)
            .order_by(UserSession.last_activity_at.desc(), UserSession.created_at.desc())
            .offset(keep)
        ).all()
        if crowded_out:
            evicted = self._end_where(UserSession.id.in_(crowded_out), Ending.by_system(EndReason.SESSION_LIMIT))
            self._events.evicted(user.id, evicted)

        row = UserSession(
            user_id=user.id,
            user_agent=clean_user_agent(user_agent) or None,
            ip_address=ip_address,
            created_at=now,
            last_activity_at=now,
            authenticated_at=now,
            expires_at=self.policy.expiry(created_at=now, active_at=now),
            credentials_version=credentials.credentials_version,
            organisation_id=user.organisation_id,
            **token_columns,
            **columns,
        )
        self._db.add(row)
        self._db.flush()
        self._events.signed_in(row)
        return row

    def _lock_user(self, user_id: int) -> None:
        """Take the account's row lock: the first lock of every path that changes the account's sessions.

        Sign-ins (the session limit), ending one, some or all sessions, a
        password change and disabling all take it before any session row, so
        on PostgreSQL they queue on one lock in one order and cannot deadlock
        (two paths locking a session row and the user row in opposite orders
        could). It also serialises concurrent sign-ins of one user, so two of
        them cannot both see room under the session limit. FOR NO KEY UPDATE,
        not FOR UPDATE: the foreign keys of the rows those paths insert
        (sessions, events) take FOR KEY SHARE on the user row, which FOR
        UPDATE would block. SQLite locks the whole database on write and
        ignores it.
        """
        self._db.execute(select(User.id).where(User.id == user_id).with_for_update(key_share=True))

    # -- ending sessions ----------------------------------------------------

    def end(self, session_id: uuid.UUID | str, *, owner_id: int, ending: Ending) -> UserSession:
        """End one active session of ``owner_id`` and record it.

        Any other user's session id is treated exactly like an unknown one.
        """
        try:
            session_uuid = session_id if isinstance(session_id, uuid.UUID) else uuid.UUID(session_id)
        except ValueError:
            raise SessionNotFound(str(session_id)) from None
        self._lock_user(owner_id)
        row = self._db.scalar(
            select(UserSession)
            .where(
                UserSession.id == session_uuid,
                UserSession.user_id == owner_id,
                active_at(self._clock.now()),
            )
            .with_for_update()
        )
        if row is None:
            raise SessionNotFound(str(session_id))
        row.is_active = False
        row.revoked_at = self._clock.now()
        row.revoked_reason = ending.reason
        row.revoked_by = ending.actor_id
        self._db.flush()
        self._events.ended_one(ending, row)
        return row

    def end_several(self, session_ids: Iterable[uuid.UUID], *, owner_id: int, ending: Ending) -> list[UserSession]:
        """End those of ``session_ids`` that are active sessions of ``owner_id`` (one device's), one event each.

        One transaction for all of them; another account's ids, like ended or
        unknown ones, are left alone. Returns the sessions it ended.
        """
        ids = list(session_ids)
        if not ids:
            return []
        now = self._clock.now()
        rows = list(self._db.scalars(
            select(UserSession)
            .where(UserSession.id.in_(ids), UserSession.user_id == owner_id, active_at(now))
            .order_by(UserSession.last_activity_at.desc())
            .with_for_update()
        ))
        for row in rows:
            row.is_active = False
            row.revoked_at = now
            row.revoked_reason = ending.reason
            row.revoked_by = ending.actor_id
        self._db.flush()
        for row in rows:
            self._events.ended_one(ending, row)
        return rows

    def dismiss_move(self, session_id: uuid.UUID, *, owner_id: int) -> None:
        """Its owner has seen that this session moved: it is no longer flagged. Others' are unknown."""
        dismissed = self._db.execute(
            update(UserSession)
            .where(UserSession.id == session_id, UserSession.user_id == owner_id,
                   active_at(self._clock.now()), UserSession.moved_at.is_not(None))
            .values(moved_at=None)
        )
        if not getattr(dismissed, "rowcount", 0):
            raise SessionNotFound(str(session_id))

    def end_others(self, user_id: int, *, keep_session_id: uuid.UUID, ending: Ending) -> int:
        """End every active session of the user except ``keep_session_id``; one event for the batch.

        Two devices that press "sign out all other sessions" at the same moment
        must not end each other: the user row lock makes the second wait for the
        first, and the second then finds its own session ended and ends nothing.
        """
        now = self._clock.now()
        self._lock_user(user_id)
        keeper_active = self._db.scalar(
            select(UserSession.id).where(
                UserSession.id == keep_session_id, UserSession.user_id == user_id, active_at(now)
            )
        )
        if keeper_active is None:
            return 0
        # Without the acting request, the kept session is where it was done from.
        where = ending.context or self._db.get(UserSession, keep_session_id)
        return self._end_batch(
            EventType.OTHER_SESSIONS_REVOKED,
            and_(UserSession.user_id == user_id, UserSession.id != keep_session_id, active_at(now)),
            ending, user_id=user_id, where=where,
        )

    def end_all(self, user_id: int, ending: Ending) -> int:
        """End every active session of the user ("sign out everywhere"); one event for the batch."""
        self._lock_user(user_id)
        return self._end_batch(
            EventType.ALL_SESSIONS_REVOKED,
            and_(UserSession.user_id == user_id, active_at(self._clock.now())),
            ending, user_id=user_id, where=ending.context,
        )

    def _end_batch(
        self, event_type: EventType, condition: ColumnElement[bool], ending: Ending, *, user_id: int, where: Any,
    ) -> int:
        """End the matching sessions of one user and record one event for them, if any."""
        ended = self._end_where(condition, ending)
        if ended:
            self._events.ended_batch(event_type, user_id, ending, ended, Snapshot.of(where))
        return len(ended)

    def end_everyone(self, ending: Ending) -> int:
        """End every active session of every user (an operator's emergency brake).

        Account by account, so each one's activity records it as ``ending``'s action.
        """
        user_ids = self._db.scalars(
            select(UserSession.user_id).where(active_at(self._clock.now())).distinct()
        ).all()
        return sum(self.end_all(user_id, ending) for user_id in user_ids)

    def _end_where(self, condition: ColumnElement[bool], ending: Ending) -> list[Row[Any]]:
        """End the matching rows; returns what their events need to remember of them."""
        statement = (
            update(UserSession)
            .where(condition)
            .values(
                is_active=False,
                revoked_at=self._clock.now(),
                revoked_reason=ending.reason,
                revoked_by=ending.actor_id,
            )
            .returning(*ENDED_COLUMNS)
            .execution_options(synchronize_session=False)
        )
        return list(self._db.execute(statement).all())
