"""Response headers every page gets."""

from functools import partial

from flask import Flask, Response, request

# No inline script, no third-party origin: the pages need nothing but their
# own stylesheet, so everything else is shut.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        # Covered by default-src already; named because ASVS 5.0 3.4.3 asks for it.
        "object-src 'none'",
        "style-src 'self'",
        "img-src 'self' data:",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)


# (lower-case name, name, value): set on every response that has not set the header itself.
SecurityHeaders = tuple[tuple[str, str, str], ...]


def security_headers(https: bool) -> SecurityHeaders:
    headers = [
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
    ]
    if https:
        # Served over HTTPS: browsers must never try plain HTTP again, for a
        # year, on this host and below it (ASVS 5.0 3.4.1).
        headers.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
    return tuple((name.lower(), name, value) for name, value in headers)


def add_security_headers(response: Response, every_response: SecurityHeaders) -> Response:
    """The headers above, unless the view chose its own; ``no-store`` on every page.

    One pass over the response's headers: this runs on every request, and
    a lookup per header costs more than the rest of it put together.
    """
    headers = response.headers
    present = {name.lower() for name in headers.keys()}
    headers.extend([(name, value) for lower, name, value in every_response if lower not in present])
    if request.endpoint != "static":
        # Every page is about someone's account: keep it out of every cache.
        if "cache-control" in present:
            headers["Cache-Control"] = "no-store"
        else:
            headers.add("Cache-Control", "no-store")
    return response


def init_headers(app: Flask) -> None:
    every_response = security_headers(https=app.config["COOKIE_SECURE"])
    app.after_request(partial(add_security_headers, every_response=every_response))
