"""Which sessions are one device: the devices page shows each device once, with its sessions.

A device is told by its known device (the browser's device cookie, an app's
``device_id``: ``ActiveSession.known_device_id``) when the session has one, so
one browser's sessions are one entry wherever they were used from; a session
without one, by what it says of itself and where it is: the same device type,
browser, operating system (versions aside: a browser updates) and place.
"""

import re
import uuid
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from app.services.sessions.reads import ActiveSession

_TRAILING_VERSION = re.compile(r"\s+\d[\w.]*$")

DeviceKey = tuple[str, ...]


def _family(name: str | None) -> str:
    """"Chrome 120" -> "chrome": sessions of one browser across its updates are one device."""
    return _TRAILING_VERSION.sub("", name).casefold() if name else ""


def device_key(session: ActiveSession, known_device_id: int | None = None) -> DeviceKey:
    """What makes sessions one device: its known device's id (given, else the session's), else its kind,
    browser, system and place."""
    if known_device_id is None:
        known_device_id = session.known_device_id
    if known_device_id is not None:
        return ("known", str(known_device_id))
    return ("like", session.kind, session.device_type, _family(session.browser), _family(session.os),
            session.country or "", session.city or "")


class DeviceGroup(NamedTuple):
    """One device and its sessions, most recently active first."""

    key: DeviceKey
    sessions: Sequence[ActiveSession]
    is_this_device: bool

    @property
    def known_device_id(self) -> int | None:
        """The known device these sessions are, when they are one (a name can be given to it)."""
        return self.sessions[0].known_device_id if self.key[0] == "known" else None

    @property
    def name(self) -> str | None:
        """What its owner calls this device ("Work laptop"), when they named it."""
        return self.sessions[0].device_name if self.key[0] == "known" else None


def group_by_device(sessions: Iterable[ActiveSession], *, this_session_id: uuid.UUID | None,
                    known_device_ids: dict[uuid.UUID, int] | None = None) -> list[DeviceGroup]:
    """Sessions (most recently active first) as devices: this device first, the rest as they were ordered.

    Each session's own ``known_device_id`` groups it; ``known_device_ids`` (a session's id to its known
    device's) overrides it for the sessions it names.
    """
    known = known_device_ids or {}
    grouped: dict[DeviceKey, list[ActiveSession]] = {}
    for session in sessions:
        grouped.setdefault(device_key(session, known.get(session.id)), []).append(session)
    groups = [DeviceGroup(key, members, any(s.id == this_session_id for s in members))
              for key, members in grouped.items()]
    groups.sort(key=lambda group: not group.is_this_device)  # stable: keeps recency order
    return groups
