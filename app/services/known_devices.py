"""Telling a new device or country from a known one at sign-in.

A browser carries a device cookie (a random 256-bit value, set only on the
sign-in response); an app may send a ``device_id``. Either is kept only as its
SHA-256, per account. A sign-in is **new** when the account has not seen that
device, or comes from a country it has never signed in from; the caller then
enqueues the alert in the same transaction. Methods flush; the caller commits.
"""

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.clock import Clock
from app.models import KnownCountry, KnownDevice, UserSession
from app.models.known_device import KNOWN_DEVICE_NAME_MAX_LENGTH
from app.services.errors import DeviceNotFound, InvalidDeviceName
from app.services.sessions.tokens import hash_token, is_well_formed_token, new_token


@dataclass(frozen=True)
class Sighting:
    """What a sign-in's device and country were to the account."""

    device: KnownDevice
    new_device: bool
    new_country: bool
    # The browser's device cookie to set: the one it came with, or a new one.
    cookie_value: str | None

    @property
    def is_new(self) -> bool:
        return self.new_device or self.new_country


class KnownDevices:
    """The only code that writes to ``known_devices`` and ``known_countries``."""

    def __init__(self, db: Session, *, clock: Clock, lifetime: timedelta) -> None:
        self._db = db
        self._clock = clock
        self.lifetime = lifetime

    def browser_signed_in(self, session_row: UserSession, cookie_value: str | None) -> Sighting:
        """A browser sign-in, with the device cookie it came with (None or a malformed one: a new device)."""
        value = cookie_value if cookie_value and is_well_formed_token(cookie_value) else new_token()
        sighting = self._sighted(session_row, hash_token(value))
        return Sighting(sighting.device, sighting.new_device, sighting.new_country, value)

    def app_signed_in(self, session_row: UserSession, device_id: str | None) -> Sighting | None:
        """An app sign-in: known by its ``device_id``; None when it sent none (no device to tell apart)."""
        if not device_id:
            return None
        return self._sighted(session_row, hash_token(device_id))

    def _sighted(self, row: UserSession, device_hash: str) -> Sighting:
        now = self._clock.now()
        device = self._db.scalar(
            select(KnownDevice).where(KnownDevice.user_id == row.user_id, KnownDevice.device_hash == device_hash)
        )
        new_device = device is None or device.last_seen_at <= now - self.lifetime
        if device is None:
            device = KnownDevice(user_id=row.user_id, device_hash=device_hash, first_seen_at=now, last_seen_at=now)
            self._db.add(device)
        else:
            device.last_seen_at = now
        new_country = False
        if row.country_code:
            known = self._db.get(KnownCountry, (row.user_id, row.country_code))
            if known is None:
                new_country = True
                self._db.add(KnownCountry(user_id=row.user_id, country_code=row.country_code, first_seen_at=now))
        self._db.flush()
        row.known_device_id = device.id
        self._db.flush()
        return Sighting(device, new_device, new_country, None)

    def is_theirs(self, user_id: int, device_id: int) -> bool:
        """Whether ``device_id`` is one of ``user_id``'s known devices."""
        return self._db.scalar(
            select(KnownDevice.id).where(KnownDevice.id == device_id, KnownDevice.user_id == user_id)
        ) is not None

    def rename(self, user_id: int, device_id: int, name: str | None) -> KnownDevice:
        """Give one of ``user_id``'s devices a name ("Work laptop"), or none (``None`` or blank clears it).

        The name is kept as typed but for the spaces around it: 1 to 40
        characters. Another account's device, or an unknown one, is DeviceNotFound.
        """
        device = self._db.scalar(
            select(KnownDevice).where(KnownDevice.id == device_id, KnownDevice.user_id == user_id)
        )
        if device is None:
            raise DeviceNotFound(str(device_id))
        cleaned = (name or "").strip() or None
        if cleaned is not None and len(cleaned) > KNOWN_DEVICE_NAME_MAX_LENGTH:
            raise InvalidDeviceName(cleaned)
        device.name = cleaned
        self._db.flush()
        return device

    def name_of_session(self, session_id: uuid.UUID) -> str | None:
        """The name its owner gave the device a session was opened from, if any."""
        return self._db.scalar(
            select(KnownDevice.name)
            .join(UserSession, (UserSession.known_device_id == KnownDevice.id)
                  & (UserSession.user_id == KnownDevice.user_id))
            .where(UserSession.id == session_id)
        )

    def names_of_sessions(self, user_id: int, session_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, str]:
        """The named devices of ``user_id``'s sessions among ``session_ids``, in one statement."""
        if not session_ids:
            return {}
        rows = self._db.execute(
            select(UserSession.id, KnownDevice.name)
            .join(KnownDevice, (KnownDevice.id == UserSession.known_device_id)
                  & (KnownDevice.user_id == UserSession.user_id))
            .where(UserSession.user_id == user_id, UserSession.id.in_(list(session_ids)),
                   KnownDevice.name.is_not(None))
        )
        return {session_id: name for session_id, name in rows if name is not None}

    def forget_unseen(self, *, now: datetime | None = None) -> int:
        """Delete the devices not seen for the lifetime (their sessions keep no link to them)."""
        cutoff = (now or self._clock.now()) - self.lifetime
        stale = select(KnownDevice.id).where(KnownDevice.last_seen_at <= cutoff)
        self._db.execute(
            update(UserSession).where(UserSession.known_device_id.in_(stale)).values(known_device_id=None)
            .execution_options(synchronize_session=False)
        )
        result = self._db.execute(
            delete(KnownDevice).where(KnownDevice.last_seen_at <= cutoff).execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)
