"""Devices and places in words: "Chrome on macOS", "Madrid, Spain", "on a local network".

The facts come from ``app.services.enrichment`` (browser, OS, device,
country, city, and whether an address is local); the words are chosen here,
in the reader's language. Places are named from what was stored at sign-in:
the English names of the columns and, under ``places``, the names in the
other languages; never from a GeoIP lookup while a page renders.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l

from app.languages import DEFAULT_LANGUAGE
from app.services.enrichment import (
    BROWSER_NAMES,
    OS_NAMES,
    RECOGNISED_BROWSERS,
    RECOGNISED_DEVICES,
    RECOGNISED_SYSTEMS,
    PlaceNames,
    is_local_address,
)

UNKNOWN_BROWSER = _l("Unknown browser")
UNKNOWN_PLACE = _l("Unknown location")
LOCAL_NETWORK = _l("Local network")

# The English words older events stored in their device_summary and place columns.
_STORED_UNKNOWN_BROWSER = "Unknown browser"
_STORED_UNKNOWN_PLACE = "Unknown location"
_STORED_LOCAL_NETWORK = "Local network"

_TRAILING_VERSION = re.compile(r"\s+\d[\w.]*$")


def strip_version(name: str | None) -> str | None:
    """Drop a trailing version: "Chrome 120" -> "Chrome"; "Windows XP" stays."""
    return _TRAILING_VERSION.sub("", name) if name else name


def on_system(name: str, system: str) -> str:
    """"Chrome 120 on macOS 10.15", "Chrome 120 en macOS 10.15": a browser (or an app) on a system or device."""
    return gettext("%(browser)s on %(system)s", browser=name, system=system)


def device_summary(browser: str | None, os: str | None, device: str | None, *,
                   versions: bool = True) -> str:
    """"Chrome 120 on macOS 10.15", "Safari on iPhone" (``versions=False``), "Unknown browser on Linux"."""
    if not versions:
        browser, os = strip_version(browser), strip_version(os)
    where = device or os  # "on iPhone" says more than "on iOS 17.1"
    if browser and where:
        return on_system(browser, where)
    if browser:
        return browser
    if where:
        return gettext("Unknown browser on %(system)s", system=where)
    return str(UNKNOWN_BROWSER)


def device_in_full(browser: str | None, os: str | None, device: str | None) -> str:
    """Browser, system and hardware, as a mail names what signed in: "Safari 17 on iOS 17.1 · iPhone",
    "Chrome 120 on macOS 10.15" (a computer's hardware has no name of its own)."""
    summary = device_summary(browser, os, None)
    return f"{summary} · {device}" if device else summary


def _device_in_sentence(browser: str | None, os: str | None, device: str | None) -> tuple[str, bool]:
    """A device inside a sentence, and whether those are Doorman's words ("an unknown browser") rather than names."""
    browser, os = strip_version(browser), strip_version(os)
    where = device or os
    if browser:
        return (on_system(browser, where) if where else browser), False
    if where:
        return gettext("an unknown browser on %(system)s", system=where), True
    return gettext("an unknown browser"), True


_SHOWN_BROWSERS = frozenset(BROWSER_NAMES.get(f, f) for f in RECOGNISED_BROWSERS) | {_STORED_UNKNOWN_BROWSER}
_SHOWN_WHERE = frozenset(OS_NAMES.get(f, f) for f in RECOGNISED_SYSTEMS) | RECOGNISED_DEVICES


def is_recognised_summary(summary: str | None) -> bool:
    """Whether a device summary older events stored (English words) is made of recognised names only."""
    if not summary:
        return False
    browser, _, where = summary.partition(" on ")
    return browser in _SHOWN_BROWSERS and (not where or where in _SHOWN_WHERE)


def reader_language() -> str:
    """The language of the page being rendered ("es"), or English outside a request's choice."""
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LANGUAGE


def local_names(country: str | None, city: str | None,
                places: PlaceNames | None) -> tuple[str | None, str | None]:
    """(country, city) in the reader's language where stored names have it, else the English columns."""
    names = (places or {}).get(reader_language()) or {}
    return names.get("country") or country, names.get("city") or city


def place_name(country: str | None, city: str | None, places: PlaceNames | None = None) -> str | None:
    """"Madrid, Spain", "Madrid, España", "Spain", or None when neither is known."""
    country, city = local_names(country, city, places)
    if city and country:
        return f"{city}, {country}"
    return country or city or None  # a bare city is rare, but still better than "unknown"


def place_label(country: str | None, city: str | None, ip: str | None, places: PlaceNames | None = None) -> str:
    """"Madrid, Spain", "Local network" or "Unknown location", in the reader's language."""
    named = place_name(country, city, places)
    if named:
        return named
    return str(LOCAL_NETWORK) if is_local_address(ip) else str(UNKNOWN_PLACE)


@dataclass(frozen=True, slots=True)
class Seen:
    """Where something happened, as a sentence needs it: the device's words and the place's.

    ``device`` is None when nothing is known of it; ``in_sentence`` is how
    the device reads inside a sentence ("an unknown device"), and ``own_words``
    says those are Doorman's words, not a name, so they may take a capital.
    ``place`` is None when the place is unknown, and ``local`` says the
    address was on a local network.
    """

    device: str | None
    place: str | None
    local: bool
    in_sentence: str
    own_words: bool

    @property
    def origin(self) -> str:
        """After "from": "Madrid, Spain", "a local network" or "an unknown location"."""
        if self.place:
            return self.place
        return gettext("a local network") if self.local else gettext("an unknown location")

    @property
    def phrase(self) -> str:
        """"Safari on iPhone in Valencia, Spain": a device and place that read inside a sentence."""
        if self.place:
            return gettext("%(device)s in %(place)s", device=self.in_sentence, place=self.place)
        if self.local:
            return gettext("%(device)s on a local network", device=self.in_sentence)
        return self.in_sentence


def _unknown_device() -> str:
    return gettext("an unknown device")


_FACTS = ("browser", "os", "device", "country", "city")


def seen_from_facts(facts: Mapping[str, Any], ip: str | None, *, unknown_device: bool = False) -> Seen:
    """From stored facts (browser, os, device, country, city, places) and the address.

    ``unknown_device``: no facts at all mean an unknown device (a failed
    sign-in keeps recognised names only) rather than an unknown browser.
    """
    browser, os, device = facts.get("browser"), facts.get("os"), facts.get("device")
    if unknown_device and not (browser or os or device):
        words, in_sentence, own = None, _unknown_device(), True
    else:
        words = device_summary(browser, os, device, versions=False)
        in_sentence, own = _device_in_sentence(browser, os, device)
    named = place_name(facts.get("country"), facts.get("city"), facts.get("places"))
    return Seen(words, named, named is None and is_local_address(ip), in_sentence, own)


def seen_from_words(device: str | None, place: str | None) -> Seen:
    """From the device summary and place label older events stored as (English) text, shown as stored."""
    local = place == _STORED_LOCAL_NETWORK
    named = None if place in (_STORED_LOCAL_NETWORK, _STORED_UNKNOWN_PLACE) else (place or None)
    in_sentence, own = _stored_device_in_sentence(device or None)
    return Seen(device or None, named, local, in_sentence, own)


def _stored_device_in_sentence(device: str | None) -> tuple[str, bool]:
    """Stored words inside a sentence; Doorman's own stored words ("Unknown browser on Linux") are translated."""
    if not device:
        return _unknown_device(), True
    if device == _STORED_UNKNOWN_BROWSER:
        return gettext("an unknown browser"), True
    prefix = f"{_STORED_UNKNOWN_BROWSER} on "
    if device.startswith(prefix):
        return gettext("an unknown browser on %(system)s", system=device[len(prefix):]), True
    return device, False


def seen_in(stored: Mapping[str, Any] | None, *, unknown_device: bool = False) -> Seen:
    """A snapshot kept in an event's details ("from", an entry of "sessions"): facts or older words."""
    if not stored:
        return Seen(None, None, False, _unknown_device(), True)
    if "place" in stored:
        return seen_from_words(stored.get("device"), stored.get("place"))
    return seen_from_facts(stored, stored.get("ip_address"), unknown_device=unknown_device)


def seen_of_row(row: Any) -> Seen:
    """A session row (or ENDED_COLUMNS row) in the words of the activity page."""
    facts = {name: getattr(row, name, None) for name in (*_FACTS, "places")}
    return seen_from_facts(facts, getattr(row, "ip_address", None))


def device_phrase(device: str | None) -> str:
    """A stored device summary that reads inside a sentence: "an unknown browser on Linux"."""
    return _stored_device_in_sentence(device)[0]

