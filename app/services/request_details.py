"""What a sign-in request says about where it comes from, as session columns."""

from collections.abc import Sequence
from typing import Any

from flask import Request, current_app

from app.services.addresses import canonical_ip
from app.services.enrichment import GeoLocator, clean_user_agent, parse_user_agent


def client_ip(request: Request) -> str | None:
    """The client's address as a canonical string, or None if it is not an IP.

    The one form of it that is stored on sessions and events, shown, located
    and counted by the password budgets (``::ffff:203.0.113.9`` is
    ``203.0.113.9``). ``remote_addr`` is already the right address: behind
    TRUSTED_PROXIES proxies, ProxyFix has put the client's address there;
    otherwise X-Forwarded-For is ignored so a client cannot pick the IP it is
    shown with.
    """
    return canonical_ip(request.remote_addr)


def describe_client(
    user_agent: str | None, ip_address: str | None, languages: Sequence[str] = ("en",)
) -> dict[str, Any]:
    """The session columns that say which device and place a sign-in came from."""
    geo: GeoLocator = current_app.extensions["doorman.geo"]
    device = parse_user_agent(user_agent)
    place = geo.locate(ip_address, languages)
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
    }


def sign_in_details(request: Request) -> dict[str, Any]:
    languages = [lang for lang in request.accept_languages.values() if lang != "*"] or ["en"]
    return describe_client(request.headers.get("User-Agent"), client_ip(request), languages)
