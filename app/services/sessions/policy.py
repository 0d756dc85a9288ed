"""How long sessions last, how often activity is recorded, and how many an account may hold."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    idle_timeout: timedelta
    absolute_lifetime: timedelta
    touch_interval: timedelta
    max_sessions_per_user: int
    ended_retention: timedelta
    reauthentication_window: timedelta
    # How long an app's access token works before the app must use its refresh token.
    access_token_lifetime: timedelta = timedelta(minutes=15)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "SessionPolicy":
        return cls(
            idle_timeout=timedelta(seconds=config["SESSION_IDLE_TIMEOUT"]),
            absolute_lifetime=timedelta(seconds=config["SESSION_ABSOLUTE_LIFETIME"]),
            touch_interval=timedelta(seconds=config["SESSION_TOUCH_INTERVAL"]),
            max_sessions_per_user=config["MAX_SESSIONS_PER_USER"],
            ended_retention=timedelta(seconds=config["ENDED_SESSION_RETENTION"]),
            reauthentication_window=timedelta(seconds=config["REAUTHENTICATION_WINDOW"]),
            access_token_lifetime=timedelta(seconds=config["ACCESS_TOKEN_LIFETIME"]),
        )

    def expiry(self, *, created_at: datetime, active_at: datetime) -> datetime:
        """Idle expiry slides with activity but never passes the absolute lifetime."""
        return min(active_at + self.idle_timeout, created_at + self.absolute_lifetime)

    def access_expiry(self, *, issued_at: datetime, session_expires_at: datetime) -> datetime:
        """An access token outlives neither its lifetime nor its session."""
        return min(issued_at + self.access_token_lifetime, session_expires_at)

    def cookie_expiry(self, created_at: datetime) -> datetime:
        """The browser may keep the cookie for the absolute lifetime; the
        server decides on every request whether it still opens a session."""
        return created_at + self.absolute_lifetime
