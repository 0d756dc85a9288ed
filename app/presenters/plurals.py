"""Counted nouns: the one place a count chooses a word's form, through ``ngettext``.

Each noun has its own pair of messages, so that every language gives it its
own forms (Spanish has three). ``plural(count, noun)`` is the templates'
filter and the command line's: ``{{ total|plural("account") }}``; a noun not
listed here is an error, never an English "s" glued on.
"""

from collections.abc import Callable

from flask_babel import ngettext


def sessions(count: int) -> str:
    """"1 session", "3 sessions"."""
    return ngettext("%(num)d session", "%(num)d sessions", count)


def other_sessions(count: int) -> str:
    """"1 other session", "3 other sessions"."""
    return ngettext("%(num)d other session", "%(num)d other sessions", count)


def accounts(count: int) -> str:
    """"1 account", "3 accounts"."""
    return ngettext("%(num)d account", "%(num)d accounts", count)


def security_events(count: int) -> str:
    """"1 security event", "3 security events"."""
    return ngettext("%(num)d security event", "%(num)d security events", count)


def known_devices(count: int) -> str:
    """"1 known device", "3 known devices"."""
    return ngettext("%(num)d known device", "%(num)d known devices", count)


def mails(count: int) -> str:
    """"1 email", "3 emails"."""
    return ngettext("%(num)d email", "%(num)d emails", count)


_COUNTED: dict[str, Callable[[int], str]] = {
    "session": sessions,
    "other session": other_sessions,
    "account": accounts,
    "security event": security_events,
    "known device": known_devices,
    "email": mails,
}


def plural(count: int, noun: str) -> str:
    """``count`` of ``noun`` ("session", "other session", "account", "security event") in the reader's language."""
    return _COUNTED[noun](count)
