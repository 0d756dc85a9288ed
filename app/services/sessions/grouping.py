"""Which sessions are one device: the devices page shows each device once, with its sessions.

A device is told by its known-device cookie when the session has one (the
alerts work adds ``known_device_id``); until then, and for a session without
one, by what it says of itself and where it is: the same device type,
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


def device_key(session: ActiveSession, known_device_id: uuid.UUID | None = None) -> DeviceKey:
    """What makes sessions one device: its known-device id when given, else its kind, browser, system and place."""
    if known_device_id is not None:
        return ("known", str(known_device_id))
    return ("like", session.kind, session.device_type, _family(session.browser), _family(session.os),
            session.country or "", session.city or "")


class DeviceGroup(NamedTuple):
    """One device and its sessions, most recently active first."""

    key: DeviceKey
    sessions: Sequence[ActiveSession]
    is_this_device: bool


def group_by_device(sessions: Iterable[ActiveSession], *, this_session_id: uuid.UUID | None,
                    known_device_ids: dict[uuid.UUID, uuid.UUID] | None = None) -> list[DeviceGroup]:
    """Sessions (most recently active first) as devices: this device first, the rest as they were ordered.

    ``known_device_ids`` maps a session's id to its known device's, for the sessions that have one.
    """
    known = known_device_ids or {}
    grouped: dict[DeviceKey, list[ActiveSession]] = {}
    for session in sessions:
        grouped.setdefault(device_key(session, known.get(session.id)), []).append(session)
    groups = [DeviceGroup(key, members, any(s.id == this_session_id for s in members))
              for key, members in grouped.items()]
    groups.sort(key=lambda group: not group.is_this_device)  # stable: keeps recency order
    return groups
