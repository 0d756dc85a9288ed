"""Benchmark 2: the SQL an authenticated request sends, counted on the engine.

Inside the touch interval a request should cost one SELECT and no write;
the first request after it adds the one UPDATE that records activity. The
same holds for a browser's cookie and an app's bearer token, and for a page
in the person's saved language and time zone (chosen from the row the lookup
already returned, never another query). The
stateless baseline sends none, having no database. tests/test_request_cost.py
asserts the same on every test run; this prints it next to the timings.
"""

from collections.abc import Callable
from datetime import UTC, datetime

from flask import Flask
from werkzeug.test import TestResponse

from app.clock import FrozenClock
from app.extensions import db, services
from app.services.credentials import VerifiedCredentials
from bench.databases import app_environment, scratch_database
from bench.doorman_wsgi import create_bench_app
from bench.report import Row
from bench.statements import is_write, recorded_statements

NAME = "2 per-request work"
TOUCH_INTERVAL = 60


def run(backend: str, *, requests: int = 20) -> list[Row]:
    # The benchmark decides what time it is, so the touch interval can be stepped over.
    clock = FrozenClock(datetime.now(UTC))
    with scratch_database(backend, "request_cost") as database:
        environ = app_environment(database.url, SESSION_TOUCH_INTERVAL=str(TOUCH_INTERVAL))
        app = create_bench_app(environ=environ, clock=clock)
        with app.app_context():
            doorman = services(app)
            user = doorman.users.create("cost@example.com", "bench password, never typed")
            credentials = VerifiedCredentials.without_password(user)
            new = doorman.sessions.create(credentials, user_agent="bench", ip_address="127.0.0.1")
            app_session = doorman.sessions.open_app_session(
                credentials, client_name="bench", user_agent="bench", ip_address="127.0.0.1"
            )
            user_id = user.id
            db.session.commit()
        browser = app.test_client()
        browser.set_cookie(app.config["SESSION_TOKEN_COOKIE"], new.token)
        bearer = {"Authorization": f"Bearer {app_session.access_token}"}
        cookie_inside, cookie_due = _count(app, clock, lambda: browser.get("/bench/whoami"), requests)
        with app.app_context():
            doorman.users.save_preferences(user_id, language="es", time_zone="Europe/Madrid")
            db.session.commit()
        spanish = app.test_client()
        spanish.set_cookie(app.config["SESSION_TOKEN_COOKIE"], new.token)
        spanish.set_cookie(app.config["LANGUAGE_COOKIE"], "en")

        def in_saved_language() -> TestResponse:
            response = spanish.get("/bench/localized-whoami", headers={"Accept-Language": "de, en;q=0.8"})
            # The saved choice won over the cookie's and the browser's: "es 3 dic 2026, 10:00:00 ..."
            assert response.get_data(as_text=True).startswith("es "), response.get_data(as_text=True)
            return response

        localized_inside, localized_due = _count(app, clock, in_saved_language, requests)
        api_client = app.test_client()
        bearer_inside, bearer_due = _count(app, clock, lambda: api_client.get("/bench/bearer-whoami", headers=bearer),
                                           requests)
        with app.app_context():
            db.engine.dispose()

    return [
        *_rows(backend, "authenticated request", cookie_inside, cookie_due, requests),
        *_rows(backend, "bearer-token request", bearer_inside, bearer_due, requests),
        *_rows(backend, "request in the saved language and zone", localized_inside, localized_due, requests),
    ]


def _count(app: Flask, clock: FrozenClock, get: Callable[[], TestResponse],
           requests: int) -> tuple[list[str], list[str]]:
    """The statements of ``requests`` requests inside the touch interval, and of the first one after it."""

    def checked() -> None:
        response = get()
        assert response.status_code == 200, response.status_code

    checked()  # the pool's first connection, and this session's touch, are not what is being counted
    step = (TOUCH_INTERVAL - 1) / (requests + 1)
    with recorded_statements(app) as inside:
        for _ in range(requests):
            clock.advance(seconds=step)
            checked()
    clock.advance(seconds=TOUCH_INTERVAL)
    with recorded_statements(app) as due:
        checked()
    return inside, due


def _rows(backend: str, what: str, inside: list[str], due: list[str], requests: int) -> list[Row]:
    inside_writes = [s for s in inside if is_write(s)]
    due_writes = [s for s in due if is_write(s)]
    per_request = len(inside) / requests
    return [
        Row(NAME, backend, f"{what} inside the {TOUCH_INTERVAL} s touch interval",
            f"{per_request:g} statement{'' if per_request == 1 else 's'}, "
            f"{len(inside_writes) / requests:g} writes",
            {"statements": per_request, "writes": len(inside_writes) / requests},
            "1 statement, 0 writes", per_request == 1 and not inside_writes),
        Row(NAME, backend, f"first {what} after the touch interval",
            f"{len(due)} statements, {len(due_writes)} write ({_verb(due_writes)})",
            {"statements": len(due), "writes": len(due_writes)},
            "1 write", len(due_writes) == 1),
    ]


def _verb(statements: list[str]) -> str:
    return ", ".join(" ".join(s.split()[:2]) for s in statements) or "none"
