"""Security events told as plain sentences, for the account holder or for staff.

Plain text only: templates escape it like any other value. The account holder
reads "You signed out Safari on iPhone in Valencia, Spain"; staff read the
same event as "The user signed out ...", and see which staff member acted
where the account holder only sees "support".

Events keep where they happened as facts (``details["where"]``, and the
snapshots under "from" and "sessions"); events recorded before that keep
words (the ``device_summary`` and ``place`` columns), read as they were.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.models import ActorKind, EndReason, EventType, SecurityEvent
from app.presenters.devices import Seen, device_phrase, is_recognised_summary, seen_from_facts, seen_from_words, seen_in
from app.presenters.end_reasons import because
from app.presenters.plurals import plural
from app.presenters.times import Moment


@dataclass(frozen=True, slots=True)
class ActivityEntry:
    sentence: str
    when: Moment
    # Which device(s) the sentence is about, when the sentence itself does not say.
    note: str | None
    ip_address: str | None
    by_support: bool
    failed: bool
    # The User-Agent a failed sign-in sent, as sent: for staff readers only.
    user_agent: str | None = None

    @property
    def at(self) -> datetime:
        return self.when.at


def describe_all(events: Iterable[SecurityEvent], *, for_staff: bool = False) -> list[ActivityEntry]:
    return [describe(event, for_staff=for_staff) for event in events]


def describe(event: SecurityEvent, *, for_staff: bool = False) -> ActivityEntry:
    """One event as an entry; staff events need ``event.actor`` loaded when ``for_staff``."""
    sentence, note = _Sentences(event, for_staff).tell()
    return ActivityEntry(
        sentence=sentence,
        when=Moment(event.created_at),
        note=note,
        ip_address=_ip_shown(event, for_staff),
        by_support=event.actor_kind == ActorKind.STAFF,
        failed=event.event_type == EventType.SIGN_IN_FAILED,
        user_agent=(event.details or {}).get("user_agent") if for_staff else None,
    )


def event_seen(event: SecurityEvent) -> Seen:
    """Where an event happened, from its facts or, for older events, its stored words."""
    where = (event.details or {}).get("where")
    if isinstance(where, Mapping):
        return seen_from_facts(where, event.ip_address, unknown_device=event.event_type == EventType.SIGN_IN_FAILED)
    return seen_from_words(event.device_summary, event.place)


def event_device(event: SecurityEvent) -> str | None:
    """"Chrome on macOS": the device an event happened on, or None when nothing is known of it."""
    return event_seen(event).device


def event_place(event: SecurityEvent) -> str | None:
    """"Madrid, Spain": the place an event happened in, or None when it is unknown or local."""
    return event_seen(event).place


def _ip_shown(event: SecurityEvent, for_staff: bool) -> str | None:
    """The address an entry shows: never, to the account holder, the one a staff member acted from.

    A staff event's own IP is that of the account's session it ended; events
    about no one session (a batch, a look) have none for the account holder.
    Rows written before staff batches kept their place apart still carry the
    agent's address there, hence the check on ``session_id`` rather than on
    the column alone. Staff readers also see where the staff member acted from.
    """
    if event.actor_kind != ActorKind.STAFF:
        return event.ip_address
    if not for_staff:
        return event.ip_address if event.session_id is not None else None
    acted_from = (event.details or {}).get("from")
    return event.ip_address or (acted_from.get("ip_address") if isinstance(acted_from, Mapping) else None)


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


class _Sentences:
    def __init__(self, event: SecurityEvent, for_staff: bool) -> None:
        self.event = event
        self.for_staff = for_staff
        self.details: dict[str, Any] = event.details or {}
        self.you = "The user" if for_staff else "You"
        self.seen = event_seen(event)
        self.where = self.seen.phrase

    def tell(self) -> tuple[str, str | None]:
        teller = getattr(self, f"_{self.event.event_type}", None)
        if teller is None:
            return f"Security event: {self.event.event_type.replace('_', ' ')}", None
        return teller()

    @property
    def support(self) -> str:
        """Who acted for staff: the staff member for staff readers, "support" for the user."""
        actor = self.event.actor if self.for_staff and self.event.actor_id else None
        return f"support ({actor.email})" if actor is not None else "support"

    @property
    def because(self) -> str:
        return because(self.details.get("end_reason"))

    def _listed_sessions(self) -> str | None:
        listed = self.details.get("sessions") or []
        if not listed:
            return None
        text = "; ".join(seen_in(s).phrase for s in listed)
        more = int(self.details.get("count", len(listed))) - len(listed)
        return f"{text}; and {more} more" if more > 0 else text

    # One method per event type, named after it.

    def _signed_in(self) -> tuple[str, str | None]:
        return f"Signed in from {self.where}", None

    def _sign_in_failed(self) -> tuple[str, str | None]:
        device = self.seen.device
        if not self.for_staff and "where" not in self.details and not is_recognised_summary(device):
            # Whoever failed to sign in wrote their User-Agent. Rows recorded
            # before only recognised names were kept may hold their words;
            # facts are recognised names only (Snapshot.of_unauthenticated).
            device = None
        return f"Failed sign-in attempt from {self.seen.origin}", device_phrase(device)

    def _signed_out(self) -> tuple[str, str | None]:
        if self.details.get("end_reason") == EndReason.SUPERSEDED:
            return f"Signed in again on {self.where}, which ended the session there", None
        return f"Signed out of {self.where}", None

    def _session_revoked(self) -> tuple[str, str | None]:
        kind = self.event.actor_kind
        if kind == ActorKind.STAFF:
            return f"Signed out by {self.support}: {self.event.reason}", self.where
        if kind == ActorKind.USER:
            return f"{self.you} signed out {self.where}", None
        return _capitalised(f"{self.where} was signed out{self.because}"), None

    def _session_limit_evicted(self) -> tuple[str, str | None]:
        return _capitalised(f"{self.where} was signed out{because(EndReason.SESSION_LIMIT)}"), None

    def _refresh_token_reused(self) -> tuple[str, str | None]:
        return "An app's sign-in was ended because an old token was used again", self.where

    def _other_sessions_revoked(self) -> tuple[str, str | None]:
        others = plural(int(self.details.get("count", 0)), "other session")
        return self._batch(
            staff=f"Other sessions signed out by {self.support}: {self.event.reason}",
            user=f"{self.you} signed out {others}",
            system=f"{_capitalised(others)} signed out{self.because}",
        )

    def _all_sessions_revoked(self) -> tuple[str, str | None]:
        count = plural(int(self.details.get("count", 0)), "session")
        return self._batch(
            staff=f"All sessions signed out by {self.support}: {self.event.reason}",
            user=f"{self.you} signed out everywhere ({count})",
            system=f"All sessions signed out{self.because} ({count})",
        )

    def _batch(self, *, staff: str, user: str, system: str) -> tuple[str, str | None]:
        by_actor: dict[str, str] = {ActorKind.STAFF: staff, ActorKind.USER: user}
        sentence = by_actor.get(self.event.actor_kind, system)
        return sentence, self._listed_sessions()

    def _password_changed(self) -> tuple[str, str | None]:
        return f"{self.you} changed the password", self.where if self.seen.device else None

    def _role_changed(self) -> tuple[str, str | None]:
        old, new = self.details.get("from", "?"), self.details.get("to", "?")
        return f"Account role changed from {old} to {new}", None

    def _staff_viewed_sessions(self) -> tuple[str, str | None]:
        return f"{_capitalised(self.support)} viewed this account's sessions", None
