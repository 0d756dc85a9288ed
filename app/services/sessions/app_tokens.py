"""Sessions held by apps: an access token for requests, a refresh token to get the next pair.

An app session is a ``user_sessions`` row like a browser's (same enrichment,
limit, credentials binding and events), of kind ``app``. The app holds two
opaque 256-bit tokens; the row holds their SHA-256. The access token opens
requests until ``access_expires_at``; the refresh token is exchanged for a
new pair, once (RFC 9700 4.14.2): its hash moves to ``rotated_refresh_tokens``,
and presenting it again ends the whole session, because two clients then
hold tokens of it and the server cannot tell which one is the thief.

There is no grace window for a lost refresh response: an app whose response
was lost signs in again. A grace window would let whoever replays the old
token within it hold a live pair of the same session (docs/security.md).
"""

import uuid
from datetime import datetime
from functools import cached_property
from typing import Any, NamedTuple

from sqlalchemy import bindparam, select, update

from app.database import DirectSelect
from app.models import EndReason, RotatedRefreshToken, SessionKind, User, UserSession
from app.services.credentials import VerifiedCredentials
from app.services.sessions.lifecycle import SessionLifecycle
from app.services.sessions.lookup import active_at, signed_in_lookup
from app.services.sessions.signed_in import SignedInUser
from app.services.sessions.tokens import hash_token, is_well_formed_token, new_token

RESOLVE_BEARER = signed_in_lookup(
    UserSession.access_token_hash, UserSession.access_expires_at > bindparam("now")
)


class AppTokens(NamedTuple):
    """What an app receives at sign-in and at every refresh."""

    session_id: uuid.UUID
    access_token: str
    refresh_token: str
    access_expires_at: datetime


class RefreshRefused(Exception):
    """The refresh token opens nothing: unknown, expired, ended, or just ended for being reused.

    ``ended`` is the session this refusal has just ended, when the token had
    already been exchanged (reuse) and its session was still open; otherwise None.
    """

    def __init__(self, ended: UserSession | None = None) -> None:
        super().__init__("refresh token refused" + (" (reused: its session was ended)" if ended else ""))
        self.ended = ended


class SessionAppTokens(SessionLifecycle):
    """Opening, refreshing and resolving app sessions; part of ``SessionService``.

    Built on ``SessionLifecycle``: an app session starts the way a browser's does.
    """

    def open_app_session(
        self,
        credentials: VerifiedCredentials,
        *,
        client_name: str | None,
        user_agent: str | None,
        ip_address: str | None,
        **details: Any,
    ) -> AppTokens:
        """Start an app session, as ``create`` starts a browser's, and return its first pair of tokens."""
        now = self._clock.now()
        access, refresh = new_token(), new_token()
        access_expires_at = self.policy.access_expiry(
            issued_at=now, session_expires_at=self.policy.expiry(created_at=now, active_at=now)
        )
        row = self._start(
            credentials,
            {
                "kind": SessionKind.APP.value,
                "client_name": client_name,
                "access_token_hash": hash_token(access),
                "access_expires_at": access_expires_at,
                "refresh_token_hash": hash_token(refresh),
            },
            user_agent=user_agent, ip_address=ip_address, **details,
        )
        return AppTokens(row.id, access, refresh, access_expires_at)

    def refresh(self, refresh_token: str) -> AppTokens:
        """Exchange a refresh token for a new pair; the old refresh and access tokens stop working.

        The exchange is one UPDATE whose WHERE names the old hash, so of two
        requests presenting the same token only one can win; the other finds
        it rotated, which is reuse. Reuse ends the session and records
        refresh_token_reused before raising RefreshRefused, whose ``ended`` is
        that session: the caller commits that ending (and tells the person)
        even though it answers with a refusal.
        """
        if not is_well_formed_token(refresh_token):
            raise RefreshRefused()
        old_hash = hash_token(refresh_token)
        now = self._clock.now()
        holder = self._db.execute(
            select(UserSession.id, UserSession.created_at)
            .join(User, User.id == UserSession.user_id)
            .where(
                UserSession.refresh_token_hash == old_hash,
                active_at(now),
                User.is_active.is_(True),
                UserSession.credentials_version == User.credentials_version,
            )
        ).first()
        if holder is not None:
            access, refresh = new_token(), new_token()
            expires_at = self.policy.expiry(created_at=holder.created_at, active_at=now)
            access_expires_at = self.policy.access_expiry(issued_at=now, session_expires_at=expires_at)
            won = self._db.scalar(
                update(UserSession)
                .where(UserSession.id == holder.id, UserSession.refresh_token_hash == old_hash, active_at(now))
                .values(
                    refresh_token_hash=hash_token(refresh),
                    access_token_hash=hash_token(access),
                    access_expires_at=access_expires_at,
                    last_activity_at=now,
                    expires_at=expires_at,
                )
                .returning(UserSession.id)
                .execution_options(synchronize_session=False)
            )
            if won is not None:
                self._db.add(RotatedRefreshToken(refresh_token_hash=old_hash, session_id=holder.id, rotated_at=now))
                self._db.flush()
                return AppTokens(holder.id, access, refresh, access_expires_at)
            # Another request exchanged this token first: presenting it again is reuse.
        raise RefreshRefused(ended=self._end_for_reuse(old_hash))

    def _end_for_reuse(self, old_hash: str) -> UserSession | None:
        """If ``old_hash`` was already exchanged, end its session (if still open), record why, and return it."""
        session_id = self._db.scalar(
            select(RotatedRefreshToken.session_id).where(RotatedRefreshToken.refresh_token_hash == old_hash)
        )
        if session_id is None:
            return None
        # The session row only, not the account first (_lock_user): this path
        # holds no other row, and the event's foreign key takes FOR KEY SHARE on
        # the account, which the account lock (FOR NO KEY UPDATE) never blocks,
        # so it cannot close a cycle. Taking the account lock here did
        # deadlock with concurrent exchanges of the same token, whose UPDATE
        # locks the row without the account (tests/test_concurrency.py).
        row = self._db.scalar(
            select(UserSession)
            .where(UserSession.id == session_id, active_at(self._clock.now()))
            .with_for_update()
        )
        if row is None:
            return None
        row.is_active = False
        row.revoked_at = self._clock.now()
        row.revoked_reason = EndReason.REFRESH_TOKEN_REUSED
        self._db.flush()
        self._events.refresh_token_reused(row)
        return row

    def resolve_bearer(self, access_token: str) -> SignedInUser | None:
        """The open app session an access token belongs to, in one SELECT, as ``resolve`` does for cookies."""
        if not is_well_formed_token(access_token):
            return None
        row = self._resolve_bearer_statement.first(token_hash=hash_token(access_token), now=self._clock.now())
        return None if row is None else SignedInUser(*row)

    @cached_property
    def _resolve_bearer_statement(self) -> DirectSelect:
        return DirectSelect(self._db.get_bind(UserSession), RESOLVE_BEARER)
