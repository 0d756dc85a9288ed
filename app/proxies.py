"""Forwarded headers, believed only when our own proxy is the one sending them."""

import ipaddress
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from werkzeug.middleware.proxy_fix import ProxyFix

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def peer_in(networks: Iterable[Network], peer: str | None) -> bool:
    """Whether ``peer`` (a REMOTE_ADDR) is an address inside one of ``networks``.

    An IPv4 peer seen through a dual-stack socket (``::ffff:127.0.0.1``) is
    the IPv4 address it wraps. Anything that is not an IP address (a Unix
    socket's empty peer) is no proxy of ours.
    """
    try:
        address = ipaddress.ip_address(peer or "")
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in networks)


class TrustedProxyFix:
    """ProxyFix for requests whose direct peer is one of our proxies; everyone else as they came.

    ProxyFix on its own believes X-Forwarded-For from whoever sends it, so a
    client that reaches the app's port directly could pick the address it is
    stored, shown and rate-limited as. Here a peer outside ``trusted`` is
    the client, whatever its headers say.
    """

    def __init__(self, app: "WSGIApplication", *, hops: int, trusted: Iterable[Network]) -> None:
        self._app = app
        self._forwarded = ProxyFix(app, x_for=hops, x_proto=hops)
        networks = tuple(trusted)
        # The peers are a handful of proxies, so each address is parsed once,
        # not on every request; a stranger churning addresses only churns the cache.
        self._trusted = lru_cache(maxsize=1024)(lambda peer: peer_in(networks, peer))

    def __call__(self, environ: "WSGIEnvironment", start_response: "StartResponse") -> Any:
        if self._trusted(environ.get("REMOTE_ADDR")):
            return self._forwarded(environ, start_response)
        return self._app(environ, start_response)
