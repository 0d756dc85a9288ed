"""Devices and places in words: "Chrome on macOS", "Madrid, Spain", "on a local network".

The facts come from ``app.services.enrichment`` (browser, OS, device,
country, city, and whether an address is local); the words are chosen here.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.services.enrichment import (
    BROWSER_NAMES,
    OS_NAMES,
    RECOGNISED_BROWSERS,
    RECOGNISED_DEVICES,
    RECOGNISED_SYSTEMS,
    is_local_address,
)

UNKNOWN_BROWSER = "Unknown browser"
UNKNOWN_PLACE = "Unknown location"
LOCAL_NETWORK = "Local network"

_TRAILING_VERSION = re.compile(r"\s+\d[\w.]*$")


def strip_version(name: str | None) -> str | None:
    """Drop a trailing version: "Chrome 120" -> "Chrome"; "Windows XP" stays."""
    return _TRAILING_VERSION.sub("", name) if name else name


def device_summary(browser: str | None, os: str | None, device: str | None, *,
                   versions: bool = True) -> str:
    """"Chrome 120 on macOS 10.15", "Safari on iPhone" (``versions=False``), "Unknown browser on Linux"."""
    if not versions:
        browser, os = strip_version(browser), strip_version(os)
    where = device or os  # "on iPhone" says more than "on iOS 17.1"
    if browser and where:
        return f"{browser} on {where}"
    if browser:
        return browser
    if where:
        return f"{UNKNOWN_BROWSER} on {where}"
    return UNKNOWN_BROWSER


_SHOWN_BROWSERS = frozenset(BROWSER_NAMES.get(f, f) for f in RECOGNISED_BROWSERS) | {UNKNOWN_BROWSER}
_SHOWN_WHERE = frozenset(OS_NAMES.get(f, f) for f in RECOGNISED_SYSTEMS) | RECOGNISED_DEVICES


def is_recognised_summary(summary: str | None) -> bool:
    """Whether a ``device_summary(..., versions=False)`` is made of recognised names only."""
    if not summary:
        return False
    browser, _, where = summary.partition(" on ")
    return browser in _SHOWN_BROWSERS and (not where or where in _SHOWN_WHERE)


def place_name(country: str | None, city: str | None) -> str | None:
    """"Madrid, Spain", "Spain", or None when neither is known."""
    if city and country:
        return f"{city}, {country}"
    return country or city or None  # a bare city is rare, but still better than "unknown"


def place_label(country: str | None, city: str | None, ip: str | None) -> str:
    """"Madrid, Spain", "Local network" or "Unknown location"."""
    named = place_name(country, city)
    if named:
        return named
    return LOCAL_NETWORK if is_local_address(ip) else UNKNOWN_PLACE


@dataclass(frozen=True, slots=True)
class Seen:
    """Where something happened, as a sentence needs it: the device's words and the place's.

    ``device`` is None when nothing is known of it; ``place`` is None when the
    place is unknown, and ``local`` says the address was on a local network.
    """

    device: str | None
    place: str | None
    local: bool

    @property
    def place_phrase(self) -> str:
        """" in Madrid, Spain", " on a local network", or nothing when the place is unknown."""
        if self.place:
            return f" in {self.place}"
        return " on a local network" if self.local else ""

    @property
    def origin(self) -> str:
        """After "from": "Madrid, Spain", "a local network" or "an unknown location"."""
        if self.place:
            return self.place
        return "a local network" if self.local else "an unknown location"

    @property
    def phrase(self) -> str:
        """"Safari on iPhone in Valencia, Spain": a device and place that read inside a sentence."""
        return device_phrase(self.device) + self.place_phrase


NOWHERE_SEEN = Seen(None, None, False)

# Words older events stored in place of the facts: read back as what they meant.
_STORED_PLACE_WORDS = {UNKNOWN_PLACE: (None, False), LOCAL_NETWORK: (None, True)}
_FACTS = ("browser", "os", "device", "country", "city")


def seen_from_facts(facts: Mapping[str, Any], ip: str | None, *, unknown_device: bool = False) -> Seen:
    """From stored facts (browser, os, device, country, city) and the address.

    ``unknown_device``: no facts at all mean an unknown device (a failed
    sign-in keeps recognised names only) rather than an unknown browser.
    """
    browser, os, device = facts.get("browser"), facts.get("os"), facts.get("device")
    if unknown_device and not (browser or os or device):
        words = None
    else:
        words = device_summary(browser, os, device, versions=False)
    named = place_name(facts.get("country"), facts.get("city"))
    return Seen(words, named, named is None and is_local_address(ip))


def seen_from_words(device: str | None, place: str | None) -> Seen:
    """From the device summary and place label older events stored as text."""
    named, local = _STORED_PLACE_WORDS.get(place or "", (place or None, False))
    return Seen(device or None, named, local)


def seen_in(stored: Mapping[str, Any] | None, *, unknown_device: bool = False) -> Seen:
    """A snapshot kept in an event's details ("from", an entry of "sessions"): facts or older words."""
    if not stored:
        return NOWHERE_SEEN
    if "place" in stored:
        return seen_from_words(stored.get("device"), stored.get("place"))
    return seen_from_facts(stored, stored.get("ip_address"), unknown_device=unknown_device)


def seen_of_row(row: Any) -> Seen:
    """A session row (or ENDED_COLUMNS row) in the words of the activity page."""
    facts = {name: getattr(row, name, None) for name in _FACTS}
    return seen_from_facts(facts, getattr(row, "ip_address", None))


def device_phrase(device: str | None) -> str:
    """A device summary that reads inside a sentence: "an unknown browser on Linux"."""
    if not device:
        return "an unknown device"
    if device.startswith(UNKNOWN_BROWSER):
        return "an unknown browser" + device[len(UNKNOWN_BROWSER):]
    return device


def place_phrase(place: str | None) -> str:
    """A stored place label inside a sentence: " in Madrid, Spain", " on a local network", or nothing."""
    return seen_from_words(None, place).place_phrase


def where_phrase(device: str | None, place: str | None) -> str:
    """Stored device and place words inside a sentence."""
    return seen_from_words(device, place).phrase
