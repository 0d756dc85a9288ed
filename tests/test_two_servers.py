"""Two gunicorn servers, one PostgreSQL, one Redis: what one server does, the other sees (issue 16).

Each server is one worker process, so each has one memory of its own: what
they share goes through the database and the (private) Redis.
"""

import http.client
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.conftest import PASSWORD
from tests.servers import AppServer, RedisServer, gunicorn, redis_server

APP_AGENT = "DoormanTestApp/1.0 (two servers)"
BUDGET = 3  # wrong passwords per account


def call(server: AppServer, method: str, path: str, *, body: Any = None,
         headers: dict[str, str] | None = None) -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        sent = {"User-Agent": APP_AGENT, **(headers or {})}
        payload = None
        if body is not None:
            payload = json.dumps(body)
            sent["Content-Type"] = "application/json"
        connection.request(method, path, body=payload, headers=sent)
        response = connection.getresponse()
        text = response.read().decode()
        try:
            return response.status, json.loads(text) if text else None
        except ValueError:
            return response.status, text
    finally:
        connection.close()


def sign_in(server: AppServer, email: str, password: str = PASSWORD) -> tuple[int, Any]:
    return call(server, "POST", "/api/v1/auth/token", body={"email": email, "password": password})


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


@pytest.fixture(scope="module")
def redis(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A private redis-server, ours to kill; never the machine's shared one."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite run: several servers share one PostgreSQL (the PostgreSQL run needs TEST_DATABASE_URL)")
    with redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(scope="module")
def running(database_url: str, redis: RedisServer, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[list[AppServer]]:
    environment = {
        "DATABASE_URL": database_url, "RATELIMIT_STORAGE_URI": redis.url, "RATELIMIT_STORAGE_RETRY_AFTER": "1",
        "PASSWORD_ATTEMPTS_PER_ACCOUNT": f"{BUDGET} per 15 minutes", "LOG_FORMAT": "json",
    }
    with gunicorn(environment, environment, home=tmp_path_factory.mktemp("home")) as started:
        yield started


@pytest.fixture
def servers(app, running: list[AppServer]) -> list[AppServer]:
    """Servers A and B on the test database (``app`` empties it after each test) and the private Redis."""
    return running


def test_a_session_ended_through_one_server_is_refused_by_the_other_on_its_next_request(servers, make_user):
    a, b = servers
    user = make_user()
    status, phone = sign_in(a, user.email)
    assert status == 200, phone
    status, tablet = sign_in(b, user.email)
    assert status == 200, tablet
    assert call(b, "GET", "/api/v1/sessions", headers=bearer(phone))[0] == 200

    assert call(a, "POST", "/api/v1/auth/sign-out", headers=bearer(phone))[0] == 204

    status, problem = call(b, "GET", "/api/v1/sessions", headers=bearer(phone))
    assert status == 401, problem
    assert call(a, "GET", "/api/v1/sessions", headers=bearer(tablet))[0] == 200


def test_a_browser_session_ended_through_one_server_is_refused_by_the_other(servers, make_user, make_session,
                                                                            clock):
    a, b = servers
    clock.move_to(datetime.now(UTC))  # the servers read the wall clock
    user = make_user()
    laptop, cookie_token = make_session(user)
    cookie = {"Cookie": f"doorman={cookie_token}"}  # DOORMAN_ENV=test: plain-HTTP cookie names
    assert call(b, "GET", "/devices", headers=cookie)[0] == 200
    status, phone = sign_in(a, user.email)
    assert status == 200, phone

    assert call(a, "DELETE", f"/api/v1/sessions/{laptop.id}", headers=bearer(phone))[0] == 204

    status, _ = call(b, "GET", "/devices", headers=cookie)
    assert status == 302  # back to the sign-in page


def test_password_budgets_are_shared_through_redis_fall_back_without_it_and_recover(servers, redis, make_user):
    a, b = servers
    shared, alone, again = make_user(), make_user(), make_user()

    # Shared: wrong passwords on A count on B.
    for server in (a, a, b):
        assert sign_in(server, shared.email, "wrong")[0] == 401
    status, problem = sign_in(b, shared.email, "wrong")
    assert status == 429, problem
    assert sign_in(a, shared.email)[0] == 429  # even the right password waits: the budget is spent

    # Redis goes away: each server counts in its own memory, so guessing stays limited per server.
    redis.kill()
    for _ in range(BUDGET):
        assert sign_in(a, alone.email, "wrong")[0] == 401
    assert sign_in(a, alone.email, "wrong")[0] == 429
    assert sign_in(b, alone.email, "wrong")[0] == 401  # B's own memory has seen none of A's
    assert sign_in(b, alone.email)[0] == 200  # the right password still signs in, on B's budget

    # Redis comes back (empty, on the same port): after RATELIMIT_STORAGE_RETRY_AFTER both count there again.
    redis.start()
    time.sleep(1.2)
    for server in (b, a, b):
        assert sign_in(server, again.email, "wrong")[0] == 401
    assert sign_in(a, again.email, "wrong")[0] == 429

    for server in (a, b):
        logged = server.output()
        assert "Rate limit storage unreachable" in logged, logged
        assert "Rate limit storage reachable again" in logged, logged
        assert PASSWORD not in logged and "\"wrong\"" not in logged  # no password, right or wrong


def test_the_retry_delay_is_a_setting_and_a_negative_one_is_refused(tmp_path):
    import logging

    from limits.storage import MemoryStorage

    from app.config import ConfigurationError, load_config
    from app.services.password_attempts import PasswordAttemptLimits

    config = load_config({"DOORMAN_ENV": "test", "RATELIMIT_STORAGE_RETRY_AFTER": "5"}, str(tmp_path))
    assert config["RATELIMIT_STORAGE_RETRY_AFTER"] == 5
    assert load_config({"DOORMAN_ENV": "test"}, str(tmp_path))["RATELIMIT_STORAGE_RETRY_AFTER"] == 30
    limits = PasswordAttemptLimits.from_config(config, logger=logging.getLogger("test"), storage=MemoryStorage())
    assert limits._retry_after == 5
    with pytest.raises(ConfigurationError, match="RATELIMIT_STORAGE_RETRY_AFTER"):
        load_config({"DOORMAN_ENV": "test", "RATELIMIT_STORAGE_RETRY_AFTER": "-1"}, str(tmp_path))
