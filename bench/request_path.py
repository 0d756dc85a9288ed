"""Benchmark 1: one small authenticated page through gunicorn, Doorman's sessions against a stateless cookie.

(a) Doorman: the real ``create_app`` plus ``/bench/whoami`` (``@login_required``,
returns the email), the cookie resolved against the database on every request.
(b) Flask's signed cookie with Flask-Login's defaults and no database
(``bench/stateless_wsgi.py`` says exactly what it does).
Both run under the same gunicorn settings and are loaded in alternating
rounds in the same run, so a noisy neighbour hits both alike; the ratio is
the median of the per-round ratios.
"""

from bench.databases import SECRET_KEY, Database, app_config, bench_app, scratch_database
from bench.report import Row, median, ms, ratio_row
from bench.servers import GUNICORN_SETTINGS, Load, get, gunicorn, load_generator, run_load
from bench.stateless_wsgi import BENCH_EMAIL

NAME = "1 request path"
FLOOR = 0.85
DOORMAN_APP = "bench.doorman_wsgi:create_bench_app()"
BASELINE_APP = "bench.stateless_wsgi:create_baseline_app()"
PAGE = "/bench/whoami"


def doorman_session(database: Database) -> tuple[str, str]:
    """A signed-in Doorman session made through the services: (cookie header, email)."""
    app = bench_app(database)
    with app.app_context():
        from app.extensions import db

        user = app.extensions["doorman.users"].create(BENCH_EMAIL, "bench password, never typed")
        new = app.extensions["doorman.sessions"].create(user, user_agent="wrk", ip_address="127.0.0.1")
        db.session.commit()
        cookie = f"{app.config['SESSION_TOKEN_COOKIE']}={new.token}"
        db.engine.dispose()
    return cookie, BENCH_EMAIL


def baseline_cookie(base_url: str) -> str:
    import http.client

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


def run(backend: str, *, seconds: float = 5.0, rounds: int = 3, connections: int = 4,
        generator: str | None = None) -> list[Row]:
    generator = generator or load_generator()
    with scratch_database(backend, "request_path") as database:
        doorman_cookie, email = doorman_session(database)
        doorman_env = {key: str(value) for key, value in app_config(database.url).items()}
        with gunicorn((DOORMAN_APP, doorman_env), (BASELINE_APP, {"SECRET_KEY": SECRET_KEY})) as urls:
            doorman_url, baseline_url = urls
            targets = {
                "a": (doorman_url + PAGE, {"Cookie": doorman_cookie}),
                "b": (baseline_url + PAGE, {"Cookie": baseline_cookie(baseline_url)}),
            }
            for url, headers in targets.values():
                _check(url, headers, email)
                run_load(url, headers, seconds=min(seconds, 1.0), connections=connections, generator=generator)
            loads: dict[str, list[Load]] = {"a": [], "b": []}
            for round_number in range(rounds):
                # Alternate which goes first, so neither always gets the warmer machine.
                for which in ("a", "b") if round_number % 2 == 0 else ("b", "a"):
                    url, headers = targets[which]
                    loads[which].append(run_load(url, headers, seconds=seconds, connections=connections,
                                                 generator=generator))
            for url, headers in targets.values():
                _check(url, headers, email)  # still signed in: the numbers were of the real page

    ratio = median(a.per_second / b.per_second for a, b in zip(loads["a"], loads["b"]) if b.per_second)
    return [
        _load_row(backend, "a: Doorman database sessions", loads["a"]),
        _load_row(backend, "b: stateless signed cookie", loads["b"]),
        ratio_row(NAME, backend, "a/b requests per second", ratio, at_least=FLOOR),
    ]


def describe(generator: str | None = None, connections: int = 4) -> str:
    return (f"gunicorn {' '.join(GUNICORN_SETTINGS)} for both apps; load from "
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
