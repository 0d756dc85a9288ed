"""How session rows read on a page: labels and times, from stored columns only."""

from datetime import datetime

from app.models import UserSession
from app.services.enrichment import device_summary, place_label
from app.services.sessions import ActiveSession

SessionRow = ActiveSession | UserSession


def session_title(row: SessionRow) -> str:
    """Browser and OS with versions: "Chrome 120 on macOS 10.15"."""
    return device_summary(row.browser, row.os, None)


def session_place(row: SessionRow) -> str:
    """"Madrid, Spain", "Local network" or "Unknown location"."""
    return place_label(row.country, row.city, row.ip_address)


def session_label(row: SessionRow) -> str:
    """A short name for one session, for buttons and messages: "Safari on iPhone in Valencia"."""
    device = device_summary(row.browser, row.os, row.device, versions=False)
    where = row.city or row.country
    return f"{device} in {where}" if where else device


def short_date(moment: datetime) -> str:
    """"3 Nov 2026"."""
    return f"{moment.day} {moment:%b %Y}"


def time_ago(moment: datetime, now: datetime) -> str:
    """"just now", "5 minutes ago", "yesterday", "3 days ago", then a date."""
    seconds = max((now - moment).total_seconds(), 0)
    minutes, hours, days = int(seconds // 60), int(seconds // 3600), int(seconds // 86400)
    if minutes < 1:
        return "just now"
    if hours < 1:
        return f"{minutes} minute{'s' if minutes != 1 else ''} ago"
    if days < 1:
        return f"{hours} hour{'s' if hours != 1 else ''} ago"
    if days == 1:
        return "yesterday"
    if days < 30:
        return f"{days} days ago"
    return f"on {short_date(moment)}"


def exact_utc(moment: datetime) -> str:
    """The title of a <time>: "2026-11-03 09:00 UTC"."""
    return f"{moment:%Y-%m-%d %H:%M} UTC"

