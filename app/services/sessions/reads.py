"""What pages read of sessions: the active ones, the recently ended ones, one by refresh token."""

import uuid
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from app.clock import Clock
from app.models import KnownDevice, User, UserSession
from app.services.enrichment import PLACES_KEY
from app.services.sessions.lookup import LAST_PLACES_KEY, active_at
from app.services.sessions.tokens import hash_token


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
    kind: str
    client_name: str | None
    # The place's names in other languages, kept at sign-in: {"es": {"country": "España", "city": "Londres"}}.
    places: dict[str, dict[str, str]] | None
    # When its requests last came from a new city or country (None: never, or dismissed), and that place.
    moved_at: datetime | None = None
    last_country: str | None = None
    last_city: str | None = None
    last_places: dict[str, dict[str, str]] | None = None
    # The browser (device cookie) or app (device_id) it was opened from, and the name its owner gave it.
    known_device_id: int | None = None
    device_name: str | None = None


def _active_session_column(name: str) -> Any:
    if name in (PLACES_KEY, LAST_PLACES_KEY):
        # The places' names, not the rest of the metadata.
        return UserSession.extra[name].label(name)
    if name == "device_name":
        return KnownDevice.name.label(name)
    return getattr(UserSession, name)


# In the fields' order; the device's name comes from the same statement (an outer join), not a query per row.
_ACTIVE_SESSION_COLUMNS = tuple(_active_session_column(name) for name in ActiveSession._fields)


class EndedSession(NamedTuple):
    """An ended session row and the email of whoever ended it (None: the system or its owner gone)."""

    row: UserSession
    ended_by_email: str | None


class SessionReads:
    """Reading sessions for pages; part of ``SessionService``."""

    _db: Session
    _clock: Clock

    def list_active(self, user_id: int) -> list[ActiveSession]:
        """The user's active sessions, most recently active first."""
        rows = self._db.execute(
            select(*_ACTIVE_SESSION_COLUMNS)
            .outerjoin(KnownDevice, (KnownDevice.id == UserSession.known_device_id)
                       & (KnownDevice.user_id == UserSession.user_id))
            .where(UserSession.user_id == user_id, active_at(self._clock.now()))
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

    def list_kept(self, user_id: int) -> list[UserSession]:
        """Every row of the user's sessions still kept, open or ended, most recently started first (an export)."""
        return list(self._db.scalars(
            select(UserSession).where(UserSession.user_id == user_id)
            .order_by(UserSession.created_at.desc(), UserSession.id)
        ))

    def find_kept(self, session_id: uuid.UUID, *, owner_id: int) -> UserSession | None:
        """One of ``owner_id``'s session rows still kept, open or ended; another account's is None."""
        return self._db.scalar(
            select(UserSession).where(UserSession.id == session_id, UserSession.user_id == owner_id)
        )

    def find_by_refresh_token(self, refresh_token: str) -> UserSession | None:
        """The active session that holds this refresh token, if any."""
        return self._db.scalar(
            select(UserSession).where(
                UserSession.refresh_token_hash == hash_token(refresh_token),
                active_at(self._clock.now()),
            )
        )
