"""Client addresses: one canonical form for what is stored, shown and counted."""

import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_ip(raw: str | None) -> IPAddress | None:
    """The address ``raw`` names, or None if it is not an IP address.

    An IPv4-mapped IPv6 address (``::ffff:203.0.113.9``, what a dual-stack
    socket reports for an IPv4 client) is the IPv4 address it carries, so one
    client is one address whichever socket it came in on. An IPv6 zone
    (``%eth0``) names an interface of this host, not the client, and is dropped.
    """
    try:
        address = ipaddress.ip_address(raw or "")
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.scope_id is not None:
            return ipaddress.IPv6Address(int(address))
    return address


def canonical_ip(raw: str | None) -> str | None:
    """``raw`` as the one string Doorman stores, shows and counts for it, or None if it is not an IP."""
    address = parse_ip(raw)
    return None if address is None else str(address)


def client_network(raw: str | None, *, ipv6_prefix: int) -> str | None:
    """What a per-client budget counts: an IPv4 address, or the IPv6 network of ``ipv6_prefix`` bits around it.

    One IPv6 host usually holds a whole /64 and can pick any address in it, so
    counting single IPv6 addresses would give it 2**64 budgets.
    """
    address = parse_ip(raw)
    if address is None:
        return None
    if isinstance(address, ipaddress.IPv4Address):
        return str(address)
    return str(ipaddress.IPv6Network((address, ipv6_prefix), strict=False))


# How much of an address is kept once it need not say which host it was:
# enough to tell a network (and roughly a place), not a household.
MASKED_IPV4_PREFIX = 24
MASKED_IPV6_PREFIX = 48


def masked_network(raw: str | None) -> str | None:
    """The network an address is in, as shown instead of it: "203.0.113.0/24", "2001:db8:1::/48"."""
    address = parse_ip(raw)
    if address is None:
        return None
    prefix = MASKED_IPV4_PREFIX if isinstance(address, ipaddress.IPv4Address) else MASKED_IPV6_PREFIX
    return str(ipaddress.ip_network((address, prefix), strict=False))


def masked_address(raw: str | None) -> str | None:
    """The first address of that network, what an IP column keeps instead: "203.0.113.0", "2001:db8:1::"."""
    network = masked_network(raw)
    return None if network is None else network.partition("/")[0]
