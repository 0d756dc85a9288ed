"""Build tiny MaxMind City databases for tests with ``mmdb-writer``.

The files are readable by ``geoip2.database.Reader(path).city(ip)``: the tree is
IPv6 with IPv4 networks stored under ::/96 (``ipv4_compatible``), which is where
the reader looks IPv4 addresses up.

    path = write_city_db(tmp_path / "city.mmdb", {
        "81.0.0.0/24": city_record("ES", {"en": "Spain", "es": "España"}, "Madrid"),
        "2a02:9000::/32": city_record("ES", "Spain", "Madrid"),
        "8.8.8.0/24": city_record("US", "United States"),  # country only
    })
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from mmdb_writer import MMDBWriter
from netaddr import IPSet

Names = str | Mapping[str, str]


def _names(names: Names) -> dict[str, str]:
    return {"en": names} if isinstance(names, str) else dict(names)


def city_record(country_code: str, country: Names, city: Names | None = None,
                **extra: Any) -> dict[str, Any]:
    """A GeoIP2-City shaped record; a plain string means English-only names."""
    record: dict[str, Any] = {
        "country": {"iso_code": country_code, "names": _names(country)},
        **extra,
    }
    if city is not None:
        record["city"] = {"names": _names(city)}
    return record


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
