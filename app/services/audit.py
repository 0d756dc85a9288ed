"""Security events: written inside the services, in the caller's transaction.

``AuditService`` only adds and flushes rows; whoever commits the change an
event describes commits the event with it, so a revocation and its record
land together or not at all. Nothing here updates an event; ``purge`` is the
one way a row ever leaves, once it is older than the retention.
"""

import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, select
from sqlalchemy.orm import Session, joinedload

from app.clock import Clock
from app.models import ActorKind, EventType, SecurityEvent
from app.models.security_event import STAFF_REASON_MAX_LENGTH
from app.services.addresses import masked_address
from app.services.enrichment import PLACES_KEY, PlaceNames, recognised_device
from app.services.errors import ReasonRequired
from app.services.event_partitions import EventPartitions
from app.services.paging import Page, paginate

STAFF_REASON_MIN_LENGTH = 3
STAFF_VIEW_WINDOW = timedelta(minutes=10)
# A batch event lists the sessions it ended; the session limit keeps this
# short in practice, the cap keeps one row bounded whatever the limit.
MAX_LISTED_SESSIONS = 20
# Staff-revocation events that can explain why a session row was ended.
_STAFF_REVOCATIONS = (
    EventType.SESSION_REVOKED,
    EventType.OTHER_SESSIONS_REVOKED,
    EventType.ALL_SESSIONS_REVOKED,
)


def clean_staff_reason(reason: str | None) -> str:
    """The reason a staff member gave, stripped; ReasonRequired unless 3 to 500 characters."""
    cleaned = (reason or "").strip()
    if not STAFF_REASON_MIN_LENGTH <= len(cleaned) <= STAFF_REASON_MAX_LENGTH:
        raise ReasonRequired(
            f"a reason of {STAFF_REASON_MIN_LENGTH} to {STAFF_REASON_MAX_LENGTH} characters is required"
        )
    return cleaned


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Where something happened, as facts fixed at that moment; presenters word them when shown.

    ``country`` and ``city`` are English; ``places`` the place's names in
    other languages, as the session row keeps them (``PlaceNames``), so the
    activity page names it in its reader's language.
    """

    ip_address: str | None = None
    browser: str | None = None
    os: str | None = None
    device: str | None = None
    country: str | None = None
    city: str | None = None
    places: PlaceNames | None = field(default=None, hash=False)

    @classmethod
    def of(cls, source: Any) -> "Snapshot":
        """From a session row, a ``RETURNING`` row (ENDED_COLUMNS), or a ``sign_in_details`` mapping."""
        if source is None:
            return NOWHERE
        if isinstance(source, Mapping):
            get: Callable[[str], Any] = source.get
        else:
            def get(name: str) -> Any:
                return getattr(source, name, None)
        return cls(**{name: get(name) for name in _SNAPSHOT_FIELDS}, places=_places_of(get))

    @classmethod
    def of_unauthenticated(cls, attempt: Mapping[str, Any] | None) -> "Snapshot":
        """From the ``sign_in_details`` of a request that proved nothing, in recognised names only.

        Its User-Agent is whatever the sender typed, and the account holder
        reads this snapshot: only recognised browser and system families (and
        Apple's device names) are kept; nothing at all stands for an unknown device.
        """
        if not attempt:
            return NOWHERE
        device = recognised_device(attempt.get("user_agent"))
        return cls(
            ip_address=attempt.get("ip_address"),
            browser=device.browser,
            os=device.os,
            device=device.device,
            country=attempt.get("country"),
            city=attempt.get("city"),
            places=_places_of(attempt.get),
        )

    def as_details(self) -> dict[str, Any]:
        """As an event's details keep it; ``places`` only when there are names in other languages."""
        kept = asdict(self)
        if not kept["places"]:
            del kept["places"]
        return kept

    def facts(self) -> dict[str, Any]:
        """What an event keeps under ``details["where"]``: all but the address, which has its column."""
        return {name: value for name, value in self.as_details().items() if name != "ip_address"}


_SNAPSHOT_FIELDS = ("ip_address", "browser", "os", "device", "country", "city")


def _places_of(get: Callable[[str], Any]) -> PlaceNames | None:
    """A row's ``places`` (UserSession.places, an ENDED_COLUMNS row), or a mapping's ``extra["places"]``."""
    places = get(PLACES_KEY)
    if places is None:
        extra = get("extra")
        places = extra.get(PLACES_KEY) if isinstance(extra, Mapping) else None
    return places if isinstance(places, Mapping) and places else None


NOWHERE = Snapshot()


def _masked_details(value: Any) -> Any:
    """``details`` with every ``ip_address`` in it, however deep, cut to its network's first address."""
    if isinstance(value, Mapping):
        return {key: masked_address(item) if key == "ip_address" and isinstance(item, str) else _masked_details(item)
                for key, item in value.items()}
    if isinstance(value, list):
        return [_masked_details(item) for item in value]
    return value


def _with_where(details: Mapping[str, Any] | None, where: Snapshot) -> dict[str, Any]:
    """The event's details, with where it happened as facts under "where" (when anything is known).

    Events recorded before facts were kept hold words instead, in the
    ``device_summary`` and ``place`` columns; presenters read both.
    """
    kept = dict(details or {})
    # By identity: a snapshot of a row with nothing known is still a place
    # ("Unknown browser"), where NOWHERE is no place at all.
    if where is not NOWHERE:
        kept["where"] = where.facts()
    return kept


class AuditService:
    def __init__(
        self, db: Session, *, clock: Clock, partitions: EventPartitions | None = None, history: Session | None = None
    ) -> None:
        """``history`` is read by activity, history and staff_actions only: it may be a read replica's session.

        Everything else (writes, and the reads that decide what a staff
        member may see or whether a look is on record) uses ``db``.
        """
        self._db = db
        self._history = history if history is not None else db
        self._clock = clock
        self._partitions = partitions or EventPartitions(db, clock=clock)

    # -- writing --------------------------------------------------------------

    def record(
        self,
        event_type: str,
        *,
        subject_id: int,
        actor_kind: str,
        actor_id: int | None = None,
        session_id: uuid.UUID | None = None,
        where: Snapshot = NOWHERE,
        reason: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> SecurityEvent:
        """Add one event to the current transaction and flush it."""
        if actor_kind == ActorKind.STAFF and event_type in _STAFF_REVOCATIONS:
            reason = clean_staff_reason(reason)
        event = SecurityEvent(
            subject_id=subject_id,
            actor_id=actor_id,
            actor_kind=actor_kind,
            event_type=event_type,
            session_id=session_id,
            ip_address=where.ip_address,
            reason=reason,
            details=_with_where(details, where),
            created_at=self._clock.now(),
        )
        self._db.add(event)
        self._db.flush()
        return event

    def record_failed_sign_in(self, *, subject_id: int, attempt: Mapping[str, Any] | None) -> SecurityEvent:
        """A wrong password (or a disabled account) for this account, from ``attempt``'s request.

        The person trying is not identified, so there is no actor_id. What the
        account holder is shown of their device is what Doorman recognised of
        it; the User-Agent as sent is kept for staff, under ``details``.
        """
        sent = (attempt or {}).get("user_agent")
        return self.record(
            EventType.SIGN_IN_FAILED,
            subject_id=subject_id,
            actor_kind=ActorKind.USER,
            where=Snapshot.of_unauthenticated(attempt),
            details={"user_agent": sent} if sent else None,
        )

    def record_ip_revealed(
        self, *, staff_id: int, subject_id: int, session: Any, reason: str | None,
        context: Mapping[str, Any] | None,
    ) -> SecurityEvent:
        """A staff member saw a session's full address, for ``reason`` (ReasonRequired without a usable one).

        The event is the session's, with its place and address, as the account
        holder reads it; where the staff member was goes under "from".
        """
        return self.record(
            EventType.STAFF_REVEALED_IP,
            subject_id=subject_id,
            actor_kind=ActorKind.STAFF,
            actor_id=staff_id,
            session_id=session.id,
            where=Snapshot.of(session),
            reason=clean_staff_reason(reason),
            details={"from": Snapshot.of(context).as_details()} if context else None,
        )

    def record_staff_view(
        self, *, staff_id: int, subject_id: int, context: Mapping[str, Any] | None
    ) -> SecurityEvent | None:
        """A staff member opened an account's sessions in the support console.

        One event per visit rather than per page load: a look already
        recorded within STAFF_VIEW_WINDOW covers reloads, paging and the
        redirect back after an action, which would otherwise bury the
        account holder's activity under identical lines.
        """
        if self.staff_viewed_recently(staff_id=staff_id, subject_id=subject_id):
            return None
        return self.record(
            EventType.STAFF_VIEWED_SESSIONS,
            subject_id=subject_id,
            actor_kind=ActorKind.STAFF,
            actor_id=staff_id,
            details={"from": Snapshot.of(context).as_details()} if context else None,
        )

    # -- reading --------------------------------------------------------------

    def staff_viewed_recently(self, *, staff_id: int, subject_id: int) -> bool:
        """Whether this staff member's look at the account was recorded within STAFF_VIEW_WINDOW."""
        recent = self._db.scalar(
            select(SecurityEvent.id)
            .where(
                SecurityEvent.subject_id == subject_id,
                SecurityEvent.actor_id == staff_id,
                SecurityEvent.event_type == EventType.STAFF_VIEWED_SESSIONS,
                SecurityEvent.created_at > self._clock.now() - STAFF_VIEW_WINDOW,
            )
            .limit(1)
        )
        return recent is not None

    def activity(
        self, subject_id: int, *, since: datetime | None, page: int, per_page: int
    ) -> Page[SecurityEvent]:
        """What happened to one account since ``since`` (None: all that is kept), newest first."""
        conditions = [SecurityEvent.subject_id == subject_id]
        if since is not None:
            conditions.append(SecurityEvent.created_at >= since)
        return paginate(self._history, self._newest_first(*conditions), page=page, per_page=per_page)

    def history(self, subject_id: int, *, since: datetime) -> list[SecurityEvent]:
        """Everything that happened to one account since ``since``, newest first, unpaged (an export)."""
        return list(self._history.scalars(
            self._newest_first(SecurityEvent.subject_id == subject_id, SecurityEvent.created_at >= since)
        ).unique())

    def staff_actions(
        self, *, staff_id: int | None = None, subject_id: int | None = None, page: int, per_page: int
    ) -> Page[SecurityEvent]:
        """Everything staff did, optionally by one staff member or to one account, newest first."""
        conditions = [SecurityEvent.actor_kind == ActorKind.STAFF]
        if staff_id is not None:
            conditions.append(SecurityEvent.actor_id == staff_id)
        if subject_id is not None:
            conditions.append(SecurityEvent.subject_id == subject_id)
        statement = self._newest_first(*conditions).options(joinedload(SecurityEvent.subject))
        return paginate(self._history, statement, page=page, per_page=per_page)

    def staff_revocation_reasons(self, subject_id: int, *, since: datetime) -> dict[uuid.UUID, SecurityEvent]:
        """For each session staff ended since ``since``, the event that says who and why."""
        events = self._db.scalars(
            self._newest_first(
                SecurityEvent.subject_id == subject_id,
                SecurityEvent.actor_kind == ActorKind.STAFF,
                SecurityEvent.event_type.in_(_STAFF_REVOCATIONS),
                SecurityEvent.created_at >= since,
            )
        ).unique()
        found: dict[uuid.UUID, SecurityEvent] = {}
        for event in events:
            ids = [event.session_id] if event.session_id else [
                uuid.UUID(s["session_id"]) for s in event.details.get("sessions", []) if s.get("session_id")
            ]
            for session_id in ids:
                found.setdefault(session_id, event)
        return found

    @staticmethod
    def _newest_first(*conditions: ColumnElement[bool]) -> Select[SecurityEvent]:
        return (
            select(SecurityEvent)
            .where(*conditions)
            .options(joinedload(SecurityEvent.actor))
            .order_by(SecurityEvent.created_at.desc(), SecurityEvent.id.desc())
        )

    def revealed_sessions(self, *, staff_id: int, subject_id: int) -> set[uuid.UUID]:
        """The account's sessions whose full address this staff member revealed within STAFF_VIEW_WINDOW."""
        return set(self._db.scalars(
            select(SecurityEvent.session_id).where(
                SecurityEvent.subject_id == subject_id,
                SecurityEvent.actor_id == staff_id,
                SecurityEvent.event_type == EventType.STAFF_REVEALED_IP,
                SecurityEvent.created_at > self._clock.now() - STAFF_VIEW_WINDOW,
                SecurityEvent.session_id.is_not(None),
            )
        ))

    # -- retention ------------------------------------------------------------

    def mask_old_addresses(self, *, older_than: timedelta, commit: Callable[[], None], batch_size: int = 1000) -> int:
        """Cut every address of events older than ``older_than`` to its network, a batch per transaction.

        The column and every ``ip_address`` inside ``details`` (where a staff
        member acted from, the sessions a batch ended) keep only the first
        address of their /24 or /48, and the row is marked, so each is done
        once. Returns how many events had an address to cut.
        """
        cutoff = self._clock.now() - older_than
        masked = 0
        while True:
            events = self._db.scalars(
                select(SecurityEvent)
                .where(SecurityEvent.created_at < cutoff, SecurityEvent.ip_masked_at.is_(None))
                .order_by(SecurityEvent.id)
                .limit(batch_size)
            ).all()
            for event in events:
                details = _masked_details(event.details or {})
                if event.ip_address is not None or details != event.details:
                    masked += 1
                event.ip_address = masked_address(event.ip_address)
                event.details = details
                event.ip_masked_at = self._clock.now()
            self._db.flush()
            commit()
            if len(events) < batch_size:
                return masked

    def purge(self, *, older_than: timedelta, commit: Callable[[], None], batch_size: int = 1000) -> int:
        """Delete events older than ``older_than``; returns how many.

        On PostgreSQL every month partition older than the cutoff is dropped
        whole first, and the months ahead are made; then (on SQLite, all of
        them) the rows still older than the cutoff, only in the month it
        falls in and the default partition there, are deleted a batch per
        transaction.
        """
        cutoff = self._clock.now() - older_than
        made = self._partitions.ensure_upcoming()
        dropped = self._partitions.drop_before(cutoff)
        if made or dropped.dropped:
            commit()
        deleted = dropped.rows_in_dropped
        while True:
            batch = select(SecurityEvent.id).where(SecurityEvent.created_at < cutoff).limit(batch_size)
            count = self._db.execute(
                delete(SecurityEvent)
                # created_at again so that PostgreSQL looks in the old partitions only.
                .where(SecurityEvent.id.in_(batch.scalar_subquery()), SecurityEvent.created_at < cutoff)
                .execution_options(synchronize_session=False)
            ).rowcount  # type: ignore[attr-defined]  # typed Result; a DELETE returns a CursorResult
            commit()
            deleted += count
            if count < batch_size:
                return deleted
