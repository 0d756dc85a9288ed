"""Session tokens: what the browser holds, and the digest the table keeps instead."""

import hashlib
import re
import secrets

# token_urlsafe(32): 256 bits from the OS CSPRNG, 43 URL-safe characters.
TOKEN_BYTES = 32
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_well_formed_token(token: str) -> bool:
    return _TOKEN_SHAPE.fullmatch(token) is not None
