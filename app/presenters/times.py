"""One way to show a moment on every page: a label, an exact UTC title and ISO for ``<time datetime>``.

Every absolute time names its zone: Doorman shows UTC, the zone it stores.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from app.presenters.plurals import plural


@dataclass(frozen=True, slots=True)
class Moment:
    """A UTC instant as a page shows it."""

    at: datetime

    @property
    def utc(self) -> datetime:
        return self.at.astimezone(UTC)

    @property
    def iso(self) -> str:
        """For ``<time datetime>``: "2026-11-03T09:00:05+00:00"."""
        return self.utc.isoformat()

    @property
    def exact(self) -> str:
        """For a ``title``: "2026-11-03 09:00:05 UTC"."""
        return self.utc.strftime("%Y-%m-%d %H:%M:%S UTC")

    @property
    def label(self) -> str:
        """Shown: "3 Nov 2026, 09:00 UTC"."""
        return f"{short_date(self.utc)}, {self.utc:%H:%M} UTC"

    def ago(self, now: datetime) -> str:
        return time_ago(self.at, now)


def moment(at: datetime) -> Moment:
    return Moment(at)


def short_date(at: datetime) -> str:
    """"3 Nov 2026" (in UTC)."""
    at = at.astimezone(UTC)
    return f"{at.day} {at:%b %Y}"


def time_ago(at: datetime, now: datetime) -> str:
    """"just now", "5 minutes ago", "yesterday", "3 days ago", then a date."""
    seconds = max((now - at).total_seconds(), 0)
    minutes, hours, days = int(seconds // 60), int(seconds // 3600), int(seconds // 86400)
    if minutes < 1:
        return "just now"
    if hours < 1:
        return f"{plural(minutes, 'minute')} ago"
    if days < 1:
        return f"{plural(hours, 'hour')} ago"
    if days == 1:
        return "yesterday"
    if days < 30:
        return f"{plural(days, 'day')} ago"
    return f"on {short_date(at)}"


def exact_utc(at: datetime) -> str:
    """The title of every ``<time>``: "2026-11-03 09:00:05 UTC"."""
    return Moment(at).exact


def minutes_to_wait(minutes: int) -> str:
    """"a minute", "5 minutes": how long until something may be tried again."""
    return "a minute" if minutes == 1 else plural(minutes, "minute")
