"""Benchmark 6: what a sign-in spends describing the device and the place.

``parse_user_agent`` runs ua-parser's few hundred regular expressions on a
User-Agent it has not seen and answers from its cache otherwise (uncached:
``cache_clear()`` before every call, and a User-Agent new to ua-parser's own
cache too); ``GeoLocator.locate`` reads the bundled
GeoLite2 City database. Neither touches the session table, so the numbers
are the same on every backend.
"""

import itertools

from app.services.enrichment import GeoLocator, parse_user_agent
from bench.report import Row, percentile, time_calls, us

NAME = "6 sign-in enrichment"

# {n} is a build number: every uncached call gets a User-Agent that neither
# our cache nor ua-parser's own 200-entry cache has seen.
USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.{n}.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0.{n}",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5.{n} Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E{n} Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.{n}.71 Mobile Safari/537.36",
    "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E{n} Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.{n}.68",
    "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0.{n}",
    "curl/8.8.{n}",
    "Mozilla/5.0 (compatible; Googlebot/2.{n}; +http://www.google.com/bot.html)",
)
# Addresses the 2018 GeoLite2 City database places, on several continents, and one it does not.
ADDRESSES = (
    "81.2.69.142", "8.8.8.8", "1.1.1.1", "89.160.20.112", "175.16.199.1",
    "2001:4860:4860::8888", "2a02:8388:1:2::1", "203.0.113.9",
)


def run(*, calls: int = 2000) -> list[Row]:
    geo = GeoLocator(None)
    unseen = (template.format(n=n) for n in itertools.count(1000) for template in USER_AGENTS)
    cycle_ua = itertools.cycle([template.format(n=0) for template in USER_AGENTS])
    cycle_ip = itertools.cycle(ADDRESSES)
    try:
        def uncached() -> None:
            parse_user_agent.cache_clear()  # type: ignore[attr-defined]
            parse_user_agent(next(unseen))

        def cached() -> None:
            parse_user_agent(next(cycle_ua))

        def locate() -> None:
            geo.locate(next(cycle_ip))

        # Uncached parses are a thousand times slower: fewer of them say as much.
        measured = {
            "User-Agent parse, uncached": time_calls(uncached, count=max(calls // 10, 10), warmup=2),
            "User-Agent parse, cached": time_calls(cached, count=calls, warmup=len(USER_AGENTS)),
            "GeoIP lookup (bundled GeoLite2 City)": time_calls(locate, count=calls, warmup=len(ADDRESSES)),
        }
    finally:
        geo.close()
        parse_user_agent.cache_clear()  # type: ignore[attr-defined]
    rows = []
    for case, samples in measured.items():
        p50, p99 = percentile(samples, 50), percentile(samples, 99)
        rows.append(Row(NAME, "-", case, f"p50 {us(p50)}, p99 {us(p99)} per call",
                        {"p50": p50, "p99": p99, "calls": len(samples)}))
    p50s = {case: percentile(samples, 50) for case, samples in measured.items()}
    sign_in = p50s["User-Agent parse, uncached"] + p50s["GeoIP lookup (bundled GeoLite2 City)"]
    rows.append(Row(NAME, "-", "both, a browser not seen before (sum of p50s)", f"{us(sign_in)} per sign-in",
                    {"p50": sign_in}))
    return rows
