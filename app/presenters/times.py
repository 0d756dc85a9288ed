"""One way to show a moment on every page, in the reader's language and time zone.

A label ("3 Nov 2026, 10:00 CET"), an exact title with the zone's full name
and an ISO instant for ``<time datetime>``. Babel formats them in the locale
and zone app.i18n chose for this request (or the ones a ``force_locale``
block sets), so they need an application context. Every absolute time names
its zone.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask_babel import format_datetime, format_timedelta, get_timezone, gettext, ngettext

LABEL_FORMAT = "d MMM y, HH:mm z"
EXACT_FORMAT = "d MMM y, HH:mm:ss zzzz"
DATE_FORMAT = "d MMM y"


@dataclass(frozen=True, slots=True)
class Moment:
    """A UTC instant as a page shows it."""

    at: datetime

    @property
    def utc(self) -> datetime:
        return self.at.astimezone(UTC)

    @property
    def iso(self) -> str:
        """For ``<time datetime>``: "2026-11-03T09:00:05+00:00" (an instant: no zone to translate)."""
        return self.utc.isoformat()

    @property
    def exact(self) -> str:
        """For a ``title``: "3 Nov 2026, 10:00:05 Central European Standard Time"."""
        return format_datetime(self.utc, EXACT_FORMAT)

    @property
    def label(self) -> str:
        """Shown: "3 Nov 2026, 10:00 CET", "3 nov 2026, 10:00 CET"."""
        return format_datetime(self.utc, LABEL_FORMAT)

    def ago(self, now: datetime) -> str:
        return time_ago(self.at, now)


def moment(at: datetime) -> Moment:
    return Moment(at)


def short_date(at: datetime) -> str:
    """"3 Nov 2026", "3 nov 2026": the date in the reader's zone."""
    return format_datetime(at.astimezone(UTC), DATE_FORMAT)


def _local_day(at: datetime) -> date:
    return at.astimezone(get_timezone()).date()


def time_ago(at: datetime, now: datetime) -> str:
    """"just now", "5 minutes ago", "3 hours ago", "yesterday", "3 days ago", then a date.

    Days are the reader's: "yesterday" is the day before today in their zone.
    """
    elapsed = max(now - at, timedelta(0))
    if elapsed < timedelta(minutes=1):
        return gettext("just now")
    if elapsed < timedelta(hours=1):
        return _ago(elapsed // timedelta(minutes=1), "minute")
    days = (_local_day(now) - _local_day(at)).days
    if days < 1:
        return _ago(elapsed // timedelta(hours=1), "hour")
    if days == 1:
        return gettext("yesterday")
    if elapsed < timedelta(days=30):
        return _ago(days, "day")
    return gettext("on %(date)s", date=short_date(at))


_UNIT = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}


def _ago(count: int, unit: str) -> str:
    """"5 minutes ago", "hace 5 minutos": Babel's words for ``count`` whole ``unit``s in the past."""
    return format_timedelta(-count * _UNIT[unit], granularity=unit, threshold=1000, add_direction=True)


def exact_time(at: datetime) -> str:
    """The title of every ``<time>``."""
    return Moment(at).exact


def minutes_to_wait(minutes: int) -> str:
    """"a minute", "5 minutes": how long until something may be tried again."""
    if minutes == 1:
        return gettext("a minute")
    return ngettext("%(num)d minute", "%(num)d minutes", minutes)
