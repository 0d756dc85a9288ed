"""Response headers every page gets."""

from flask import Flask, Response, current_app, request

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


def _secure_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if current_app.config["COOKIE_SECURE"]:
        # Served over HTTPS: browsers must never try plain HTTP again, for a
        # year, on this host and below it (ASVS 5.0 3.4.1).
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.endpoint != "static":
        # Every page is about someone's account: keep it out of every cache.
        headers["Cache-Control"] = "no-store"
    return response


def init_headers(app: Flask) -> None:
    app.after_request(_secure_headers)
