"""Benchmark 1: one small authenticated page through gunicorn, Doorman's sessions against a stateless cookie.

(a) Doorman: the real ``create_app`` plus ``/bench/whoami`` (``@login_required``,
returns the email), the cookie resolved against the database on every request.
(c) The same Doorman server, ``/bench/bearer-whoami``: an app session's access
token in ``Authorization: Bearer``, resolved by the API's ``bearer_required``.
(b) Flask's signed cookie with Flask-Login's defaults and no database
(``bench/stateless_wsgi.py`` says exactly what it does).
Two references split the difference: Doorman with no query at all, and
Doorman sending only ``SELECT 1`` (``create_reference_app``).
All run under the same gunicorn settings and are loaded in turn, in rounds
whose order alternates, so a noisy neighbour hits them alike; each ratio is
the median of the per-round ratios.
"""

import http.client

from app.extensions import db, services
from app.services.credentials import VerifiedCredentials
from bench.databases import Database, app_environment, bench_app, scratch_database
from bench.doorman_wsgi import REFERENCE_LOOKUPS
from bench.report import Row, median, ms, ratio_row
from bench.servers import GUNICORN_SETTINGS, WORKERS, Load, get, gunicorn, load_generator, run_load
from bench.stateless_wsgi import BENCH_EMAIL

NAME = "1 request path"
FLOOR = 0.85
DOORMAN_APP = "bench.doorman_wsgi:create_bench_app()"
BASELINE_APP = "bench.stateless_wsgi:create_baseline_app()"
PAGE = "/bench/whoami"
BEARER_PAGE = "/bench/bearer-whoami"


def doorman_session(database: Database) -> tuple[str, str]:
    """A signed-in Doorman session made through the services: (cookie header, email)."""
    app = bench_app(database)
    with app.app_context():
        doorman = services(app)
        user = doorman.users.create(BENCH_EMAIL, "bench password, never typed")
        new = doorman.sessions.create(
            VerifiedCredentials.without_password(user), user_agent="wrk", ip_address="127.0.0.1"
        )
        db.session.commit()
        cookie = f"{app.config['SESSION_TOKEN_COOKIE']}={new.token}"
        db.engine.dispose()
    return cookie, BENCH_EMAIL


def doorman_app_token(database: Database) -> str:
    """An app session's access token, opened through the services as POST /api/v1/auth/token opens one."""
    app = bench_app(database)
    with app.app_context():
        doorman = services(app)
        user = doorman.users.find_by_email(BENCH_EMAIL)
        if user is None:
            raise RuntimeError("doorman_session() makes the account first")
        tokens = doorman.sessions.open_app_session(
            VerifiedCredentials.without_password(user), client_name="wrk", user_agent="wrk", ip_address="127.0.0.1"
        )
        db.session.commit()
        db.engine.dispose()
    return tokens.access_token


def baseline_cookie(base_url: str) -> str:
    """Sign in to the baseline app; its Set-Cookie is the whole session."""
    host, _, port = base_url.removeprefix("http://").partition(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        conn.request("POST", "/bench/sign-in")
        response = conn.getresponse()
        response.read()
        set_cookie = response.getheader("Set-Cookie")
    finally:
        conn.close()
    if response.status != 200 or not set_cookie:
        raise RuntimeError(f"baseline sign-in failed: {response.status}")
    return set_cookie.split(";", 1)[0]


def _check(url: str, headers: dict[str, str], email: str) -> None:
    status, body = get(url, headers)
    if status != 200 or body != email:
        raise RuntimeError(f"{url} answered {status} {body[:200]!r}, not the signed-in page")


def run(backend: str, *, seconds: float = 2.0, rounds: int = 8, connections: int = 4,
        generator: str | None = None, references: bool = True, workers: int = WORKERS,
        warmup: float = 1.0) -> list[Row]:
    generator = generator or load_generator()
    with scratch_database(backend, "request_path") as database:
        doorman_cookie, email = doorman_session(database)
        access_token = doorman_app_token(database)
        doorman_env = app_environment(database.url)
        apps = {"a": DOORMAN_APP, "b": BASELINE_APP}
        if references:
            apps |= {f"a-{lookup}": f"bench.doorman_wsgi:create_reference_app({lookup!r})"
                     for lookup in REFERENCE_LOOKUPS}
        env = {**doorman_env, "BENCH_TOKEN": doorman_cookie.partition("=")[2]}
        with gunicorn(*((spec, env) for spec in apps.values()), workers=workers) as urls:
            base_urls = dict(zip(apps, urls, strict=False))
            cookie = baseline_cookie(base_urls["b"])
            targets = {which: (url + PAGE, {"Cookie": cookie if which == "b" else doorman_cookie})
                       for which, url in base_urls.items()}
            # The bearer path on Doorman's own server (a), so only the credential differs.
            targets["c"] = (base_urls["a"] + BEARER_PAGE, {"Authorization": f"Bearer {access_token}"})
            for url, headers in targets.values():
                _check(url, headers, email)
                if warmup:  # the workers' pools, caches and prepared statements
                    run_load(url, headers, seconds=warmup, connections=connections, generator=generator)
            loads: dict[str, list[Load]] = {which: [] for which in targets}
            order = list(targets)
            for round_number in range(rounds):
                # Alternate the order, so no one always gets the warmer machine.
                for which in order if round_number % 2 == 0 else reversed(order):
                    url, headers = targets[which]
                    loads[which].append(run_load(url, headers, seconds=seconds, connections=connections,
                                                 generator=generator))
            for url, headers in targets.values():
                _check(url, headers, email)  # still signed in: the numbers were of the real page

    def ratio(which: str, over: str = "b") -> float:
        pairs = zip(loads[which], loads[over], strict=False)
        return median(x.per_second / y.per_second for x, y in pairs if y.per_second)

    rows = [
        _load_row(backend, "a: Doorman database sessions", loads["a"]),
        _load_row(backend, "b: stateless signed cookie", loads["b"]),
        _load_row(backend, "c: Doorman app session, bearer token", loads["c"]),
        ratio_row(NAME, backend, "a/b requests per second", ratio("a"), at_least=FLOOR),
        ratio_row(NAME, backend, "c/a requests per second (bearer / cookie)", ratio("c", over="a")),
    ]
    if references:
        rows += [
            ratio_row(NAME, backend, "reference: Doorman with no query at all, /b", ratio("a-none")),
            ratio_row(NAME, backend, "reference: Doorman sending only SELECT 1, /b", ratio("a-select_one")),
        ]
    return rows


def describe(generator: str | None = None, connections: int = 4) -> str:
    return (f"gunicorn --workers {WORKERS} {' '.join(GUNICORN_SETTINGS)} for every app; load from "
            f"{generator or load_generator()} with {connections} connections on 127.0.0.1")


def _load_row(backend: str, case: str, loads: list[Load]) -> Row:
    per_second = median(load.per_second for load in loads)
    p50 = median(load.p50 for load in loads)
    p99 = median(load.p99 for load in loads)
    errors = sum(load.errors for load in loads)
    result = f"{per_second:,.0f} req/s, p50 {ms(p50)}, p99 {ms(p99)}"
    if errors:
        result += f", {errors} errors"
    return Row(NAME, backend, case, result,
               {"per_second": per_second, "p50": p50, "p99": p99, "errors": errors,
                "requests": sum(load.requests for load in loads)})
