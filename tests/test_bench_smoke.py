"""Every benchmark, run tiny, still runs and still measures something sane.

The benchmarks themselves are ``make bench``; this keeps them from rotting.
Each runs against SQLite, and against PostgreSQL when TEST_DATABASE_URL is
set (in schemas of its own, dropped afterwards).
"""

import math
import os

import pytest

from app.extensions import db
from bench import cleanup, devices, enrichment, history, request_cost, request_path, sign_in_cost, table_size
from bench.databases import app_environment, scratch_database
from bench.doorman_wsgi import create_reference_app
from bench.peers import run as peers
from bench.report import Row
from bench.servers import free_port
from bench.statements import recorded_statements
from tests.conftest import BACKENDS


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.delenv("BENCH_DATABASE_URL", raising=False)  # TEST_DATABASE_URL is the one to use
    monkeypatch.setenv("BENCH_SCHEMA_PREFIX", "doorman_bench_smoke")
    return request.param


def values(rows: list[Row], case_start: str) -> dict[str, float]:
    return next(row.values for row in rows if row.case.startswith(case_start))


def assert_sane_timing(measured: dict[str, float]) -> None:
    assert 0 < measured["p50"] <= measured["p99"] < 5, measured


def test_request_path(backend):
    # Two more servers to start cost a second; the reference apps run on SQLite only.
    references = backend == "sqlite"
    rows = request_path.run(backend, seconds=0.1, rounds=1, connections=2, generator="python",
                            workers=1, warmup=0, references=references)

    for case in ("a:", "b:", "c:"):
        measured = values(rows, case)
        assert measured["requests"] > 0 and measured["per_second"] > 0 and measured["errors"] == 0
        assert_sane_timing(measured)
    cases = ["a/b", "c/a"] + (["reference: Doorman with no query", "reference: Doorman sending only SELECT 1"]
                       if references else [])
    for case in cases:
        assert 0 < values(rows, case)["ratio"] < 10


def test_request_cost(backend):
    rows = request_cost.run(backend, requests=3)

    for what in ("authenticated request", "bearer-token request"):
        assert values(rows, f"{what} inside") == {"statements": 1, "writes": 0}
        assert values(rows, f"first {what} after")["writes"] == 1
    assert all(row.met for row in rows)


def test_devices(backend):
    rows = devices.run(backend, sizes=(1, 3), requests=3)

    for case in ("1 session", "3 sessions"):
        measured = values(rows, case)
        assert measured["statements"] in (1, 2)
        assert_sane_timing(measured)
    assert values(rows, "3 sessions / 1")["ratio"] > 0


def test_table_size(backend):
    rows = table_size.run(backend, sizes=(20, 200), lookups=10, in_use=5)

    for case in ("20 rows, 5 sessions in use", "200 rows, 5 sessions in use", "20 rows, any", "200 rows, any"):
        measured = values(rows, case)
        assert measured["lookups"] == 10
        assert_sane_timing(measured)
    floored = [row for row in rows if row.floor]
    assert [row.case for row in floored] == ["200 rows / 20 (p50), sessions in use"]
    assert values(rows, "200 rows / 20 (p50), any session")["ratio"] > 0


def test_cleanup(backend):
    rows = cleanup.run(backend, sizes=(30,), batch_size=7, repeats=1)

    measured = values(rows, "30 expired rows")
    # Sign-ins running alongside delete their owners' expired rows themselves: on a busy machine
    # they can get to all 30 first (what cleanup deletes is tests/test_sessions_cleanup.py's to check).
    assert 0 <= measured["deleted"] <= 30
    assert measured["transactions"] >= math.ceil(measured["deleted"] / 7)
    assert 0 <= measured["longest_transaction"] < 5
    assert values(rows, "sign-ins during")["sign_in_errors"] == 0


def test_enrichment():
    rows = enrichment.run(calls=20)

    for case in ("User-Agent parse, uncached", "User-Agent parse, cached", "GeoIP lookup"):
        assert_sane_timing(values(rows, case))
    assert values(rows, "User-Agent parse, cached")["p50"] < values(rows, "User-Agent parse, uncached")["p50"]


@pytest.mark.parametrize("lookup, sent", [("none", []), ("select_one", ["SELECT 1"])])
def test_reference_apps_send_only_what_they_say_and_never_write(backend, monkeypatch, lookup, sent):
    """Past the touch interval too: a reference that wrote would measure a write, not the app."""
    with scratch_database(backend, f"reference_{lookup}") as database:
        cookie, email = request_path.doorman_session(database)
        for name, value in app_environment(database.url, SESSION_TOUCH_INTERVAL="0").items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("BENCH_TOKEN", cookie.partition("=")[2])
        app = create_reference_app(lookup)
        client = app.test_client()
        name, _, token = cookie.partition("=")
        client.set_cookie(name, token, domain="localhost")

        with recorded_statements(app) as statements:
            responses = [client.get(request_path.PAGE, base_url="https://localhost") for _ in range(3)]

        assert [(r.status_code, r.get_data(as_text=True)) for r in responses] == [(200, email)] * 3
        assert [statement.strip() for statement in statements] == sent * 3
        with app.app_context():
            db.engine.dispose()


def test_history(backend):
    rows = history.run(backend, events=4000, accounts=50, queries=5, inserts=5)

    if backend != "postgresql":
        assert rows == []  # partitions are PostgreSQL's
        return
    partitioned, plain = values(rows, "partitioned: 4,000 events"), values(rows, "plain: 4,000 events")
    # The same rows, so the same ones purged: about a quarter of a year.
    assert partitioned["purged"] == plain["purged"] and 800 < plain["purged"] < 1200
    for measured in (partitioned, plain):
        assert 0 < measured["query_p50"] <= measured["query_p99"] < 5
        assert 0 < measured["insert_small_p50"] < 5 and 0 < measured["insert_large_p50"] < 5


def test_sign_in_cost(backend):
    rows = sign_in_cost.run(backend, calls=8, profile="CHEAPEST")

    parts = [row.values["p50"] for row in rows[:-1]]
    assert len(parts) == 4 and all(0 < p < 5 for p in parts)
    assert values(rows, "one sign-in")["p50"] == pytest.approx(sum(parts))


def test_peers_skip_with_their_reason_without_postgresql(monkeypatch):
    monkeypatch.delenv("BENCH_DATABASE_URL", raising=False)
    monkeypatch.delenv("TEST_DATABASE_URL", raising=False)

    [row] = peers.run()

    assert row.case == "skipped" and "BENCH_DATABASE_URL" in row.result


def test_peers_see_no_redis_where_none_answers(monkeypatch):
    monkeypatch.setattr(peers, "REDIS_PORT", free_port())  # nothing listens there

    assert not peers.redis_answers()


@pytest.mark.skipif(not peers.venv_python().exists(),
                    reason="the peers' virtual environment (bench/peers/.venv) is made by `make bench "
                           "BENCH_ARGS='--only 9'`: a pip install too slow for a smoke test")
@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="the peers need PostgreSQL")
def test_peers(monkeypatch):
    """About 30 s (eight servers, Django's migrations): run only where the peers are installed.

    ``run`` also ends every session on the server side at the end and raises
    unless exactly the revocable peers then refuse their cookies.
    """
    monkeypatch.delenv("BENCH_DATABASE_URL", raising=False)
    monkeypatch.setenv("BENCH_SCHEMA_PREFIX", "doorman_bench_smoke")

    rows = peers.run(seconds=0.5, rounds=1, connections=2, generator="python", workers=1, warmup=0)

    measured = {(row.database, row.case): row.values for row in rows
                if "revocable" in row.case and "fastest" not in row.case}
    assert len(measured) == (8 if peers.redis_answers() else 7)
    for case, numbers in measured.items():
        assert numbers["requests"] > 0 and numbers["errors"] == 0, case
        assert_sane_timing(numbers)
        assert 0 < numbers["to_stateless"] < 10 and 0 < numbers["to_fastest_revocable"] < 10
    assert measured["-", "Flask-Login, stateless signed cookie (not revocable)"]["to_stateless"] == 1
    assert values(rows, "fastest revocable peer")["per_second"] > 0
