"""Whether a request was made from Doorman's own pages, judged by what browsers say of it.

Browsers tell a server where a request comes from in headers that no page
script can set or remove: ``Sec-Fetch-Site`` (Fetch Metadata: every current
browser) and, for older ones, ``Origin`` and ``Referer`` (Doorman's pages send
a Referer to Doorman only, ``Referrer-Policy: same-origin``). A link on a
foreign page therefore arrives as ``cross-site``, or with a foreign or no
Referer. Non-browser clients can send anything, which is why this only ever
decides whether a request *may* do something on the staff member's behalf,
never whether someone may see something.
"""

from urllib.parse import urlsplit

from flask import Request

# "none": the user typed the address, used a bookmark, or opened it from outside a page.
_OWN_NAVIGATION = frozenset({"same-origin", "none"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int | None] | None:
    try:
        parts = urlsplit(url)
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
    except ValueError:  # a port that is not a number, an unbalanced IPv6 bracket...
        return None
    if not parts.scheme or not parts.hostname:
        return None
    return parts.scheme, parts.hostname, port


def is_same_origin(request: Request) -> bool:
    """True for a request from Doorman's own pages or typed by the user; False when unsure.

    ``Sec-Fetch-Site`` decides when it is there. Without it, ``Origin`` and
    then ``Referer`` must name this site; a request with none of the three is
    not same-origin, since an older browser following a foreign link with
    ``rel=noreferrer`` looks exactly like that.
    """
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site.strip().lower() in _OWN_NAVIGATION
    this_site = _origin(request.host_url)
    for header in ("Origin", "Referer"):
        value = request.headers.get(header)
        if value:
            return this_site is not None and _origin(value) == this_site
    return False


def is_cross_site(request: Request) -> bool:
    """True when the browser says the request came from another site; False when it says nothing.

    For a page that sends no Referer (``Referrer-Policy: no-referrer``):
    its own form's POST then carries no Referer and ``Origin: null``, so
    only ``Sec-Fetch-Site`` and a real foreign ``Origin`` can tell. The
    form's CSRF token is what protects it; this refuses what a browser
    names as foreign as well.
    """
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site.strip().lower() not in _OWN_NAVIGATION
    origin = request.headers.get("Origin")
    if origin and origin.strip() != "null":
        return _origin(origin) != _origin(request.host_url)
    return False
