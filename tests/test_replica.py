"""DATABASE_REPLICA_URL: history pages may read a replica; nothing that decides access ever does (issue 16).

The replica is real: a PostgreSQL 15 streaming replica made with
``pg_basebackup -R`` from a primary of the tests' own (tests/servers.py).
Pausing its replay (``pg_wal_replay_pause()``) makes it as far behind as a
test needs.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select, text

from app.extensions import db
from app.extensions import services as services_of
from app.models import Base, SecurityEvent, UserSession
from app.services.sessions import hash_token
from tests.conftest import PASSWORD, create_test_app
from tests.servers import PrimaryAndReplica, primary_and_replica

APP_AGENT = "DoormanTestApp/1.0 (replica test)"


def _dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


@pytest.fixture(scope="session")
def replicated() -> Iterator[PrimaryAndReplica]:
    """A migrated primary and its streaming replica."""
    with primary_and_replica("doorman") as pair:
        migrating = create_test_app(pair.primary.url("doorman"))
        with migrating.app_context():
            upgrade()
            db.engine.dispose()
        yield pair


def caught_up(pair: PrimaryAndReplica, timeout: float = 20) -> None:
    """Wait until the replica has replayed everything the primary has written so far."""
    with psycopg.connect(_dsn(pair.primary.url("doorman")), autocommit=True) as primary:
        target = primary.execute("SELECT pg_current_wal_lsn()").fetchone()[0]  # type: ignore[index]
    with psycopg.connect(_dsn(pair.replica.url("doorman")), autocommit=True) as replica:
        deadline = time.monotonic() + timeout
        while not replica.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,)).fetchone()[0]:  # type: ignore[index]
            assert time.monotonic() < deadline, "the replica did not catch up"
            time.sleep(0.05)


@contextmanager
def replay_paused(pair: PrimaryAndReplica) -> Iterator[psycopg.Connection]:
    """The replica stops applying what the primary writes until the block ends; yields a connection to it."""
    with psycopg.connect(_dsn(pair.replica.url("doorman")), autocommit=True) as replica:
        replica.execute("SELECT pg_wal_replay_pause()")
        deadline = time.monotonic() + 10
        while replica.execute("SELECT pg_get_wal_replay_pause_state()").fetchone()[0] != "paused":  # type: ignore[index]
            assert time.monotonic() < deadline, "the replica did not pause"
            time.sleep(0.02)
        try:
            yield replica
        finally:
            replica.execute("SELECT pg_wal_replay_resume()")


@pytest.fixture
def app(replicated: PrimaryAndReplica, clock) -> Iterator[Flask]:
    """The app on the primary, with DATABASE_REPLICA_URL set to the replica."""
    app = create_test_app(replicated.primary.url("doorman"), clock=clock,
                          environ={"DATABASE_REPLICA_URL": replicated.replica.url("doorman")})
    yield app
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as connection:
            names = ", ".join(table.name for table in Base.metadata.sorted_tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        for engine in db.engines.values():
            engine.dispose()


def session_id_of(app: Flask, *, session_token: str | None = None, access_token: str | None = None):
    with app.app_context():
        column = UserSession.session_token_hash if session_token else UserSession.access_token_hash
        return db.session.scalars(select(UserSession.id).where(column == hash_token(session_token or access_token))
                                  ).one()


def test_revoked_cookie_and_bearer_token_are_refused_while_the_replica_still_lists_them_active(
    app, replicated, make_user
):
    user = make_user()
    laptop, phone = app.test_client(), app.test_client()
    for browser in (laptop, phone):
        assert browser.post("/sign-in", data={"email": user.email, "password": PASSWORD}).status_code == 302
    tokens = phone.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD},
                        headers={"User-Agent": APP_AGENT}).get_json()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert phone.get("/devices").status_code == 200
    assert app.test_client().get("/api/v1/sessions", headers=bearer).status_code == 200
    cookie = phone.get_cookie(app.config["SESSION_TOKEN_COOKIE"]).value
    ended = [session_id_of(app, session_token=cookie), session_id_of(app, access_token=tokens["access_token"])]
    caught_up(replicated)
    with app.app_context():
        history_before = services_of(app).audit.activity(user.id, since=None, page=1, per_page=100).total

    with replay_paused(replicated) as replica:
        for session_id in ended:  # the laptop signs the phone's browser and app out, on the primary
            assert laptop.post(f"/devices/{session_id}/sign-out").status_code == 302

        assert phone.get("/devices").status_code == 302
        api = app.test_client().get("/api/v1/sessions", headers=bearer)
        assert api.status_code == 401
        still_active = replica.execute(
            "SELECT count(*) FROM user_sessions WHERE id = ANY(%s) AND is_active", (ended,)).fetchone()[0]
        assert still_active == 2  # the replica has not seen either revocation
        # The activity page reads the replica: it answers, without the two sign-outs yet.
        assert laptop.get("/activity").status_code == 200
        with app.app_context():
            assert services_of(app).audit.activity(user.id, since=None, page=1, per_page=100).total == history_before
            on_primary = db.session.scalar(select(db.func.count()).select_from(SecurityEvent).where(
                SecurityEvent.subject_id == user.id))
        assert on_primary == history_before + 2

    caught_up(replicated)
    with app.app_context():
        assert services_of(app).audit.activity(user.id, since=None, page=1, per_page=100).total == on_primary
    with psycopg.connect(_dsn(replicated.replica.url("doorman"))) as replica:
        assert replica.execute("SELECT count(*) FROM user_sessions WHERE id = ANY(%s) AND is_active",
                               (ended,)).fetchone()[0] == 0
    assert phone.get("/devices").status_code == 302


def test_support_search_and_staff_audit_read_the_replica(app, replicated, make_user):
    staff = make_user("staff@example.com", role="admin")
    make_user("early@example.com")
    caught_up(replicated)
    console = app.test_client()
    assert console.post("/sign-in", data={"email": staff.email, "password": PASSWORD}).status_code == 302

    with replay_paused(replicated):
        make_user("late@example.com")  # on the primary only, for now
        early = console.get("/support/?q=early")
        late = console.get("/support/?q=late")
        audit = console.get("/support/audit")

    assert early.status_code == 200 and "early@example.com" in early.get_data(as_text=True)
    assert late.status_code == 200 and "late@example.com" not in late.get_data(as_text=True)
    assert audit.status_code == 200
    caught_up(replicated)
    assert "late@example.com" in console.get("/support/?q=late").get_data(as_text=True)


def test_without_a_replica_every_history_read_goes_to_the_primary(database_url, tmp_path):
    from app.database import history_session

    plain = create_test_app(database_url)
    with plain.app_context():
        assert list(db.engines) == [None]  # one engine: DATABASE_URL's
        assert history_session(plain) is db.session
        db.engine.dispose()


def test_the_replica_url_is_read_like_database_url(tmp_path):
    from app.config import load_config

    config = load_config({"DOORMAN_ENV": "test", "DATABASE_REPLICA_URL": "postgres://reader@replica/doorman"},
                         str(tmp_path))
    assert config["DATABASE_REPLICA_URL"] == "postgresql+psycopg://reader@replica/doorman"
    assert load_config({"DOORMAN_ENV": "test"}, str(tmp_path))["DATABASE_REPLICA_URL"] is None


def test_the_session_lookup_and_the_devices_page_never_use_the_replica(app, replicated, make_user):
    """Every statement of a signed-in request to a page that decides access runs on the primary's engine."""
    from sqlalchemy import event

    from app.database import REPLICA_BIND
    from bench.statements import recorded_statements

    user = make_user()
    browser = app.test_client()
    assert browser.post("/sign-in", data={"email": user.email, "password": PASSWORD}).status_code == 302
    on_replica: list[str] = []
    with app.app_context():
        replica_engine = db.engines[REPLICA_BIND]

    def record(_conn, _cursor, statement, *_rest):
        on_replica.append(statement)

    event.listen(replica_engine, "before_cursor_execute", record)
    try:
        with recorded_statements(app) as on_primary:
            assert browser.get("/devices").status_code == 200
            assert browser.get("/activity").status_code == 200
    finally:
        event.remove(replica_engine, "before_cursor_execute", record)
    assert any("user_sessions" in statement and "JOIN users" in statement for statement in on_primary)
    assert on_replica and all("security_events" in statement for statement in on_replica), on_replica
