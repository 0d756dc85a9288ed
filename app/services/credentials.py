"""What a verified password proves, carried from the check to the session it opens."""

from typing import NamedTuple

from app.models import User


class VerifiedCredentials(NamedTuple):
    """An account whose password was verified, and which version of its credentials that password was.

    ``credentials_version`` is the one read together with the password hash,
    before the slow check ran: a password change that commits while argon2
    works must not be taken for what was verified. A session opened from
    this is bound to that version (``SessionService.create``).
    """

    user: User
    credentials_version: int

    @classmethod
    def without_password(cls, user: User) -> "VerifiedCredentials":
        """The account's credentials as they stand, for code that opens sessions on its own
        authority (demo data, benchmarks, test factories), not for anything a visitor sends."""
        return cls(user, user.credentials_version)
