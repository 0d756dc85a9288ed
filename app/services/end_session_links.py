"""The "Not you? End this session" links of alert emails: the only code that writes ``end_session_links``.

A link is ``<link id>.<nonce>`` signed with SECRET_KEY (itsdangerous): it
names one row and proves it was made here, and carries no session token,
so it can end the one session its row names and sign no one in. The row
keeps the nonce's SHA-256 only. A link is single-use (``used_at`` is set by
one conditional UPDATE, so of two requests at once exactly one ends the
session) and expires after END_SESSION_LINK_LIFETIME. Like every service
this only flushes; the caller commits, or rolls back whatever did not end
a session, so a refused link changes nothing.
"""

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.clock import Clock
from app.models import EndReason, EndSessionLink, UserSession
from app.services.errors import SessionNotFound
from app.services.sessions import Ending, SessionService

# A link longer than any this service makes is not worth decoding.
MAX_LINK_TOKEN_LENGTH = 200
_SALT = "doorman.end-session-link"
_NONCE_BYTES = 32


class LinkState(StrEnum):
    """What a link can do now, and so what its page says."""

    USABLE = "usable"
    INVALID = "invalid"
    EXPIRED = "expired"
    USED = "used"
    SESSION_ENDED = "session_ended"
    # What redeem answers when it has just ended the session.
    ENDED_NOW = "ended_now"


@dataclass(frozen=True, slots=True)
class LinkCheck:
    """A link's state; ``session`` is the session it names when the page may show it (usable or just ended)."""

    state: LinkState
    session: UserSession | None = None


def _hash_nonce(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


class EndSessionLinks:
    def __init__(self, db: Session, *, clock: Clock, secret_key: str, lifetime: timedelta,
                 sessions: SessionService) -> None:
        self._db = db
        self._clock = clock
        self._serializer = URLSafeSerializer(secret_key, salt=_SALT)
        self._lifetime = lifetime
        self._sessions = sessions

    @classmethod
    def from_config(cls, db: Session, config: Mapping[str, Any], *, clock: Clock,
                    sessions: SessionService) -> "EndSessionLinks":
        return cls(db, clock=clock, secret_key=config["SECRET_KEY"],
                   lifetime=timedelta(seconds=config["END_SESSION_LINK_LIFETIME"]), sessions=sessions)

    def issue(self, session: UserSession) -> str:
        """A new link token that ends ``session`` (and nothing else) until it expires or is used."""
        nonce = secrets.token_urlsafe(_NONCE_BYTES)
        now = self._clock.now()
        link = EndSessionLink(
            id=uuid.uuid4(), user_id=session.user_id, session_id=session.id, nonce_hash=_hash_nonce(nonce),
            created_at=now, expires_at=now + self._lifetime,
        )
        self._db.add(link)
        self._db.flush()
        return str(self._serializer.dumps([link.id.hex, nonce]))

    def inspect(self, token: str) -> LinkCheck:
        """What the link's page shows; reads only."""
        link = self._find(token)
        if link is None:
            return LinkCheck(LinkState.INVALID)
        return self._check(link)

    def redeem(self, token: str, *, context: Mapping[str, Any] | None = None) -> LinkCheck:
        """End the link's session and use the link up; ``ENDED_NOW`` if this call did, else why not.

        ``context`` is the pressing request's ``sign_in_details``: where it was
        ended from, for the account's activity. Anything but ``ENDED_NOW``
        has changed nothing the caller should keep: roll back.
        """
        link = self._find(token)
        if link is None:
            return LinkCheck(LinkState.INVALID)
        checked = self._check(link)
        if checked.state != LinkState.USABLE:
            return checked
        # One UPDATE that only an unused link passes: of two requests at once,
        # the second waits for the first's row lock and then matches nothing.
        claimed = self._db.execute(
            update(EndSessionLink)
            .where(EndSessionLink.id == link.id, EndSessionLink.used_at.is_(None))
            .values(used_at=self._clock.now())
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return LinkCheck(LinkState.USED)
        ending = Ending.by_user(link.user_id, EndReason.ENDED_FROM_ALERT_EMAIL, context=context)
        try:
            ended = self._sessions.end(link.session_id, owner_id=link.user_id, ending=ending)
        except SessionNotFound:
            return LinkCheck(LinkState.SESSION_ENDED)
        return LinkCheck(LinkState.ENDED_NOW, ended)

    def _find(self, token: str) -> EndSessionLink | None:
        """The row a well-signed token names, if its nonce is the one the row was made with."""
        if len(token) > MAX_LINK_TOKEN_LENGTH:
            return None
        try:
            payload = self._serializer.loads(token)
        except BadData:
            return None
        if not (isinstance(payload, list) and len(payload) == 2 and all(isinstance(p, str) for p in payload)):
            return None
        link_hex, nonce = payload
        try:
            link_id = uuid.UUID(hex=link_hex)
        except ValueError:
            return None
        link = self._db.get(EndSessionLink, link_id, populate_existing=True)
        if link is None or not hmac.compare_digest(link.nonce_hash, _hash_nonce(nonce)):
            return None
        return link

    def _check(self, link: EndSessionLink) -> LinkCheck:
        now = self._clock.now()
        if link.used_at is not None:
            return LinkCheck(LinkState.USED)
        if link.expires_at <= now:
            return LinkCheck(LinkState.EXPIRED)
        session = self._db.scalar(
            select(UserSession).where(
                UserSession.id == link.session_id, UserSession.user_id == link.user_id,
                UserSession.is_active.is_(True), UserSession.expires_at > now,
            )
        )
        if session is None:
            # Ended, perhaps by this very link pressed a moment ago in another
            # request, which committed after the link was read above: a fresh
            # read of the link then sees that use, and "already used" is the answer.
            used_at = self._db.scalar(select(EndSessionLink.used_at).where(EndSessionLink.id == link.id))
            return LinkCheck(LinkState.USED if used_at is not None else LinkState.SESSION_ENDED)
        return LinkCheck(LinkState.USABLE, session)
