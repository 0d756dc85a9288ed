"""Limits on password guessing, per client IP and per account.

Every form that checks a password (sign in, confirm password, change
password, sign out everywhere else) shares the same two budgets, because they all guess the same
secret: an attacker with a stolen session gains nothing by guessing on the
confirm-password page instead of the sign-in page.

Only a wrong password counts, that is an answer that shows the form again
(200). A correct one (a redirect) costs nothing, and neither does a refusal
(429), so hammering a locked account does not keep it locked: the moving
window empties a fixed time after the last counted failure.

The per-account budget is also what lets a stranger slow the owner down:
ten wrong passwords for someone's email hold their sign-in off for up to
fifteen minutes. That is the price of stopping distributed guessing against
one account; it never locks anyone out for good, sessions that are already
signed in keep working, and docs/security.md weighs it.

Only these views pay for the limits. They count with the ``limits`` library
directly, inside the decorated view, and register no app-wide hook: an
extension that checks every request for limits costs every page, and here
only a few password forms have any.
"""

import hashlib
import logging
import time
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, flash, make_response, render_template, request
from flask_login import current_user
from flask_wtf import FlaskForm
from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from werkzeug.wrappers import Response

from app.config import ConfigurationError
from app.services.addresses import client_network
from app.services.request_details import client_ip
from app.services.users import normalize_email

TOO_MANY_ATTEMPTS = "Too many wrong passwords. For your account's safety, please wait {wait} and try again."

# Every count's storage key starts LIMITER/doorman/<client or account key>/<scope>/.
KEY_PREFIX = "doorman"
PER_IP_SCOPE = "password-attempts-ip"
PER_ACCOUNT_SCOPE = "password-attempts-account"
# The per-IP key of attempts whose client address is not an IP (none should be): they share one budget.
UNKNOWN_CLIENT = "unknown"
# While the shared storage is down, how long to count in memory before trying it again.
RETRY_SHARED_STORAGE_AFTER = 30.0  # seconds

T = TypeVar("T")
Budget = tuple[RateLimitItem, tuple[str, ...]]  # a limit, and the identifiers of its count


class PasswordAttemptLimits:
    """Wrong passwords counted per client IP and per account, in a moving window.

    A moving window cannot be beaten by bursting across a window boundary.
    The counts live in ``shared`` (Redis, for several processes). If it
    fails, this process counts in its own memory rather than letting guesses
    through unlimited, logs one warning, and tries the shared storage again
    after RETRY_SHARED_STORAGE_AFTER seconds. ``shared`` must be built with
    ``wrap_exceptions=True``, so that its failures arrive as StorageError.
    """

    def __init__(
        self,
        shared: Storage,
        *,
        per_ip: str,
        per_account: str,
        logger: logging.Logger,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._per_ip = parse_many(per_ip)
        self._per_account = parse_many(per_account)
        self._shared = MovingWindowRateLimiter(shared)
        self._own_memory = MovingWindowRateLimiter(MemoryStorage())
        self._shared_failed_at: float | None = None
        self._log = logger
        self._clock = clock

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, logger: logging.Logger) -> "PasswordAttemptLimits":
        shared = storage_from_string(config["RATELIMIT_STORAGE_URI"], wrap_exceptions=True)
        if not isinstance(shared, Storage):
            raise ConfigurationError("RATELIMIT_STORAGE_URI must name a storage such as redis://, not an async+ one")
        return cls(
            shared,
            per_ip=config["PASSWORD_ATTEMPTS_PER_IP"],
            per_account=config["PASSWORD_ATTEMPTS_PER_ACCOUNT"],
            logger=logger,
        )

    def refused_until(self, ip: str, email: str) -> float | None:
        """When every spent budget has room again (a Unix time), or None if this attempt may go ahead.

        The latest of them: waiting out a spent per-minute IP budget would
        only meet the refusal of a spent per-account one.
        """

        def last_reset_of_spent_budgets(limiter: MovingWindowRateLimiter) -> float | None:
            resets = [
                limiter.get_window_stats(limit, *identifiers).reset_time
                for limit, identifiers in self._budgets(ip, email)
                if not limiter.test(limit, *identifiers)
            ]
            return max(resets, default=None)

        return self._on_reachable_storage(last_reset_of_spent_budgets)

    def count_wrong_password(self, ip: str, email: str) -> None:
        """Spend one attempt of every budget this IP and account have."""

        def hit_all(limiter: MovingWindowRateLimiter) -> None:
            for limit, identifiers in self._budgets(ip, email):
                limiter.hit(limit, *identifiers)

        self._on_reachable_storage(hit_all)

    def _budgets(self, ip: str, email: str) -> list[Budget]:
        """Every limit on this attempt, with the identifiers of its count."""
        account = _account_key(email)
        return [(limit, (KEY_PREFIX, ip, PER_IP_SCOPE)) for limit in self._per_ip] + [
            (limit, (KEY_PREFIX, account, PER_ACCOUNT_SCOPE)) for limit in self._per_account
        ]

    def _on_reachable_storage(self, counting: Callable[[MovingWindowRateLimiter], T]) -> T:
        """``counting`` done on the shared counts, or on this process's own while they are unreachable."""
        failed_at = self._shared_failed_at
        if failed_at is not None and self._clock() - failed_at < RETRY_SHARED_STORAGE_AFTER:
            return counting(self._own_memory)
        try:
            result = counting(self._shared)
        except StorageError as error:
            if failed_at is None:
                self._log.warning(
                    "Rate limit storage unreachable (%s); counting wrong passwords in this process's memory",
                    type(error.storage_error).__name__,
                )
            self._shared_failed_at = self._clock()
            return counting(self._own_memory)
        if failed_at is not None:
            self._log.info("Rate limit storage reachable again; counting wrong passwords there")
            self._shared_failed_at = None
        return result


def signed_in_email() -> str:
    """Whose password a confirm or change form is guessing: the signed-in account's."""
    return str(current_user.email)


def submitted_email() -> str:
    """Whose password the sign-in form is guessing: the account named in the form."""
    return request.form.get("email", "")


def _account_key(email: str) -> str:
    # Hashed so that the limits' storage (Redis) holds no email addresses.
    return "account:" + hashlib.sha256(normalize_email(email).encode()).hexdigest()


def _client_ip() -> str:
    # The address stored and shown for this request, as the budget counts it:
    # an IPv4 address, or the IPv6 network around it.
    ipv6_prefix = current_app.config["PASSWORD_ATTEMPTS_IPV6_PREFIX"]
    return client_network(client_ip(request), ipv6_prefix=ipv6_prefix) or UNKNOWN_CLIENT


def _wrong_password(response: Response) -> bool:
    return response.status_code == 200


def _password_attempt_limits() -> PasswordAttemptLimits:
    return current_app.extensions["doorman.throttle"]


def password_attempts_limited(
    template: str | Callable[[FlaskForm], str],
    form_class: type[FlaskForm],
    *,
    account: Callable[[], str] = signed_in_email,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Limit wrong passwords posted to this view; past the limit show the form again with a 429.

    ``template`` names the page to show, or renders it given a fresh form
    (for pages that need more than the form).
    """

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if request.method != "POST":
                return view(*args, **kwargs)
            limits, ip, email = _password_attempt_limits(), _client_ip(), account()
            refused_until = limits.refused_until(ip, email)
            if refused_until is not None:
                return _refuse(template, form_class, refused_until)
            response = make_response(view(*args, **kwargs))
            if _wrong_password(response):
                limits.count_wrong_password(ip, email)
            return response

        return wrapped

    return decorator


def _refuse(
    template: str | Callable[[FlaskForm], str], form_class: type[FlaskForm], refused_until: float
) -> tuple[str, int, dict[str, str]]:
    """The same form again, saying why nothing was checked and how long to wait."""
    seconds = max(1, int(refused_until + 1) - int(time.time()))
    minutes = max(1, round(seconds / 60))
    flash(TOO_MANY_ATTEMPTS.format(wait="a minute" if minutes == 1 else f"{minutes} minutes"), "error")
    page = template(form_class()) if callable(template) else render_template(template, form=form_class())
    return page, 429, {"Retry-After": str(seconds)}
