"""Where to send a browser after signing in: only ever somewhere inside Doorman."""

from urllib.parse import urlsplit

from flask import request


def current_path() -> str:
    query = request.query_string.decode("latin-1")
    return request.path + ("?" + query if query else "")


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None.

    Rejects absolute URLs, scheme-relative ``//host`` and ``/\\host`` (which
    browsers treat as ``//host``), and anything with control characters.
    """
    if not target or any(ord(ch) < 0x20 or ch == "\x7f" for ch in target):
        return None
    if not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
