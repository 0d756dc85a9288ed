"""The clock that services read, so tests can move time without sleeping."""

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """Wall-clock UTC time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that stands still until told to move.

    Tests step through timeouts with it, the demo loader sets it to each
    moment of the demo's made-up past, and a benchmark steps it over the
    touch interval.
    """

    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> None:
        """Move forward by ``timedelta(**delta)``, e.g. ``advance(minutes=5)``."""
        self._now += timedelta(**delta)

    def move_to(self, moment: datetime) -> None:
        self._now = moment
