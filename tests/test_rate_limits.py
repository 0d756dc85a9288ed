"""Password guessing is rate limited per IP and per account (ASVS 5.0 6.1.1, 6.3.1; 4.0.3 2.2.1)."""

import logging
import sys
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

import pytest
from limits.storage import MemoryStorage
from sqlalchemy import func, select

from app.config import ConfigurationError
from app.extensions import db
from app.models import User, UserSession
from app.services.errors import TooManyAttempts
from app.services.password_attempts import RETRY_SHARED_STORAGE_AFTER, PasswordAttemptLimits
from tests.conftest import PASSWORD, REDIS_URL, create_test_app

pytestmark = pytest.mark.config(
    PASSWORD_ATTEMPTS_PER_ACCOUNT="3 per 15 minutes", PASSWORD_ATTEMPTS_PER_IP="1000 per minute"
)
LOCKED_OUT = "Too many wrong passwords."


def sign_in(client, email, password=PASSWORD, ip="203.0.113.1"):
    return client.post("/sign-in", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": ip})


def session_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(UserSession))


def test_v6_3_1_wrong_passwords_for_one_account_are_limited_whatever_the_ip(app, client, make_user):
    user = make_user()
    for n in range(3):
        assert sign_in(client, user.email, "wrong", ip=f"198.51.100.{n}").status_code == 200

    response = sign_in(client, user.email.upper(), PASSWORD, ip="192.0.2.77")  # even the right password

    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert LOCKED_OUT in page and "please wait 15 minutes" in page
    assert 'name="email"' in page and user.email.upper() in page  # the sign-in form, still filled in
    assert 800 < int(response.headers["Retry-After"]) <= 901
    assert client.get_cookie(app.config["SESSION_TOKEN_COOKIE"]) is None
    assert session_count(app) == 0
    assert client.get("/sign-in").status_code == 200  # looking at the form is never limited


def test_other_accounts_are_not_affected(app, client, make_user):
    victim, other = make_user(), make_user()
    for _ in range(3):
        sign_in(client, victim.email, "wrong")
    assert sign_in(client, other.email).status_code == 302


@pytest.mark.config(PASSWORD_ATTEMPTS_PER_IP="3 per minute", PASSWORD_ATTEMPTS_PER_ACCOUNT="1000 per minute")
def test_v6_3_1_wrong_passwords_from_one_ip_are_limited_across_accounts(app, client, make_user):
    users = [make_user() for _ in range(4)]
    for user in users[:3]:
        assert sign_in(client, user.email, "wrong", ip="198.51.100.9").status_code == 200

    assert sign_in(client, users[3].email, ip="198.51.100.9").status_code == 429
    assert sign_in(client, users[3].email, ip="198.51.100.10").status_code == 302


@pytest.mark.config(PASSWORD_ATTEMPTS_PER_IP="2 per minute", PASSWORD_ATTEMPTS_PER_ACCOUNT="2 per 15 minutes")
def test_when_both_budgets_are_spent_the_wait_given_is_the_longer_one(client, make_user):
    """Waiting a minute for the IP budget would only meet the account's refusal."""
    user = make_user()
    for _ in range(2):
        sign_in(client, user.email, "wrong")

    refused = sign_in(client, user.email)

    assert refused.status_code == 429
    assert 800 < int(refused.headers["Retry-After"]) <= 901
    assert "please wait 15 minutes" in refused.get_data(as_text=True)


def test_right_passwords_do_not_count(app, make_user):
    user = make_user()
    for _ in range(5):
        assert sign_in(app.test_client(), user.email).status_code == 302


@pytest.mark.config(PASSWORD_ATTEMPTS_PER_ACCOUNT="2 per 2 seconds")
def test_the_owner_is_not_locked_out_for_good_and_refusals_do_not_extend_the_lock(app, client, make_user):
    """The one test that sleeps: the limiter counts with the wall clock."""
    user = make_user()
    started = time.monotonic()
    for _ in range(2):
        sign_in(client, user.email, "wrong")
    for _ in range(5):  # an attacker keeps hammering: refused, and not counted
        assert sign_in(client, user.email, "wrong").status_code == 429

    time.sleep(max(0.0, 2.2 - (time.monotonic() - started)))

    assert sign_in(client, user.email).status_code == 302


def test_confirm_password_and_sign_in_share_the_accounts_budget(app, client, signed_in):
    for _ in range(3):
        assert client.post("/confirm-password", data={"password": "wrong"}).status_code == 200

    refused = client.post("/confirm-password", data={"password": PASSWORD})
    assert refused.status_code == 429
    assert LOCKED_OUT in refused.get_data(as_text=True) and "Confirm it’s you" in refused.get_data(as_text=True)
    assert sign_in(app.test_client(), signed_in.email, ip="192.0.2.1").status_code == 429


def test_confirm_password_counts_against_the_signed_in_account_not_a_posted_email(app, client, signed_in, make_user):
    other = make_user()
    for _ in range(3):
        client.post("/confirm-password", data={"password": "wrong", "email": other.email})
    assert client.post("/confirm-password", data={"password": PASSWORD}).status_code == 429
    assert sign_in(app.test_client(), other.email).status_code == 302


def test_change_password_is_limited_too(app, client, signed_in, services):
    data = {"current_password": "wrong", "new_password": "n" * 12, "confirm_new_password": "n" * 12}
    for _ in range(3):
        assert client.post("/account/password", data=data).status_code == 200

    refused = client.post("/account/password", data={**data, "current_password": PASSWORD})

    assert refused.status_code == 429
    assert LOCKED_OUT in refused.get_data(as_text=True) and "Change your password" in refused.get_data(as_text=True)
    with app.app_context():  # unchanged (asking the service would be refused: the budget is spent)
        password_hash = db.session.get(User, signed_in.id).password_hash
        assert services.passwords.verify(password_hash, PASSWORD)


RATE_LIMITING_LIBRARIES = ("limits", "flask_limiter")


def python_functions_run_by(make_request: Callable[[], Any]) -> tuple[Any, set[str]]:
    """``make_request``'s answer, and every Python function that ran to produce it, as module.qualname."""
    ran: set[str] = set()

    def record(frame: FrameType, event: str, _: Any) -> None:
        if event == "call":
            ran.add(f"{frame.f_globals.get('__name__')}.{frame.f_code.co_qualname}")

    sys.setprofile(record)
    try:
        response = make_request()
    finally:
        sys.setprofile(None)
    return response, ran


def from_modules(functions: set[str], *modules: str) -> set[str]:
    return {name for name in functions if name.startswith(tuple(module + "." for module in modules))}


def test_an_ordinary_page_runs_no_rate_limiting_code(client, signed_in):
    """Only the password forms pay for rate limiting: no app-wide hook, nothing on other pages."""
    response, ran = python_functions_run_by(lambda: client.get("/devices"))

    assert response.status_code == 200
    assert from_modules(ran, "app.auth.throttle", "app.services.password_attempts", *RATE_LIMITING_LIBRARIES) == set()


def test_looking_at_a_password_form_counts_nothing(client):
    response, ran = python_functions_run_by(lambda: client.get("/sign-in"))

    assert response.status_code == 200
    assert from_modules(ran, *RATE_LIMITING_LIBRARIES) == set()


def test_a_wrong_password_is_counted_by_the_limits_library(client, make_user):
    """The control for the two tests above: the recorder does see rate limiting when it runs."""
    user = make_user()
    response, ran = python_functions_run_by(lambda: sign_in(client, user.email, "wrong"))

    assert response.status_code == 200
    assert "limits.strategies.MovingWindowRateLimiter.hit" in ran


def test_rate_settings_are_checked_at_start_up(database_url):
    with pytest.raises(ConfigurationError, match="PASSWORD_ATTEMPTS_PER_ACCOUNT"):
        create_test_app(database_url, environ={"PASSWORD_ATTEMPTS_PER_ACCOUNT": "ten a day"})


@pytest.mark.parametrize(
    "uri", ["memcached://cache:11211", "mongodb://user:secret@db:27017", "async+memory://", "redis"]
)
def test_only_storages_that_can_give_an_attempt_back_are_accepted(database_url, uri):
    """A correct password's attempt is given back in memory or Redis; other storages cannot, so they are refused."""
    with pytest.raises(ConfigurationError, match="RATELIMIT_STORAGE_URI must be memory:// or a Redis URL") as refused:
        create_test_app(database_url, environ={"RATELIMIT_STORAGE_URI": uri})
    assert "secret" not in str(refused.value)


@pytest.mark.config(RATELIMIT_STORAGE_URI=REDIS_URL)
def test_counts_live_in_redis_and_are_shared_by_every_process(app, database_url, client, make_user, redis_db):
    _, our_keys = redis_db
    user = make_user("counted@example.com")
    for _ in range(3):
        sign_in(client, user.email, "wrong")

    assert our_keys(), "the counts should be in Redis"
    assert not any(b"counted" in key for key in our_keys())  # keys hold a hash, not the email
    # Another process (here: another app on the same Redis) sees the same counts.
    second_process = create_test_app(
        database_url, RATELIMIT_STORAGE_URI=REDIS_URL,
        PASSWORD_ATTEMPTS_PER_ACCOUNT="3 per 15 minutes", PASSWORD_ATTEMPTS_PER_IP="1000 per minute",
    )
    assert sign_in(second_process.test_client(), user.email).status_code == 429
    with second_process.app_context():
        db.engine.dispose()


@pytest.mark.config(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
def test_when_redis_is_down_each_process_still_counts_in_memory(app, client, make_user, caplog):
    user = make_user()
    assert sign_in(client, user.email).status_code == 302  # sign-in keeps working
    for _ in range(3):
        assert sign_in(app.test_client(), user.email, "wrong").status_code == 200
    assert sign_in(app.test_client(), user.email).status_code == 429
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "Rate limit storage unreachable" in warnings[0]


class UnreachableWhileDown(MemoryStorage):
    """Counts in memory, but fails like an unreachable Redis while ``down`` is set."""

    down = False

    @property
    def base_exceptions(self) -> type[Exception]:
        return ConnectionError

    def acquire_entry(self, *args: Any, **kwargs: Any) -> bool:
        self._fail_while_down()
        return super().acquire_entry(*args, **kwargs)

    def get_moving_window(self, *args: Any, **kwargs: Any) -> tuple[float, int]:
        self._fail_while_down()
        return super().get_moving_window(*args, **kwargs)

    def _fail_while_down(self) -> None:
        if self.down:
            raise ConnectionError("Error 111 connecting to redis")


def test_after_an_outage_the_shared_storage_counts_again(caplog):
    caplog.set_level(logging.INFO, "test.throttle")
    now = [1000.0]
    shared = UnreachableWhileDown(wrap_exceptions=True)

    def process() -> PasswordAttemptLimits:
        return PasswordAttemptLimits(
            shared, per_ip="1000 per minute", per_account="2 per minute",
            logger=logging.getLogger("test.throttle"), clock=lambda: now[0],
        )

    this_process, other_process = process(), process()
    attempt = ("192.0.2.1", "owner@example.com")

    def refuses(limits: PasswordAttemptLimits) -> bool:
        """Whether the next attempt is refused; one that goes ahead is a correct password, given back."""
        try:
            limits.reserve(*attempt).give_back()
        except TooManyAttempts:
            return True
        return False

    shared.down = True
    for _ in range(2):
        this_process.reserve(*attempt)  # two wrong passwords
    assert refuses(this_process)  # counted in its own memory
    shared.down = False
    assert not refuses(other_process)  # which no other process sees
    assert refuses(this_process)  # own memory until it is time to retry

    now[0] += RETRY_SHARED_STORAGE_AFTER
    assert not refuses(this_process)  # back on the shared counts
    for _ in range(2):
        this_process.reserve(*attempt)
    assert refuses(other_process)
    assert [record.levelno for record in caplog.records] == [logging.WARNING, logging.INFO]


def test_defaults_are_generous_for_people_and_small_for_guessers():
    from app.config import load_config

    config = load_config({"SECRET_KEY": "k" * 64, "PUBLIC_URL": "https://doorman.example"}, "/srv/instance")
    assert config["PASSWORD_ATTEMPTS_PER_ACCOUNT"] == "10 per 15 minutes"
    assert config["PASSWORD_ATTEMPTS_PER_IP"] == "20 per minute; 200 per hour"
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"
