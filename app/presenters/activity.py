"""Security events told as plain sentences, for the account holder or for staff.

Plain text only: templates escape it like any other value. The account holder
reads "You signed out Safari on iPhone in Valencia, Spain" ("Cerraste la
sesión de Safari en iPhone en Valencia, España"); staff read the same event
as "The user signed out ...", and see which staff member acted where the
account holder only sees "support". Every sentence is one message with named
placeholders, so each language orders it its own way.

Events keep where they happened as facts (``details["where"]``, and the
snapshots under "from" and "sessions"), with the place's names in other
languages, so places read in the reader's language; events recorded before
that keep English words (the ``device_summary`` and ``place`` columns),
shown as stored.
"""

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l

from app.models import ActorKind, EndReason, EventType, SecurityEvent
from app.presenters.devices import Seen, is_recognised_summary, place_name, seen_from_facts, seen_from_words, seen_in
from app.presenters.end_reasons import all_ended_for, others_ended_for, session_ended_for
from app.presenters.times import Moment
from app.services.addresses import masked_network


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
    # The name its owner gave the device of the event's session ("Work laptop"), shown as typed.
    device_name: str | None = None

    @property
    def at(self) -> datetime:
        return self.when.at


def describe_all(events: Iterable[SecurityEvent], *, for_staff: bool = False,
                 device_names: Mapping[uuid.UUID, str] | None = None) -> list[ActivityEntry]:
    """``device_names``: the names of the devices of the events' sessions, by session id."""
    names = device_names or {}
    return [describe(event, for_staff=for_staff, device_name=names.get(event.session_id) if event.session_id else None)
            for event in events]


def describe(event: SecurityEvent, *, for_staff: bool = False, device_name: str | None = None) -> ActivityEntry:
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
        device_name=device_name,
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
    """The address an entry shows, as its network to staff and once it is past IP_RETENTION_DAYS."""
    shown = _address_shown(event, for_staff)
    return masked_network(shown) if for_staff or event.ip_masked_at is not None else shown


def _address_shown(event: SecurityEvent, for_staff: bool) -> str | None:
    """The address an entry is about: never, to the account holder, the one a staff member acted from.

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


# Account roles as a reader reads them; a role with no words of its own is shown as stored.
_ROLES = {"user": _l("user"), "support": _l("support"), "admin": _l("admin")}


def _role(value: object) -> str:
    return str(_ROLES.get(str(value), value))


class _Sentences:
    def __init__(self, event: SecurityEvent, for_staff: bool) -> None:
        self.event = event
        self.for_staff = for_staff
        self.details: dict[str, Any] = event.details or {}
        self.seen = event_seen(event)
        self.where = self.seen.phrase

    def tell(self) -> tuple[str, str | None]:
        teller = getattr(self, f"_{self.event.event_type}", None)
        if teller is None:
            return gettext("Security event: %(type)s", type=self.event.event_type.replace("_", " ")), None
        return teller()

    @property
    def staff_email(self) -> str | None:
        """Who acted for staff, for staff readers only; the account holder reads "support"."""
        actor = self.event.actor if self.for_staff and self.event.actor_id else None
        return actor.email if actor is not None else None

    @property
    def count(self) -> int:
        return int(self.details.get("count", 0))

    def _opening(self, sentence: str) -> str:
        """A sentence that opens with the session: capitalised only when it opens with Doorman's own words.

        "An unknown browser on Linux was signed out", but never "IPhone": a
        name keeps its case, and so does a sentence that puts the session elsewhere.
        """
        if self.seen.own_words and sentence.startswith(self.where):
            return sentence[:1].upper() + sentence[1:]
        return sentence

    def _listed_sessions(self) -> str | None:
        listed = self.details.get("sessions") or []
        if not listed:
            return None
        text = "; ".join(seen_in(s).phrase for s in listed)
        more = int(self.details.get("count", len(listed))) - len(listed)
        if more > 0:
            return ngettext("%(sessions)s; and %(num)d more", "%(sessions)s; and %(num)d more", more, sessions=text)
        return text

    # One method per event type, named after it.

    def _signed_in(self) -> tuple[str, str | None]:
        return gettext("Signed in from %(session)s", session=self.where), None

    def _sign_in_failed(self) -> tuple[str, str | None]:
        shown = self.seen.device is not None
        if not self.for_staff and "where" not in self.details and not is_recognised_summary(self.seen.device):
            # Whoever failed to sign in wrote their User-Agent. Rows recorded
            # before only recognised names were kept may hold their words;
            # facts are recognised names only (Snapshot.of_unauthenticated).
            shown = False
        note = self.seen.in_sentence if shown else gettext("an unknown device")
        return gettext("Failed sign-in attempt from %(place)s", place=self.seen.origin), note

    def _signed_out(self) -> tuple[str, str | None]:
        if self.details.get("end_reason") == EndReason.SUPERSEDED:
            return gettext("Signed in again on %(session)s, which ended the session there", session=self.where), None
        return gettext("Signed out of %(session)s", session=self.where), None

    def _session_revoked(self) -> tuple[str, str | None]:
        kind = self.event.actor_kind
        reason = self.event.reason
        if kind == ActorKind.STAFF:
            email = self.staff_email
            if email:
                return gettext("Signed out by support (%(email)s): %(reason)s", email=email, reason=reason), self.where
            return gettext("Signed out by support: %(reason)s", reason=reason), self.where
        if kind == ActorKind.USER and self.details.get("end_reason") == EndReason.ENDED_FROM_ALERT_EMAIL:
            return self._opening(session_ended_for(EndReason.ENDED_FROM_ALERT_EMAIL, self.where)), None
        if kind == ActorKind.USER:
            if self.for_staff:
                return gettext("The user signed out %(session)s", session=self.where), None
            return gettext("You signed out %(session)s", session=self.where), None
        return self._opening(session_ended_for(self.details.get("end_reason"), self.where)), None

    def _session_limit_evicted(self) -> tuple[str, str | None]:
        return self._opening(session_ended_for(EndReason.SESSION_LIMIT, self.where)), None

    def _refresh_token_reused(self) -> tuple[str, str | None]:
        return gettext("An app's sign-in was ended because an old token was used again"), self.where

    def _other_sessions_revoked(self) -> tuple[str, str | None]:
        email, count, reason = self.staff_email, self.count, self.event.reason
        if self.event.actor_kind == ActorKind.STAFF:
            if email:
                sentence = gettext("Other sessions signed out by support (%(email)s): %(reason)s",
                                   email=email, reason=reason)
            else:
                sentence = gettext("Other sessions signed out by support: %(reason)s", reason=reason)
        elif self.event.actor_kind == ActorKind.USER:
            if self.for_staff:
                sentence = ngettext("The user signed out %(num)d other session",
                                    "The user signed out %(num)d other sessions", count)
            else:
                sentence = ngettext("You signed out %(num)d other session", "You signed out %(num)d other sessions",
                                    count)
        else:
            sentence = others_ended_for(self.details.get("end_reason"), count)
        return sentence, self._listed_sessions()

    def _all_sessions_revoked(self) -> tuple[str, str | None]:
        email, count, reason = self.staff_email, self.count, self.event.reason
        if self.event.actor_kind == ActorKind.STAFF:
            if email:
                sentence = gettext("All sessions signed out by support (%(email)s): %(reason)s",
                                   email=email, reason=reason)
            else:
                sentence = gettext("All sessions signed out by support: %(reason)s", reason=reason)
        elif self.event.actor_kind == ActorKind.USER:
            if self.for_staff:
                sentence = ngettext("The user signed out everywhere (%(num)d session)",
                                    "The user signed out everywhere (%(num)d sessions)", count)
            else:
                sentence = ngettext("You signed out everywhere (%(num)d session)",
                                    "You signed out everywhere (%(num)d sessions)", count)
        else:
            sentence = all_ended_for(self.details.get("end_reason"), count)
        return sentence, self._listed_sessions()

    def _password_changed(self) -> tuple[str, str | None]:
        note = self.where if self.seen.device else None
        if self.for_staff:
            return gettext("The user changed the password"), note
        return gettext("You changed the password"), note

    def _role_changed(self) -> tuple[str, str | None]:
        old, new = _role(self.details.get("from", "?")), _role(self.details.get("to", "?"))
        return gettext("Account role changed from %(old)s to %(new)s", old=old, new=new), None

    def _session_moved(self) -> tuple[str, str | None]:
        old, new = _moved_place(self.details.get("from")), _moved_place(self.details.get("to"))
        return gettext("This session moved from %(old)s to %(new)s", old=old, new=new), None

    def _organisation_changed(self) -> tuple[str, str | None]:
        # Organisations' names are names: shown as they were given, never translated.
        old, new = self.details.get("from"), self.details.get("to") or "?"
        if old:
            return gettext("Account moved from the organisation %(old)s to %(new)s", old=old, new=new), None
        return gettext("Account added to the organisation %(new)s", new=new), None

    def _staff_revealed_ip(self) -> tuple[str, str | None]:
        email, reason = self.staff_email, self.event.reason
        if email:
            return gettext("Support (%(email)s) looked at the full IP address of %(session)s: %(reason)s",
                           email=email, session=self.where, reason=reason), None
        return gettext("Support looked at the full IP address of %(session)s: %(reason)s",
                       session=self.where, reason=reason), None

    def _staff_viewed_sessions(self) -> tuple[str, str | None]:
        email = self.staff_email
        if email:
            return gettext("Support (%(email)s) viewed this account's sessions", email=email), None
        return gettext("Support viewed this account's sessions"), None


def _moved_place(facts: Any) -> str:
    """"Lagos, Nigeria", in the reader's language: one end of a session's move."""
    if not isinstance(facts, Mapping):
        return "?"
    return place_name(facts.get("country"), facts.get("city"), facts.get("places")) or "?"
