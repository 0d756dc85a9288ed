"""The soak (``make soak``): a short real run passes, and its checker catches each broken promise.

The real run needs PostgreSQL (TEST_DATABASE_URL) and takes about 25 s:
gunicorn, the mixed load and the cleanup, in a schema of its own.
The checker is a pure function of what was observed, so each invariant's
failure is shown by handing it an observation that breaks it.
"""

import os

import pytest

from bench import soak
from bench.soak import Observations, Probe, Revocation, check

LIMIT = 5
MiB = 2**20


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="the soak needs PostgreSQL: set TEST_DATABASE_URL")
def test_a_short_soak_passes_every_invariant(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BENCH_DATABASE_URL", raising=False)  # TEST_DATABASE_URL is the one to use
    monkeypatch.setenv("BENCH_SCHEMA_PREFIX", "doorman_soak_smoke")
    verdicts, seen, facts = soak.run(0.25, accounts=8, threads=4, workers=2, cleanup_every=5)

    assert [v.name for v in verdicts if not v.passed] == [], soak.summary(verdicts, seen, facts)
    kinds = {kind for kind, _, _ in seen.requests}
    assert {"browser sign-in", "page view", "api sign-in", "api refresh"} <= kinds
    assert seen.revocations and seen.probes and seen.cleanups
    assert "| 1 nothing served after revocation | PASS |" in soak.summary(verdicts, seen, facts)


def healthy() -> Observations:
    """What a good run looks like: one revocation, probed after with a refusal, flat memory."""
    return Observations(
        requests=[("page view", 200, 0.01), ("probe revoked cookie", 302, 0.01)],
        revocations=[Revocation("one", ("cookie abc",), committed_at=10.0)],
        probes=[Probe("cookie abc", 200, sent_at=9.5), Probe("cookie abc", 302, sent_at=10.0)],
        session_counts=[(1.0, 3), (2.0, LIMIT)],
        memory=[(float(t), 100 * MiB) for t in range(20)],
        worker_pids={1, 2},
        revoked_rows={"row-1"},
        evented_rows={"row-1", "row-2"},
        cleanups=[0],
    )


def failed(seen: Observations) -> list[str]:
    return [verdict.name for verdict in check(seen, session_limit=LIMIT) if not verdict.passed]


def test_a_healthy_run_passes_every_invariant() -> None:
    # A 200 sent before the revocation's answer arrived is no violation: it may have been served first.
    assert failed(healthy()) == []


def test_a_200_on_a_revoked_session_after_its_revocation_is_caught() -> None:
    seen = healthy()
    seen.probes.append(Probe("cookie abc", 200, sent_at=10.2))
    verdict = check(seen, session_limit=LIMIT)[0]
    assert not verdict.passed
    assert "1 answered 200" in verdict.detail and "0.200 s after" in verdict.detail


def test_a_5xx_a_failed_connection_or_a_failed_cleanup_is_caught() -> None:
    for broken in (("page view", 500, 0.01), ("api refresh", 0, 0.01)):
        seen = healthy()
        seen.requests.append(broken)
        assert failed(seen) == ["2 no 5xx"]
    seen = healthy()
    seen.cleanups.append(1)
    assert failed(seen) == ["2 no 5xx"]


def test_a_revocation_without_its_event_is_caught() -> None:
    seen = healthy()
    seen.revoked_rows.add("row-3")
    assert failed(seen) == ["3 every revocation has its event"]


def test_an_account_over_the_session_limit_is_caught() -> None:
    seen = healthy()
    seen.session_counts.append((3.0, LIMIT + 1))
    assert failed(seen) == ["4 sessions within the limit"]


def test_growing_worker_memory_is_caught_and_warm_up_growth_is_not() -> None:
    seen = healthy()
    seen.memory = [(float(t), (100 + 5 * t) * MiB) for t in range(20)]  # a leak: +5 MiB a sample
    assert failed(seen) == ["5 worker memory flat"]
    seen.memory = [(float(t), (60 + 10 * t if t < 4 else 100) * MiB) for t in range(20)]  # warm-up, then flat
    assert failed(seen) == []


def test_a_run_that_observed_nothing_passes_nothing() -> None:
    assert len(failed(Observations())) == 5
