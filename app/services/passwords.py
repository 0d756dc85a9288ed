"""Password hashing with argon2id (argon2-cffi)."""

import threading

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

# What a new password may be, wherever one is chosen (the password form, the
# command line). A password being checked is only held to the maximum, so
# that an old shorter one still opens its account.
PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 1024


def make_hasher(profile_name: str) -> PasswordHasher:
    """A hasher using one of argon2-cffi's named parameter profiles.

    Production uses RFC 9106's low-memory profile; the test suite uses the
    cheapest one so that hashing does not dominate its run time.
    """
    return PasswordHasher.from_parameters(getattr(profiles, profile_name))


class Passwords:
    def __init__(self, hasher: PasswordHasher) -> None:
        self._hasher = hasher
        # Verified when the email is unknown, so that both failures take as long.
        self._decoy_hash = hasher.hash("decoy password that never matches")
        self._verified = 0
        self._verified_lock = threading.Lock()

    @property
    def verifications(self) -> int:
        """How many passwords this object has verified: each is one run of argon2, the cost a budget limits."""
        return self._verified

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        with self._verified_lock:
            self._verified += 1
        try:
            self._hasher.verify(password_hash or self._decoy_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        return password_hash is not None

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)
