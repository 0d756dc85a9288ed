"""Turn a request's User-Agent and IP address into what a session row stores.

User-Agent parsing is cached (by the cleaned string) because ua-parser runs a
few hundred regular expressions per string, while a real deployment sees the
same handful of browser strings over and over: every sign-in and every
session-list render would otherwise pay for the whole regex table again.

GeoIP failures are swallowed on purpose. Location is decoration for the
sessions page; a missing, stale or corrupt database file, or an address the
database does not know, must never turn a sign-in into a 500. The locator logs
one warning per broken database and then answers "unknown" for every lookup.
"""

from __future__ import annotations

import functools
import importlib.util
import ipaddress
import itertools
import logging
import os
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import geoip2.database
import geoip2.errors
import user_agents

from app.models import DeviceType
from app.models.user_session import USER_AGENT_MAX_LENGTH

ENGLISH = "en"  # the language of the country and city columns
# The key of a session's ``extra`` (its ``metadata`` column) that holds its place's other names.
PLACES_KEY = "places"

_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")

# ua-parser reports the build flavour of a browser; users know the browser.
BROWSER_NAMES = {
    "Mobile Safari": "Safari",
    "Mobile Safari UI/WKWebView": "iOS WebView",
    "Chrome Mobile": "Chrome",
    "Chrome Mobile iOS": "Chrome",
    "Chrome Mobile WebView": "Android WebView",
    "Firefox Mobile": "Firefox",
    "Firefox iOS": "Firefox",
    "Edge Mobile": "Edge",
    "Opera Mobile": "Opera",
}
OS_NAMES = {"Mac OS X": "macOS"}

# Placeholders rather than devices. "Mac" is dropped because iPadOS Safari sends
# the Mac UA too, and the OS column already says macOS; "K" is the fixed model
# of Chrome's reduced Android UA.
_NOISE_DEVICES = frozenset({"Other", "Spider", "Mac", "K", "iOS-Device"})

# What Doorman names of a request that proved nothing (a failed sign-in), by
# ua-parser's family names. ua-parser copies many names straight out of the
# User-Agent: every Android device model, the names of bots, apps and some
# systems. Whoever sent the request wrote those, so the account holder is
# shown a name only if it is one of these; equality with a fixed string is
# what makes it Doorman's words rather than the sender's.
RECOGNISED_BROWSERS = frozenset({
    "Chrome", "Chrome Mobile", "Chrome Mobile iOS", "Chrome Mobile WebView", "Chromium", "HeadlessChrome",
    "Firefox", "Firefox Mobile", "Firefox iOS", "Safari", "Mobile Safari", "Mobile Safari UI/WKWebView",
    "Edge", "Edge Mobile", "IE", "IE Mobile", "Opera", "Opera Mobile", "Opera Mini", "Samsung Internet",
    "Brave", "Vivaldi", "Yandex Browser", "UC Browser", "Android", "Amazon Silk", "DuckDuckGo Mobile",
    "Facebook", "Instagram", "Googlebot", "bingbot", "curl", "Wget", "Python Requests", "Go-http-client",
})
RECOGNISED_SYSTEMS = frozenset({
    "Windows", "Windows Phone", "Mac OS X", "iOS", "Android", "Chrome OS", "Linux", "Ubuntu", "Debian",
    "Fedora", "FreeBSD", "HarmonyOS", "KaiOS", "Tizen",
})
# Apple's are the only device names that do not come from the sender's text.
RECOGNISED_DEVICES = frozenset({"iPhone", "iPad", "iPod"})


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    device_type: DeviceType
    browser: str | None
    os: str | None
    device: str | None


def clean_user_agent(user_agent: str | None) -> str:
    """The User-Agent exactly as it is stored: cut to the column's length, no control chars.

    The one place a User-Agent is cut and cleaned; parsing and storing both use this.
    """
    if not user_agent:
        return ""
    return _CONTROL_CHARS.sub("", user_agent[:USER_AGENT_MAX_LENGTH]).strip()


def _name_version(family: str | None, version: tuple[object, ...], parts: int,
                  names: Mapping[str, str]) -> str | None:
    if not family or family == "Other":
        return None
    name = names.get(family, family)
    shown = ".".join(str(v) for v in version[:parts])
    return f"{name} {shown}" if shown else name


def _device_name(family: str | None) -> str | None:
    if not family or family in _NOISE_DEVICES or family.startswith("Generic"):
        return None
    return family


def _device_type(ua: user_agents.parsers.UserAgent) -> DeviceType:
    # curl, Wget, python-requests, Go-http-client... are not crawlers (and
    # crawlers never sign in), so they are not forced to "bot": a scripted
    # sign-in is what an account owner should notice. Only ua.is_bot makes a
    # bot; scripts fall through to "unknown" with the tool as browser ("curl 8").
    if ua.is_bot:
        return DeviceType.BOT
    if ua.is_tablet:
        return DeviceType.TABLET
    if ua.is_mobile:
        return DeviceType.MOBILE
    if ua.is_pc:
        return DeviceType.DESKTOP
    return DeviceType.UNKNOWN


@functools.lru_cache(maxsize=4096)
def _parse_clean(user_agent: str) -> DeviceInfo:
    if not user_agent:
        return DeviceInfo(DeviceType.UNKNOWN, None, None, None)
    ua = user_agents.parse(user_agent)
    return DeviceInfo(
        device_type=_device_type(ua),
        browser=_name_version(ua.browser.family, ua.browser.version, 1, BROWSER_NAMES),
        os=_name_version(ua.os.family, ua.os.version, 2, OS_NAMES),
        device=_device_name(ua.device.family),
    )


def _recognised_name_version(family: str | None, version: tuple[object, ...], parts: int,
                             names: Mapping[str, str], known: frozenset[str]) -> str | None:
    if family not in known:
        return None
    # Versions too can be captured text ("Windows XP" is, harmlessly); keep the numbers.
    numbers = tuple(itertools.takewhile(lambda part: isinstance(part, int), version))
    return _name_version(family, numbers, parts, names)


@functools.lru_cache(maxsize=1024)
def _recognise_clean(user_agent: str) -> DeviceInfo:
    if not user_agent:
        return DeviceInfo(DeviceType.UNKNOWN, None, None, None)
    ua = user_agents.parse(user_agent)
    return DeviceInfo(
        device_type=_device_type(ua),
        browser=_recognised_name_version(ua.browser.family, ua.browser.version, 1, BROWSER_NAMES,
                                         RECOGNISED_BROWSERS),
        os=_recognised_name_version(ua.os.family, ua.os.version, 2, OS_NAMES, RECOGNISED_SYSTEMS),
        device=ua.device.family if ua.device.family in RECOGNISED_DEVICES else None,
    )


def parse_user_agent(user_agent: str | None) -> DeviceInfo:
    """Classify a User-Agent; results are cached by the cleaned string."""
    return _parse_clean(clean_user_agent(user_agent))


parse_user_agent.cache_info = _parse_clean.cache_info  # type: ignore[attr-defined]
parse_user_agent.cache_clear = _parse_clean.cache_clear  # type: ignore[attr-defined]


def recognised_device(user_agent: str | None) -> DeviceInfo:
    """``parse_user_agent`` keeping only recognised names (RECOGNISED_*); the rest is None.

    For requests that proved nothing, whose User-Agent may be any text the
    sender chose. Cached like ``parse_user_agent``.
    """
    return _recognise_clean(clean_user_agent(user_agent))


# {"es": {"country": "Reino Unido", "city": "Londres"}}: a place's names in languages other than English.
PlaceNames = Mapping[str, Mapping[str, str]]
# Longer is no IANA zone, and would not fit ``user_sessions.time_zone``.
_TIME_ZONE_MAX_LENGTH = 64


@dataclass(frozen=True, slots=True)
class Place:
    """Where an address is: English names (what the columns keep), its names in other languages, its zone."""

    country_code: str | None
    country: str | None
    city: str | None
    time_zone: str | None = None
    names: PlaceNames = field(default_factory=dict, hash=False)


_NOWHERE = Place(None, None, None)
_IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _parse_ip(ip: str | None) -> _IPAddress | None:
    if not ip:
        return None
    try:
        addr = ipaddress.ip_address(ip.strip())
    except ValueError:
        return None
    # Dual-stack sockets report IPv4 clients as ::ffff:a.b.c.d; classify and
    # look up the real IPv4 address.
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def _is_local(addr: _IPAddress) -> bool:
    return (addr.is_loopback or addr.is_private or addr.is_link_local
            or addr.is_reserved or addr.is_unspecified)


def is_local_address(ip: str | None) -> bool:
    """Whether ``ip`` is a loopback, private, link-local or reserved address: no place to look up."""
    addr = _parse_ip(ip)
    return addr is not None and _is_local(addr)


def _name_in(names: Mapping[str, str], language: str) -> str | None:
    # "es-ES" is not a MaxMind locale but "es" is; "pt-BR" is.
    for key in (language, language.split("-")[0]):
        if names.get(key):
            return names[key]
    return None


def _names_in(country: Mapping[str, str], city: Mapping[str, str],
              languages: Iterable[str]) -> dict[str, dict[str, str]]:
    """The names the database has in each of ``languages``: only those it has, no English stand-ins."""
    found: dict[str, dict[str, str]] = {}
    for language in languages:
        named = {part: name for part, name in (("country", _name_in(country, language)),
                                                ("city", _name_in(city, language))) if name}
        if named:
            found[language] = named
    return found


def _time_zone(value: str | None) -> str | None:
    return value if value and len(value) <= _TIME_ZONE_MAX_LENGTH else None


def bundled_database_path() -> str:
    """GeoLite2-City.mmdb from maxminddb-geolite2, found without importing it."""
    spec = importlib.util.find_spec("_maxminddb_geolite2")
    if spec is None or not spec.origin:
        raise FileNotFoundError("maxminddb-geolite2 is not installed")
    return os.path.join(os.path.dirname(spec.origin), "GeoLite2-City.mmdb")


class GeoLocator:
    """IP -> Place over one GeoIP2/GeoLite2 City database opened once.

    A place comes with its English names, its names in each of ``languages``
    the database has, and its IANA time zone: stored at sign-in, so that pages
    name it in their reader's language without looking anything up.
    Safe to share between threads: the underlying Reader is.
    """

    def __init__(self, database_path: str | os.PathLike[str] | None, *,
                 languages: Iterable[str] = (), logger: logging.Logger | None = None) -> None:
        self._log = logger or logging.getLogger(__name__)
        self._languages = tuple(language for language in languages if language != ENGLISH)
        self._path = os.fspath(database_path) if database_path is not None else None
        self._reader: geoip2.database.Reader | None = None
        self._warned = False
        self._warn_lock = threading.Lock()
        try:
            self._path = self._path or bundled_database_path()
            self._reader = geoip2.database.Reader(self._path)
        except Exception as exc:  # any failure means "no locations", never a crash
            self._warn_once("GeoIP database %s could not be opened (%s); "
                            "session locations will be unknown", exc)

    def _warn_once(self, message: str, exc: BaseException) -> None:
        with self._warn_lock:
            if self._warned:
                return
            self._warned = True
        # Only the class name: messages from the reader may echo file contents.
        self._log.warning(message, self._path, type(exc).__name__)

    def locate(self, ip: str | None) -> Place:
        addr = _parse_ip(ip)
        if self._reader is None or addr is None or _is_local(addr) or addr.is_multicast:
            return _NOWHERE
        try:
            response = self._reader.city(addr)
        except geoip2.errors.AddressNotFoundError:
            return _NOWHERE
        except Exception as exc:  # corrupt tree/data surfaces only at lookup time
            self._warn_once("GeoIP database %s failed a lookup (%s); "
                            "treating locations as unknown", exc)
            return _NOWHERE
        country, city = response.country.names, response.city.names
        return Place(
            country_code=response.country.iso_code,
            country=_name_in(country, ENGLISH),
            city=_name_in(city, ENGLISH),
            time_zone=_time_zone(response.location.time_zone),
            names=_names_in(country, city, self._languages),
        )

    @property
    def loaded(self) -> bool:
        """Whether a database is open (lookups may still find nothing)."""
        return self._reader is not None

    def build_date(self) -> datetime | None:
        """When the open database was built (its metadata's build epoch), or None with no database."""
        reader = self._reader
        if reader is None:
            return None
        return datetime.fromtimestamp(reader.metadata().build_epoch, UTC)

    def close(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.close()

    def __enter__(self) -> GeoLocator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def describe_client(geo: GeoLocator, user_agent: str | None, ip_address: str | None) -> dict[str, Any]:
    """The session columns that say which device and place a sign-in came from, and its place's zone.

    ``extra`` (the ``metadata`` column) holds the place's names in other
    languages under "places"; callers add their own keys to it.
    """
    device = parse_user_agent(user_agent)
    place = geo.locate(ip_address)
    return {
        "user_agent": clean_user_agent(user_agent) or None,
        "ip_address": ip_address,
        "device_type": device.device_type,
        "browser": device.browser,
        "os": device.os,
        "device": device.device,
        "country_code": place.country_code,
        "country": place.country,
        "city": place.city,
        "time_zone": place.time_zone,
        "extra": {PLACES_KEY: place.names} if place.names else {},
    }
