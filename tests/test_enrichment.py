"""User-Agent and GeoIP enrichment: no Flask app, no database."""

from __future__ import annotations

import logging
import random
import string
import sys
import time
from pathlib import Path

import geoip2.database
import maxminddb
import pytest

from app.presenters.devices import device_summary, is_recognised_summary, place_label
from app.services.enrichment import (
    DeviceInfo,
    GeoLocator,
    Place,
    bundled_database_path,
    clean_user_agent,
    describe_client,
    parse_user_agent,
    recognised_device,
)
from tests.mmdb import LONDON, city_record, known_place_record, write_city_db
from tests.mmdb import MADRID as MADRID_PLACE

NOWHERE = Place(None, None, None)

JUNK_10K = "".join(random.Random(1234).choice(string.printable[:94] + " ") for _ in range(10_240))

# fmt: off
USER_AGENTS = [
    ("chrome-windows",
     "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
     DeviceInfo("desktop", "Chrome 120", "Windows 10", None)),
    ("chrome-macos",
     "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
     DeviceInfo("desktop", "Chrome 120", "macOS 10.15", None)),
    ("chrome-chromeos",
     "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
     DeviceInfo("desktop", "Chrome 120", "Chrome OS 14541.0", None)),
    ("edge-windows",
     "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
     DeviceInfo("desktop", "Edge 120", "Windows 10", None)),
    ("firefox-linux",
     "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
     DeviceInfo("desktop", "Firefox 121", "Linux", None)),
    ("firefox-ubuntu",
     "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
     DeviceInfo("desktop", "Firefox 121", "Ubuntu", None)),
    ("firefox-windows",
     "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
     DeviceInfo("desktop", "Firefox 121", "Windows 10", None)),
    ("firefox-macos",
     "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.2; rv:121.0) Gecko/20100101 Firefox/121.0",
     DeviceInfo("desktop", "Firefox 121", "macOS 14.2", None)),
    ("safari-macos",
     "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
     DeviceInfo("desktop", "Safari 17", "macOS 10.15", None)),
    ("opera-windows",
     "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36 OPR/105.0.0.0",
     DeviceInfo("desktop", "Opera 105", "Windows 10", None)),
    ("safari-iphone",
     "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1.2 Mobile/15E148 Safari/604.1",
     DeviceInfo("mobile", "Safari 17", "iOS 17.1", "iPhone")),
    ("chrome-iphone-crios",
     "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1",
     DeviceInfo("mobile", "Chrome 120", "iOS 17.2", "iPhone")),
    ("firefox-iphone-fxios",
     "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/121.0 Mobile/15E148 Safari/605.1.15",
     DeviceInfo("mobile", "Firefox 121", "iOS 17.2", "iPhone")),
    ("edge-iphone",
     "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 EdgiOS/120.2210.126 Mobile/15E148 Safari/605.1.15",
     DeviceInfo("mobile", "Edge 120", "iOS 17.2", "iPhone")),
    ("safari-ipad",
     "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
     DeviceInfo("tablet", "Safari 16", "iOS 16.6", "iPad")),
    ("chrome-pixel",
     "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
     DeviceInfo("mobile", "Chrome 120", "Android 14", "Pixel 8")),
    ("chrome-galaxy-s21",
     "Mozilla/5.0 (Linux; Android 13; SM-G991B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
     DeviceInfo("mobile", "Chrome 120", "Android 13", "Samsung SM-G991B")),
    # Chrome's reduced UA always says model "K": a placeholder, not a device.
    ("chrome-android-reduced-ua",
     "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
     DeviceInfo("mobile", "Chrome 120", "Android 10", None)),
    ("edge-android",
     "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36 EdgA/120.0.2210.115",
     DeviceInfo("mobile", "Edge 120", "Android 10", None)),
    ("firefox-android",  # user-agents says "Generic Smartphone": noise, dropped
     "Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0",
     DeviceInfo("mobile", "Firefox 121", "Android 14", None)),
    ("chrome-galaxy-tab-s9",
     "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Safari/537.36",
     DeviceInfo("tablet", "Chrome 120", "Android 13", "SM-X700")),
    ("chrome-galaxy-tab-s7",
     "Mozilla/5.0 (Linux; Android 11; SM-T870) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
     DeviceInfo("tablet", "Chrome 120", "Android 11", "SM-T870")),
    ("samsung-internet",
     "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
     DeviceInfo("mobile", "Samsung Internet 23", "Android 13", "Samsung SM-S918B")),
    ("android-webview",
     "Mozilla/5.0 (Linux; Android 13; SM-G991B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.144 Mobile Safari/537.36",
     DeviceInfo("mobile", "Android WebView 120", "Android 13", "Samsung SM-G991B")),
    ("facebook-in-app-ios",
     "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/444.0.0.41.108;FBBV/546542004;FBDV/iPhone15,2;FBMD/iPhone;FBSN/iOS;FBSV/17.1.2;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5]",
     DeviceInfo("mobile", "Facebook 444", "iOS 17.1", "iPhone")),
    ("instagram-in-app-ios",
     "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 309.1.1.28.108 (iPhone15,2; iOS 17_1; en_US; en; scale=3.00; 1179x2556; 537288532)",
     DeviceInfo("mobile", "Instagram 309", "iOS 17.1", "iPhone")),
    ("ios-wkwebview",
     "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
     DeviceInfo("mobile", "iOS WebView", "iOS 17.1", "iPhone")),
    ("googlebot",
     "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
     DeviceInfo("bot", "Googlebot 2", None, None)),
    ("googlebot-smartphone",
     "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.216 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
     DeviceInfo("bot", "Googlebot 2", "Android 6.0", None)),
    ("bingbot",
     "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
     DeviceInfo("bot", "bingbot 2", None, None)),
    # Scripted clients are not crawlers: "unknown", with the tool's name kept.
    ("curl", "curl/8.4.0", DeviceInfo("unknown", "curl 8", None, None)),
    ("python-requests", "python-requests/2.31.0", DeviceInfo("unknown", "Python Requests 2", None, None)),
    ("wget", "Wget/1.21.4", DeviceInfo("unknown", "Wget 1", None, None)),
    ("go-http-client", "Go-http-client/1.1", DeviceInfo("unknown", "Go-http-client 1", None, None)),
    ("empty", "", DeviceInfo("unknown", None, None, None)),
    ("garbage", "!!!@@@", DeviceInfo("unknown", None, None, None)),
    ("junk-10k", JUNK_10K, DeviceInfo("unknown", None, None, None)),
]
# fmt: on


@pytest.mark.parametrize(("user_agent", "expected"), [(ua, exp) for _, ua, exp in USER_AGENTS],
                         ids=[name for name, _, _ in USER_AGENTS])
def test_parse_user_agent(user_agent: str, expected: DeviceInfo) -> None:
    assert parse_user_agent(user_agent) == expected


def test_none_user_agent_is_unknown() -> None:
    assert parse_user_agent(None) == DeviceInfo("unknown", None, None, None)


def test_results_are_cached_by_cleaned_string() -> None:
    ua = "Mozilla/5.0 (X11; Linux x86_64; rv:99.0) Gecko/20100101 Firefox/99.0 cache-test"
    first = parse_user_agent(ua)
    hits = parse_user_agent.cache_info().hits
    assert parse_user_agent(ua) is first
    assert parse_user_agent(ua + "\r\n") is first  # same cleaned key, same entry
    assert parse_user_agent.cache_info().hits == hits + 2
    assert parse_user_agent.cache_info().maxsize == 4096


@pytest.mark.parametrize(("user_agent", "device"), [
    ("Mozilla/5.0 (Linux; Android 13; SM-\r\nG991B) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/120.0.6099.144 Mobile Safari/537.36", "Samsung SM-G991B"),
    ("Mozilla/5.0 (Linux; Android 13; SM-G991B\r\nSet-Cookie: x=1) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/120.0.6099.144 Mobile Safari/537.36", "SM-G991BSet-Cookie: x=1"),
    ("Mozilla/5.0 (Linux; Android 14; Pixel\t8\x00) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/120.0.6099.144 Mobile Safari/537.36", "Pixel8"),
])
def test_control_characters_never_reach_fields(user_agent: str, device: str) -> None:
    info = parse_user_agent(user_agent)
    assert info.device == device
    for value in (info.device_type, info.browser, info.os, info.device):
        assert value is None or all(ord(ch) >= 32 and ch != "\x7f" for ch in value), value


def test_control_characters_in_browser_token() -> None:
    assert parse_user_agent("Mozilla/5.0 (compatible; Bad\nBot/1.0; +http://x)").browser == "BadBot 1"


def test_user_agent_is_truncated_before_parsing() -> None:
    assert clean_user_agent(JUNK_10K) == JUNK_10K[:512].strip()
    assert len(clean_user_agent("a" * 10_000)) == 512
    # The only browser token sits past character 512, so it must not be seen.
    assert parse_user_agent("Mozilla/5.0 " + "a" * 600 + " Firefox/121.0").browser is None


def test_junk_is_fast() -> None:
    start = time.perf_counter()
    for i in range(20):  # distinct strings, so the cache cannot help
        parse_user_agent(f"{i}{JUNK_10K}")
    assert time.perf_counter() - start < 2.0


# --- what a request that proved nothing is shown as ---------------------------


@pytest.mark.parametrize(("user_agent", "expected"), [(ua, exp) for _, ua, exp in USER_AGENTS],
                         ids=[name for name, _, _ in USER_AGENTS])
def test_recognised_device_names_real_browsers_and_systems_as_parse_does(user_agent: str,
                                                                         expected: DeviceInfo) -> None:
    # Only Apple's device names survive: every other model is the sender's text.
    apple = expected.device if expected.device in ("iPhone", "iPad") else None
    assert recognised_device(user_agent) == DeviceInfo(expected.device_type, expected.browser, expected.os, apple)


ANDROID_CHROME_WITH = ("Mozilla/5.0 (Linux; Android 14; {}) AppleWebKit/537.36 (KHTML, like Gecko) "
                       "Chrome/120.0.0.0 Mobile Safari/537.36")


@pytest.mark.parametrize(("user_agent", "expected"), [
    (ANDROID_CHROME_WITH.format("URGENT call support +1 555 0100"),
     DeviceInfo("mobile", "Chrome 120", "Android 14", None)),
    (ANDROID_CHROME_WITH.format("Samsung SM-URGENT"), DeviceInfo("mobile", "Chrome 120", "Android 14", None)),
    ("URGENT refund desk 5550100/1.0 CFNetwork/1410.0.3 Darwin/22.6.0", DeviceInfo("mobile", None, "iOS 16", None)),
    ("Mozilla/5.0 (compatible; URGENT refund call 5550100 Robot/1.0)", DeviceInfo("bot", None, None, None)),
    ("Mozilla/5.0 (compatible; Bad\nBot/1.0; +http://x)", DeviceInfo("bot", None, None, None)),
    ("HbbTV/1.1.1 (; URGENT; 2015)", DeviceInfo("unknown", None, None, None)),
    ("Mozilla/5.0 (Windows NT 5.1) AppleWebKit/537.36 Chrome/49.0 Safari/537.36",
     DeviceInfo("desktop", "Chrome 49", "Windows", None)),  # "XP" is captured text: only numbers stay
    (None, DeviceInfo("unknown", None, None, None)),
])
def test_recognised_device_keeps_none_of_the_senders_words(user_agent: str | None, expected: DeviceInfo) -> None:
    assert recognised_device(user_agent) == expected
    if user_agent is not None:
        assert parse_user_agent(user_agent) != expected  # the plain parse says more: the sender's words


@pytest.mark.parametrize(("summary", "recognised"), [
    ("Chrome on Android", True), ("Safari on iPhone", True), ("Firefox on Linux", True), ("Chrome", True),
    ("Unknown browser on Windows", True), ("Unknown browser", True), ("Android WebView on Android", True),
    ("Chrome on URGENT call support +1 555 0100", False), ("Chrome on Samsung SM-S918B", False),
    ("URGENT refund desk on iOS", False), ("Chrome on Android on Android", False), ("", False), (None, False),
])
def test_is_recognised_summary(summary: str | None, recognised: bool) -> None:
    assert is_recognised_summary(summary) is recognised


@pytest.mark.parametrize(("browser", "os", "device", "versions", "expected"), [
    ("Chrome 120", "macOS 10.15", None, True, "Chrome 120 on macOS 10.15"),
    ("Chrome 120", "macOS 10.15", None, False, "Chrome on macOS"),
    ("Chrome 120", "Windows 10", None, False, "Chrome on Windows"),
    ("Safari 17", "iOS 17.1", "iPhone", True, "Safari 17 on iPhone"),
    ("Safari 17", "iOS 17.1", "iPhone", False, "Safari on iPhone"),
    ("Chrome 120", "Android 14", "Pixel 8", False, "Chrome on Pixel 8"),  # model digits stay
    ("Samsung Internet 23", "Android 13", "Samsung SM-S918B", False, "Samsung Internet on Samsung SM-S918B"),
    ("Chrome 120", "Chrome OS 14541.0", None, False, "Chrome on Chrome OS"),
    ("IE 6", "Windows XP", None, False, "IE on Windows XP"),
    ("Firefox", "Linux", None, True, "Firefox on Linux"),
    ("Googlebot 2", None, None, True, "Googlebot 2"),
    ("Googlebot 2", None, None, False, "Googlebot"),
    (None, "Windows 10", None, True, "Unknown browser on Windows 10"),
    (None, "Windows 10", None, False, "Unknown browser on Windows"),
    (None, None, None, True, "Unknown browser"),
    (None, None, None, False, "Unknown browser"),
])
def test_device_summary(browser: str | None, os: str | None, device: str | None,
                        versions: bool, expected: str) -> None:
    assert device_summary(browser, os, device, versions=versions) == expected


def test_device_summary_defaults_to_versions() -> None:
    info = parse_user_agent(USER_AGENTS[1][1])
    assert device_summary(info.browser, info.os, info.device) == "Chrome 120 on macOS 10.15"


# --- GeoIP -------------------------------------------------------------------

SPAIN = {"en": "Spain", "es": "España"}
# Mapped in the test database on purpose: if they were looked up, they would resolve.
LOCAL_TRAPS = {
    "10.0.0.0/8": "10.1.2.3", "127.0.0.0/8": "127.0.0.1", "192.168.0.0/16": "192.168.1.10",
    "172.16.0.0/12": "172.16.5.4", "169.254.0.0/16": "169.254.1.1", "0.0.0.0/8": "0.0.0.0",
    "240.0.0.0/4": "240.0.0.1", "224.0.0.0/4": "224.0.0.251", "fc00::/7": "fd12:3456::1",
    "fe80::/10": "fe80::1", "::1/128": "::1", "ff00::/8": "ff02::1",
}


@pytest.fixture(scope="module")
def city_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    networks = {
        "80.33.0.0/20": city_record("ES", SPAIN, "Málaga", time_zone="Europe/Madrid"),
        "2a02:9000::/32": known_place_record("ES", MADRID_PLACE),
        "81.2.69.0/24": known_place_record("GB", LONDON),
        "54.232.0.0/15": city_record("BR", {"en": "Brazil", "pt-BR": "Brasil"}, "São Paulo",
                                     time_zone="America/Sao_Paulo"),
        "129.132.0.0/16": city_record("CH", {"en": "Switzerland", "de": "Schweiz"},
                                      {"en": "Zurich", "de": "Zürich", "es": "Zúrich"}, time_zone="Europe/Zurich"),
        "8.8.8.0/24": city_record("US", "United States"),
        "9.8.7.0/24": city_record("XX", "Nowhere", time_zone="Not/A" + "x" * 70),
    }
    networks.update({cidr: city_record("ES", SPAIN, "Madrid") for cidr in LOCAL_TRAPS})
    return write_city_db(tmp_path_factory.mktemp("geo") / "city.mmdb", networks)


@pytest.fixture
def locator(city_db: Path):
    with GeoLocator(city_db, languages=("en", "es")) as geo:
        yield geo


@pytest.mark.parametrize(("ip", "expected"), [
    ("80.33.1.2", Place("ES", "Spain", "Málaga", "Europe/Madrid", {"es": {"country": "España"}})),
    (" 80.33.1.2\n", Place("ES", "Spain", "Málaga", "Europe/Madrid", {"es": {"country": "España"}})),
    ("::ffff:80.33.1.2", Place("ES", "Spain", "Málaga", "Europe/Madrid", {"es": {"country": "España"}})),
    ("2a02:9000::1", Place("ES", "Spain", "Madrid", "Europe/Madrid", {"es": {"country": "España", "city": "Madrid"}})),
    ("81.2.69.142", Place("GB", "United Kingdom", "London", "Europe/London",
                          {"es": {"country": "Reino Unido", "city": "Londres"}})),
    ("8.8.8.8", Place("US", "United States", None)),  # no zone, no Spanish names: nothing stored for them
    ("54.232.1.1", Place("BR", "Brazil", "São Paulo", "America/Sao_Paulo")),  # pt-BR is not Doorman's
    ("129.132.1.1", Place("CH", "Switzerland", "Zurich", "Europe/Zurich", {"es": {"city": "Zúrich"}})),
    ("9.8.7.6", Place("XX", "Nowhere", None)),  # no IANA zone is that long: not stored
])
def test_locate_gives_english_names_the_other_languages_names_and_the_zone(
        locator: GeoLocator, ip: str, expected: Place) -> None:
    assert locator.locate(ip) == expected


def test_a_locator_for_english_only_keeps_no_other_names(city_db: Path) -> None:
    with GeoLocator(city_db) as geo:
        assert geo.locate("81.2.69.142") == Place("GB", "United Kingdom", "London", "Europe/London")


def test_regional_languages_take_the_databases_base_language(city_db: Path) -> None:
    with GeoLocator(city_db, languages=("es-ES", "pt-BR")) as geo:
        assert geo.locate("54.232.1.1").names == {"pt-BR": {"country": "Brasil"}}
        assert geo.locate("129.132.1.1").names == {"es-ES": {"city": "Zúrich"}}


def test_describe_client_stores_the_zone_and_the_other_names_beside_the_english_columns(locator: GeoLocator) -> None:
    described = describe_client(locator, "curl/8.4.0", "81.2.69.142")
    assert (described["country"], described["city"], described["time_zone"]) == (
        "United Kingdom", "London", "Europe/London")
    assert described["extra"] == {"places": {"es": {"country": "Reino Unido", "city": "Londres"}}}
    assert describe_client(locator, "curl/8.4.0", "10.0.0.1")["extra"] == {}


@pytest.mark.parametrize("ip", ["9.9.9.9", "81.0.0.1", "2600::1"])
def test_address_not_in_database(locator: GeoLocator, ip: str) -> None:
    assert locator.locate(ip) == NOWHERE


@pytest.mark.parametrize("ip", [*LOCAL_TRAPS.values(), "::ffff:10.1.2.3", "::"])
def test_local_addresses_are_never_looked_up(city_db: Path, locator: GeoLocator, ip: str) -> None:
    if ip != "::":  # "::" is not in a trap network; the rest must really be in the file
        with geoip2.database.Reader(city_db) as raw:
            assert raw.city(ip.removeprefix("::ffff:")).city.name == "Madrid"
    assert locator.locate(ip) == NOWHERE


@pytest.mark.parametrize("ip", [None, "", "   ", "not-an-ip", "999.1.1.1", "80.33.1", "80.33.1.2:443",
                                "80.33.1.2, 10.0.0.1", "[2a02:9000::1]", "2a02:9000::1::2"])
def test_invalid_ip_strings(locator: GeoLocator, ip: str | None) -> None:
    assert locator.locate(ip) == NOWHERE


def _metadata_and_bytes(path: Path) -> tuple[int, bytes]:
    with maxminddb.open_database(str(path)) as reader:
        meta = reader.metadata()
    return meta.node_count * meta.record_size // 4, path.read_bytes()


def _broken(kind: str, good: Path, target: Path) -> Path:
    tree_size, data = _metadata_and_bytes(good)
    meta_start = data.rfind(b"\xab\xcd\xefMaxMind.com")
    if kind == "missing":
        return target
    if kind == "directory":
        target.mkdir()
        return target
    target.write_bytes({
        "empty": lambda: b"",
        "random": lambda: random.Random(7).randbytes(4096),
        "truncated": lambda: data[: len(data) // 2],
        "broken-tree": lambda: b"\xff" * tree_size + data[tree_size:],
        "broken-data": lambda: data[: tree_size + 16] + b"\xff" * (meta_start - tree_size - 16) + data[meta_start:],
    }[kind]())
    return target


@pytest.mark.parametrize("kind", ["missing", "directory", "empty", "random", "truncated",
                                  "broken-tree", "broken-data"])
def test_broken_database_logs_one_warning_and_never_raises(
        kind: str, city_db: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = _broken(kind, city_db, tmp_path / f"{kind}.mmdb")
    with caplog.at_level(logging.WARNING):
        geo = GeoLocator(path)
        opened_cleanly = not caplog.records
        places = [geo.locate(ip) for ip in ("80.33.1.2", "2a02:9000::1", "8.8.8.8", "80.33.1.2")]
        geo.close()
    assert places == [NOWHERE] * 4
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert str(path) in warnings[0].getMessage()
    # Metadata intact, search tree/data broken: only a lookup can notice.
    assert opened_cleanly == kind.startswith("broken-")


def test_uses_the_given_logger(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        GeoLocator(tmp_path / "nope.mmdb", logger=logging.getLogger("doorman.test.geo")).close()
    assert [r.name for r in caplog.records] == ["doorman.test.geo"]


def test_close_is_idempotent_and_stops_lookups(city_db: Path) -> None:
    geo = GeoLocator(city_db)
    assert geo.locate("80.33.1.2") == Place("ES", "Spain", "Málaga", "Europe/Madrid")
    geo.close()
    geo.close()
    assert geo.locate("80.33.1.2") == NOWHERE


# --- the bundled 2018 GeoLite2 City file ---------------------------------------

@pytest.fixture(scope="module")
def bundled():
    with GeoLocator(None, languages=("en", "es")) as geo:
        yield geo


def test_bundled_database_path_does_not_import_geolite2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "geolite2", raising=False)
    path = Path(bundled_database_path())
    assert path.name == "GeoLite2-City.mmdb"
    assert path.is_file()
    assert "geolite2" not in sys.modules


@pytest.mark.parametrize(("ip", "expected"), [
    ("147.96.1.1", Place("ES", "Spain", "Madrid", "Europe/Madrid", {"es": {"country": "España", "city": "Madrid"}})),
    ("147.156.1.1", Place("ES", "Spain", "Valencia", "Europe/Madrid",
                          {"es": {"country": "España", "city": "Valencia"}})),
    ("130.133.1.1", Place("DE", "Germany", "Berlin", "Europe/Berlin", {"es": {"country": "Alemania", "city": "Berlín"}})),
    ("72.229.28.185", Place("US", "United States", "New York", "America/New_York",
                            {"es": {"country": "Estados Unidos", "city": "Nueva York"}})),
    ("105.112.0.1", Place("NG", "Nigeria", "Lagos", "Africa/Lagos", {"es": {"country": "Nigeria", "city": "Lagos"}})),
    ("81.2.69.142", Place("GB", "United Kingdom", "Willesden", "Europe/London", {"es": {"country": "Reino Unido"}})),
    ("8.8.8.8", Place("US", "United States", None, None, {"es": {"country": "Estados Unidos"}})),
])
def test_bundled_database(bundled: GeoLocator, ip: str, expected: Place) -> None:
    assert bundled.locate(ip) == expected


# --- place_label ---------------------------------------------------------------

@pytest.mark.parametrize(("country", "city", "ip", "expected"), [
    ("Spain", "Madrid", "147.96.1.1", "Madrid, Spain"),
    ("Spain", "Madrid", None, "Madrid, Spain"),
    ("Spain", None, "80.58.0.33", "Spain"),
    (None, "Madrid", "147.96.1.1", "Madrid"),
    (None, None, "127.0.0.1", "Local network"),
    (None, None, "10.0.0.5", "Local network"),
    (None, None, "172.16.0.1", "Local network"),
    (None, None, "192.168.1.10", "Local network"),
    (None, None, "169.254.1.1", "Local network"),
    (None, None, "0.0.0.0", "Local network"),
    (None, None, "240.0.0.1", "Local network"),
    (None, None, "::1", "Local network"),
    (None, None, "::", "Local network"),
    (None, None, "fe80::1", "Local network"),
    (None, None, "fd12:3456::1", "Local network"),
    (None, None, "::ffff:192.168.1.10", "Local network"),
    (None, None, "9.9.9.9", "Unknown location"),
    (None, None, "2600::1", "Unknown location"),
    (None, None, None, "Unknown location"),
    (None, None, "", "Unknown location"),
    (None, None, "not-an-ip", "Unknown location"),
])
def test_place_label(country: str | None, city: str | None, ip: str | None, expected: str) -> None:
    assert place_label(country, city, ip) == expected
