"""The security events the session store records as it starts and ends sessions.

Kept apart from ``lifecycle`` so the store reads as storage; ``SessionService``
calls these in the middle of its own work, so each event is flushed into the
same transaction as the change it describes.
"""

from collections.abc import Sequence
from typing import Any

from app.models import ActorKind, EndReason, EventType, UserSession
from app.services.audit import MAX_LISTED_SESSIONS, NOWHERE, AuditService, Snapshot
from app.services.enrichment import PLACES_KEY
from app.services.sessions.ending import Ending

# What an event remembers of each session it ends (the RETURNING columns).
ENDED_COLUMNS = (
    UserSession.id,
    UserSession.ip_address,
    UserSession.browser,
    UserSession.os,
    UserSession.device,
    UserSession.country,
    UserSession.city,
    # The place's names in other languages (Snapshot.places), not the rest of the metadata.
    UserSession.extra[PLACES_KEY].label(PLACES_KEY),
)
# A browser ending its own session (signing out, or signing in again over
# it) is a sign-out; every other reason is a revocation.
_SIGN_OUT_REASONS = frozenset({EndReason.SIGNED_OUT, EndReason.SUPERSEDED})


class SessionEvents:
    def __init__(self, audit: AuditService) -> None:
        self._audit = audit

    def signed_in(self, row: UserSession) -> None:
        self._audit.record(
            EventType.SIGNED_IN,
            subject_id=row.user_id,
            actor_kind=ActorKind.USER,
            actor_id=row.user_id,
            session_id=row.id,
            where=Snapshot.of(row),
        )

    def evicted(self, user_id: int, ended: Sequence[Any]) -> None:
        """One event per session the session limit ended; ``ended`` are ENDED_COLUMNS rows."""
        for row in ended:
            self._audit.record(
                EventType.SESSION_LIMIT_EVICTED,
                subject_id=user_id,
                actor_kind=ActorKind.SYSTEM,
                session_id=row.id,
                where=Snapshot.of(row),
                details={"end_reason": EndReason.SESSION_LIMIT},
            )

    def moved(self, user_id: int, session_id: Any, ip_address: str, before: Any, after: Any) -> None:
        """A session's requests came from another city or country: ``before`` and ``after`` are places."""
        self._audit.record(
            EventType.SESSION_MOVED,
            subject_id=user_id,
            actor_kind=ActorKind.SYSTEM,
            session_id=session_id,
            where=Snapshot(ip_address=ip_address, country=after.get("country"), city=after.get("city"),
                           places=after.get(PLACES_KEY)),
            details={"from": dict(before), "to": dict(after)},
        )

    def refresh_token_reused(self, row: UserSession) -> None:
        """An app session ended because a refresh token it had already exchanged came back."""
        self._audit.record(
            EventType.REFRESH_TOKEN_REUSED,
            subject_id=row.user_id,
            actor_kind=ActorKind.SYSTEM,
            session_id=row.id,
            where=Snapshot.of(row),
            details={"end_reason": EndReason.REFRESH_TOKEN_REUSED},
        )

    def ended_one(self, ending: Ending, row: UserSession) -> None:
        """One session ended: where it was, and where the acting request came from."""
        details: dict[str, Any] = {"end_reason": ending.reason}
        if ending.context:
            details["from"] = Snapshot.of(ending.context).as_details()
        self._audit.record(
            EventType.SIGNED_OUT if ending.reason in _SIGN_OUT_REASONS else EventType.SESSION_REVOKED,
            subject_id=row.user_id,
            actor_kind=ending.actor_kind,
            actor_id=ending.actor_id,
            session_id=row.id,
            where=Snapshot.of(row),
            reason=ending.staff_reason,
            details=details,
        )

    def ended_batch(
        self, event_type: str, user_id: int, ending: Ending, ended: Sequence[Any], where: Snapshot
    ) -> None:
        """One event for a batch, listing the sessions it ended (ENDED_COLUMNS rows).

        ``where`` is where the acting request came from. The account holder's
        own (or the system's) becomes the event's place; a staff member's goes
        into ``details["from"]``, as ``ended_one`` keeps it, because the
        account holder reads the event's place and IP: they learn that support
        acted and why, never the agent's address, browser or city.
        """
        listed = [{"session_id": str(r.id), **Snapshot.of(r).as_details()} for r in ended[:MAX_LISTED_SESSIONS]]
        details: dict[str, Any] = {"end_reason": ending.reason, "count": len(ended), "sessions": listed}
        if ending.actor_kind == ActorKind.STAFF:
            if where != NOWHERE:
                details["from"] = where.as_details()
            where = NOWHERE
        self._audit.record(
            event_type,
            subject_id=user_id,
            actor_kind=ending.actor_kind,
            actor_id=ending.actor_id,
            where=where,
            reason=ending.staff_reason,
            details=details,
        )

