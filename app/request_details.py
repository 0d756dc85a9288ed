"""What a sign-in request says about where it comes from, as session columns."""

from typing import Any

from flask import Request

from app.extensions import services
from app.services.addresses import canonical_ip
from app.services.enrichment import describe_client


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


def sign_in_details(request: Request) -> dict[str, Any]:
    """The session columns of this request's device and place (English names; the others under ``extra``)."""
    return describe_client(services().geo, request.headers.get("User-Agent"), client_ip(request))
