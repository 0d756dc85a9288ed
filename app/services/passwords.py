"""Password hashing with argon2id (argon2-cffi)."""

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError


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

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        try:
            self._hasher.verify(password_hash or self._decoy_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        return password_hash is not None

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)
