"""What a sign-in request says about where it comes from."""

import ipaddress

from flask import Request


def client_ip(request: Request) -> str | None:
    """The client's address as a canonical string, or None if it is not an IP.

    ``remote_addr`` is already the right address: behind TRUSTED_PROXIES
    proxies, ProxyFix has put the client's address there; otherwise
    X-Forwarded-For is ignored so a client cannot pick the IP it is shown with.
    """
    try:
        return str(ipaddress.ip_address(request.remote_addr or ""))
    except ValueError:
        return None


def describe_client(user_agent: str | None, ip_address: str | None) -> dict[str, str | None]:
    """The session columns that say which device and network a sign-in came from."""
    return {"user_agent": user_agent, "ip_address": ip_address}


def sign_in_details(request: Request) -> dict[str, str | None]:
    return describe_client(request.headers.get("User-Agent"), client_ip(request))
