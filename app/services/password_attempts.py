"""Budgets of password attempts, per client and per account, that hold under concurrency.

Every form that checks a password (sign in, confirm password, change
password, sign out everywhere else) spends from the same two budgets,
because they all guess the same secret: an attacker with a stolen session
gains nothing by guessing on the confirm-password page instead of the
sign-in page.

An attempt is *reserved* before its password is verified, with the ``limits``
moving window's hit, which checks and adds in one step (under a lock in
memory, in a Lua script in Redis). So however many guesses arrive at once,
from threads, worker processes or hosts sharing Redis, no more passwords are
verified in a window than the budget holds; the others are refused before
anything is verified. A correct password gives its reservation back
(``Reservation.give_back``), so only wrong passwords stay spent, and a
refusal spends nothing, so hammering a spent budget does not extend it.

The moving window has no "give back" of its own. It keeps one timestamp per
attempt, newest first (a Python list in memory, a Redis list), and a
reservation removes one timestamp made while its own hit ran; timestamps
made within the same millisecond are interchangeable, so the window is what
it would have been had the correct attempt never been counted.

The per-account budget is also what lets a stranger slow the owner down:
ten wrong passwords for someone's email hold their sign-in off for up to
fifteen minutes. That is the price of stopping distributed guessing against
one account; it never locks anyone out for good, sessions that are already
signed in keep working, and docs/security.md weighs it.
"""

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, cast

from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from app.config import ConfigurationError
from app.services.addresses import client_network
from app.services.errors import TooManyAttempts
from app.services.users import normalize_email

# Every count's storage key starts LIMITER/doorman/<client or account key>/<scope>/.
KEY_PREFIX = "doorman"
PER_IP_SCOPE = "password-attempts-ip"
PER_ACCOUNT_SCOPE = "password-attempts-account"
# The per-IP key of attempts whose client address is not an IP (none should be): they share one budget.
UNKNOWN_CLIENT = "unknown"
# While the shared storage is down, how long to count in memory before trying it again, unless told
# (the RATELIMIT_STORAGE_RETRY_AFTER setting).
RETRY_SHARED_STORAGE_AFTER = 30.0  # seconds
# A reservation's timestamp is looked for this far either side of its hit: Redis
# may store it rounded to 0.1 ms.
TIMESTAMP_TOLERANCE = 0.001  # seconds

T = TypeVar("T")
Budget = tuple[RateLimitItem, tuple[str, str, str]]  # a limit, and the identifiers of its count


class _Timestamps(Protocol):
    """A storage's moving-window timestamps, seen as something one can be taken from."""

    def remove_one_made_between(self, key: str, earliest: float, latest: float) -> None: ...


class _MemoryTimestamps:
    def __init__(self, storage: MemoryStorage) -> None:
        self._storage = storage

    def remove_one_made_between(self, key: str, earliest: float, latest: float) -> None:
        with self._storage.locks[key]:
            entries = self._storage.events.get(key, [])
            for index, entry in enumerate(entries):  # newest first
                if entry.atime < earliest:
                    return
                if entry.atime <= latest:
                    del entries[index]
                    return


# KEYS[1] is a moving window's list of timestamps, newest first. Removes the
# newest one made between ARGV[1] and ARGV[2], in one step like the hit that added it.
_REDIS_REMOVE_ONE_MADE_BETWEEN = """
local earliest, latest = tonumber(ARGV[1]), tonumber(ARGV[2])
for index, entry in ipairs(redis.call('lrange', KEYS[1], 0, -1)) do
    local made_at = tonumber(entry)
    if made_at and made_at <= latest then
        if made_at < earliest then
            return 0
        end
        redis.call('lset', KEYS[1], index - 1, 'given-back')
        redis.call('lrem', KEYS[1], 1, 'given-back')
        return 1
    end
end
return 0
"""


class _RedisTimestamps:
    def __init__(self, storage: RedisStorage) -> None:
        self._storage = storage
        self._script = storage.get_connection().register_script(_REDIS_REMOVE_ONE_MADE_BETWEEN.encode())

    def remove_one_made_between(self, key: str, earliest: float, latest: float) -> None:
        try:
            self._script([self._storage.prefixed_key(key)], [earliest, latest])
        except self._storage.base_exceptions as error:
            raise StorageError(error) from error


def _timestamps_of(storage: Storage) -> _Timestamps:
    if isinstance(storage, MemoryStorage):
        return _MemoryTimestamps(storage)
    if isinstance(storage, RedisStorage):
        return _RedisTimestamps(storage)
    raise ConfigurationError(
        "RATELIMIT_STORAGE_URI must be memory:// or a Redis storage (redis://, rediss://, "
        f"redis+sentinel://, redis+cluster://), got a {type(storage).__name__}"
    )


class _Counts:
    """One storage's counts: the limiter that hits them, and how to take one hit back."""

    def __init__(self, storage: Storage) -> None:
        self.limiter = MovingWindowRateLimiter(storage)
        self.timestamps = _timestamps_of(storage)
        # In this process's memory, one lock makes reserving every budget of an
        # attempt a single step, and giving back never interleaves with it.
        # Redis needs none: its scripts are atomic whoever runs them.
        self.lock: threading.Lock | None = threading.Lock() if isinstance(storage, MemoryStorage) else None

    def __enter__(self) -> None:
        if self.lock is not None:
            self.lock.acquire()

    def __exit__(self, *_: object) -> None:
        if self.lock is not None:
            self.lock.release()


@dataclass
class Reservation:
    """One attempt paid for from every budget; kept unless given back."""

    _owner: "PasswordAttemptLimits"
    _counts: _Counts
    _budgets: list[Budget]
    _made_between: tuple[float, float]
    _given_back: bool = False

    def give_back(self) -> None:
        """Take this attempt out of every budget again: its password was correct."""
        if self._given_back:
            return
        self._given_back = True
        self._owner._give_back(self._counts, self._budgets, self._made_between)


class PasswordAttemptLimits:
    """Password attempts counted per client and per account, in a moving window.

    A moving window cannot be beaten by bursting across a window boundary.
    The counts live in ``shared`` (Redis, for several processes). If it
    fails, this process counts in its own memory rather than letting guesses
    through unlimited, logs one warning, and tries the shared storage again
    after ``retry_after`` seconds (RATELIMIT_STORAGE_RETRY_AFTER). ``shared`` must be built with
    ``wrap_exceptions=True``, so that its failures arrive as StorageError.
    IPv6 clients are counted per network of ``ipv6_prefix`` bits.
    """

    def __init__(
        self,
        shared: Storage,
        *,
        per_ip: str,
        per_account: str,
        ipv6_prefix: int = 64,
        logger: logging.Logger,
        clock: Callable[[], float] = time.monotonic,
        retry_after: float = RETRY_SHARED_STORAGE_AFTER,
    ) -> None:
        self._per_ip = parse_many(per_ip)
        self._per_account = parse_many(per_account)
        self._ipv6_prefix = ipv6_prefix
        self._shared = _Counts(shared)
        self._own_memory = _Counts(MemoryStorage())
        self._shared_failed_at: float | None = None
        self._log = logger
        self._clock = clock
        self._retry_after = retry_after

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], *, logger: logging.Logger, storage: Storage | None = None
    ) -> "PasswordAttemptLimits":
        """The budgets the settings describe, counted in RATELIMIT_STORAGE_URI unless ``storage`` is given."""
        if storage is None:
            # app.config has already refused schemes other than memory and Redis, async+ ones included.
            storage = cast(Storage, storage_from_string(config["RATELIMIT_STORAGE_URI"], wrap_exceptions=True))
        return cls(
            storage,
            per_ip=config["PASSWORD_ATTEMPTS_PER_IP"],
            per_account=config["PASSWORD_ATTEMPTS_PER_ACCOUNT"],
            ipv6_prefix=config["PASSWORD_ATTEMPTS_IPV6_PREFIX"],
            logger=logger,
            retry_after=config.get("RATELIMIT_STORAGE_RETRY_AFTER", RETRY_SHARED_STORAGE_AFTER),
        )

    def reserve(self, ip: str | None, email: str) -> Reservation:
        """Pay for one attempt from every budget of this client and account, or raise TooManyAttempts.

        Call it before verifying the password, and give the reservation back
        if the password was correct. If any budget is spent, nothing is
        spent from the others either.
        """
        budgets = self._budgets(ip, email)

        def reserve_all(counts: _Counts) -> Reservation:
            with counts:
                started = time.time()
                reserved: list[Budget] = []
                for limit, identifiers in budgets:
                    if not counts.limiter.hit(limit, *identifiers):
                        made_between = (started, time.time())
                        self._take_back(counts, reserved, made_between)
                        raise self._refusal(counts.limiter, budgets, refused=(limit, identifiers))
                    reserved.append((limit, identifiers))
                return Reservation(self, counts, reserved, (started, time.time()))

        return self._on_reachable_storage(reserve_all)

    def _give_back(self, counts: _Counts, budgets: list[Budget], made_between: tuple[float, float]) -> None:
        if counts is self._shared and self._shared_failed_at is not None:
            return  # the shared counts are down: the attempt stays counted there, which errs on the safe side
        try:
            with counts:
                self._take_back(counts, budgets, made_between)
        except StorageError as error:
            self._log.warning(
                "Rate limit storage unreachable (%s); a correct password stays counted",
                type(error.storage_error).__name__,
            )
            self._shared_failed_at = self._clock()

    @staticmethod
    def _take_back(counts: _Counts, budgets: list[Budget], made_between: tuple[float, float]) -> None:
        earliest, latest = made_between[0] - TIMESTAMP_TOLERANCE, made_between[1] + TIMESTAMP_TOLERANCE
        for limit, identifiers in budgets:
            counts.timestamps.remove_one_made_between(limit.key_for(*identifiers), earliest, latest)

    def _refusal(self, limiter: MovingWindowRateLimiter, budgets: list[Budget], *, refused: Budget) -> TooManyAttempts:
        """The wait until every spent budget has room again: the longest of them.

        Waiting out a spent per-minute IP budget would only meet the refusal
        of a spent per-account one.
        """
        resets = [
            limiter.get_window_stats(limit, *identifiers).reset_time
            for limit, identifiers in budgets
            if not limiter.test(limit, *identifiers)
        ]
        reset = max(resets, default=limiter.get_window_stats(refused[0], *refused[1]).reset_time)
        return TooManyAttempts(retry_after=max(1, int(reset + 1) - int(time.time())))

    def _budgets(self, ip: str | None, email: str) -> list[Budget]:
        """Every limit on this attempt, with the identifiers of its count."""
        client = client_network(ip, ipv6_prefix=self._ipv6_prefix) or UNKNOWN_CLIENT
        account = _account_key(email)
        return [(limit, (KEY_PREFIX, client, PER_IP_SCOPE)) for limit in self._per_ip] + [
            (limit, (KEY_PREFIX, account, PER_ACCOUNT_SCOPE)) for limit in self._per_account
        ]

    def _on_reachable_storage(self, counting: Callable[[_Counts], T]) -> T:
        """``counting`` done on the shared counts, or on this process's own while they are unreachable."""
        failed_at = self._shared_failed_at
        if failed_at is not None and self._clock() - failed_at < self._retry_after:
            return counting(self._own_memory)
        try:
            result = counting(self._shared)
        except StorageError as error:
            if failed_at is None:
                self._log.warning(
                    "Rate limit storage unreachable (%s); counting password attempts in this process's memory",
                    type(error.storage_error).__name__,
                )
            self._shared_failed_at = self._clock()
            return counting(self._own_memory)
        if failed_at is not None:
            self._log.info("Rate limit storage reachable again; counting password attempts there")
            self._shared_failed_at = None
        return result


def _account_key(email: str) -> str:
    # Hashed so that the limits' storage (Redis) holds no email addresses.
    return "account:" + hashlib.sha256(normalize_email(email).encode()).hexdigest()
