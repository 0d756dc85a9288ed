"""A read replica that cannot be reached never takes the history pages down: they read the primary.

The replica here is one that is not there: a closed port on PostgreSQL, a
file in a directory that does not exist on SQLite. The router's own test
makes that directory appear, so the replica comes back and is read again once
the retry interval has passed. tests/test_replica.py has the real replica.
"""

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from app.database import ReplicaOrPrimary
from app.extensions import db
from tests.conftest import PASSWORD

WARNING = "the read replica is unreachable; history pages read the primary"


def unreachable_replica_url(database_url: str) -> str:
    if database_url.startswith("postgresql"):
        return "postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=2"
    return "sqlite:////nonexistent-doorman-replica/replica.sqlite3"


@pytest.fixture(autouse=True)
def replica_that_is_not_there(request: pytest.FixtureRequest, database_url: str) -> None:
    """The app (conftest's, built after this) gets DATABASE_REPLICA_URL pointing nowhere."""
    request.node.add_marker(pytest.mark.env(
        DATABASE_REPLICA_URL=unreachable_replica_url(database_url), DATABASE_REPLICA_RETRY_AFTER="30"))


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith(WARNING)]


def test_the_activity_page_answers_from_the_primary_and_the_replica_is_tried_once_per_interval(
    app, client, make_user, caplog
):
    user = make_user()
    assert client.post("/sign-in", data={"email": user.email, "password": PASSWORD}).status_code == 302
    caplog.set_level(logging.WARNING, logger=app.logger.name)

    first = client.get("/activity")
    second = client.get("/activity")

    assert first.status_code == 200 and second.status_code == 200
    assert "Signed in from" in first.get_data(as_text=True)
    assert warnings_of(caplog) == [WARNING + " for 30s"]  # the second page did not try it again
    for record in caplog.records:  # neither host, port nor file is logged
        assert "127.0.0.1" not in record.getMessage() and "nonexistent" not in record.getMessage()


@pytest.mark.env(DATABASE_REPLICA_RETRY_AFTER="0")
def test_with_no_retry_interval_every_page_tries_the_replica_again(app, client, make_user, caplog):
    user = make_user()
    assert client.post("/sign-in", data={"email": user.email, "password": PASSWORD}).status_code == 302
    caplog.set_level(logging.WARNING, logger=app.logger.name)

    assert [client.get("/activity").status_code for _ in range(2)] == [200, 200]
    assert len(warnings_of(caplog)) == 2


def test_readyz_reports_the_replica_and_stays_ready(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ready"
    assert body["checks"]["replica"] == "unreachable; reading the primary"


def test_staff_search_and_audit_answer_from_the_primary(app, make_user, auth, client):
    make_user("staff@example.com", role="admin")
    make_user("someone@example.com")
    assert auth.sign_in("staff@example.com").status_code == 302

    found = client.get("/support/", query_string={"q": "someone"})
    audit = client.get("/support/audit")

    assert found.status_code == 200 and "someone@example.com" in found.get_data(as_text=True)
    assert audit.status_code == 200


# -- the router, on real engines ------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def engines(tmp_path: Path) -> Iterator[tuple[Engine, Engine, Path]]:
    """A primary and a replica whose directory does not exist yet (SQLite files)."""
    primary = create_engine(f"sqlite:///{tmp_path / 'primary.sqlite3'}")
    later = tmp_path / "later"
    replica = create_engine(f"sqlite:///{later / 'replica.sqlite3'}", pool_pre_ping=True)
    yield primary, replica, later
    primary.dispose()
    replica.dispose()


def served_by(router: ReplicaOrPrimary) -> Engine:
    with router.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1
        return connection.engine


def test_the_router_reads_the_replica_again_once_it_is_back_and_the_interval_has_passed(engines, caplog):
    primary, replica, later = engines
    clock = Clock()
    router = ReplicaOrPrimary(lambda: replica, lambda: primary, logger=logging.getLogger("doorman.test"),
                              retry_after=30, clock=clock)
    caplog.set_level(logging.WARNING, logger="doorman.test")

    assert served_by(router) is primary and not router.replica_reachable
    later.mkdir()  # the replica is back ...
    clock.now += 29
    assert served_by(router) is primary  # ... but is not tried within the interval
    clock.now += 1
    assert served_by(router) is replica and router.replica_reachable
    assert len(warnings_of(caplog)) == 1


def test_the_router_leaves_a_reachable_replica_in_use(engines, tmp_path):
    primary, replica, later = engines
    later.mkdir()
    router = ReplicaOrPrimary(lambda: replica, lambda: primary, logger=logging.getLogger("doorman.test"))

    assert [served_by(router) for _ in range(3)] == [replica] * 3


def test_a_history_session_takes_one_connection_and_gives_it_back_when_removed(engines):
    from sqlalchemy.orm import scoped_session, sessionmaker

    from app.database import HistorySession

    primary, replica, later = engines
    later.mkdir()
    router = ReplicaOrPrimary(lambda: replica, lambda: primary, logger=logging.getLogger("doorman.test"))
    history = scoped_session(sessionmaker(class_=HistorySession, router=router))

    for _ in range(2):
        assert history.execute(text("SELECT 1")).scalar() == 1
    assert replica.pool.checkedout() == 1  # one connection for the whole session
    session = history()  # still referenced: only closing it gives the connection back
    history.remove()
    assert replica.pool.checkedout() == 0 and session.bind.closed


def test_the_replica_engine_pings_a_pooled_connection_before_handing_it_out(app):
    with app.app_context():
        replica = db.engines["replica"]
        assert replica.pool._pre_ping is True
        assert replica.url.render_as_string(hide_password=False) == app.config["DATABASE_REPLICA_URL"]
