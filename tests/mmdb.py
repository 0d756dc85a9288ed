"""Build tiny MaxMind City databases for tests with ``mmdb-writer``.

The files are readable by ``geoip2.database.Reader(path).city(ip)``: the tree is
IPv6 with IPv4 networks stored under ::/96 (``ipv4_compatible``), which is where
the reader looks IPv4 addresses up.

    path = write_city_db(tmp_path / "city.mmdb", {
        "81.0.0.0/24": city_record("ES", {"en": "Spain", "es": "España"}, "Madrid", time_zone="Europe/Madrid"),
        "81.2.69.0/24": city_record("GB", LONDON.country, LONDON.city, time_zone=LONDON.time_zone),
        "2a02:9000::/32": city_record("ES", "Spain", "Madrid"),
        "8.8.8.0/24": city_record("US", "United States"),  # country only
    })
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mmdb_writer import MMDBWriter
from netaddr import IPSet

Names = str | Mapping[str, str]


@dataclass(frozen=True)
class KnownPlace:
    """A place with its English and Spanish names and its zone, as GeoLite2 has them."""

    country: Mapping[str, str]
    city: Mapping[str, str]
    time_zone: str


MADRID = KnownPlace({"en": "Spain", "es": "España"}, {"en": "Madrid", "es": "Madrid"}, "Europe/Madrid")
LONDON = KnownPlace({"en": "United Kingdom", "es": "Reino Unido"}, {"en": "London", "es": "Londres"}, "Europe/London")
STOCKHOLM = KnownPlace({"en": "Sweden", "es": "Suecia"}, {"en": "Stockholm", "es": "Estocolmo"}, "Europe/Stockholm")
# English names only: pages fall back to them in every language.
LAGOS = KnownPlace({"en": "Nigeria"}, {"en": "Lagos"}, "Africa/Lagos")


def _names(names: Names) -> dict[str, str]:
    return {"en": names} if isinstance(names, str) else dict(names)


def city_record(country_code: str, country: Names, city: Names | None = None, *,
                time_zone: str | None = None, **extra: Any) -> dict[str, Any]:
    """A GeoIP2-City shaped record; a plain string means English-only names; ``time_zone`` its IANA zone."""
    record: dict[str, Any] = {
        "country": {"iso_code": country_code, "names": _names(country)},
        **extra,
    }
    if city is not None:
        record["city"] = {"names": _names(city)}
    if time_zone is not None:
        record["location"] = {"time_zone": time_zone}
    return record


def known_place_record(country_code: str, place: KnownPlace) -> dict[str, Any]:
    """The record of one of the places above."""
    return city_record(country_code, place.country, place.city, time_zone=place.time_zone)


def write_city_db(path: str | os.PathLike[str],
                  networks: Mapping[str, Mapping[str, Any]] | Iterable[tuple[str, Mapping[str, Any]]],
                  *, languages: Iterable[str] = ("en", "es", "de", "pt-BR"),
                  database_type: str = "GeoLite2-City") -> Path:
    """Write ``{cidr: record}`` to ``path`` and return it as a Path."""
    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type=database_type,
                        languages=list(languages), description="Doorman test City database")
    items = networks.items() if isinstance(networks, Mapping) else networks
    for cidr, record in items:
        writer.insert_network(IPSet([cidr]), dict(record))
    writer.to_db_file(os.fspath(path))
    return Path(path)
