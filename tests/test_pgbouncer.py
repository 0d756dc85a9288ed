"""Doorman through a real PgBouncer in transaction pooling mode (issue 16).

Debian 12's PgBouncer is 1.18, which does not track prepared statements
(``max_prepared_statements`` came in 1.21), so the app runs with
DATABASE_PREPARE_THRESHOLD=none, as docs/deploy.md says; the last test shows
what goes wrong without it.
"""

from collections.abc import Iterator

import psycopg
import pytest
from flask import Flask
from sqlalchemy import func, select, text

from app.extensions import db
from app.models import Base, EndReason, UserSession
from app.services.sessions import Ending, hash_token
from bench.statements import recorded_statements
from tests.conftest import PASSWORD, create_test_app
from tests.helpers import run_together
from tests.servers import pgbouncer


@pytest.fixture(scope="module")
def bouncer_url(database_url: str) -> Iterator[str]:
    """PgBouncer (pool_mode=transaction) in front of the migrated test database."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite run: PgBouncer sits in front of PostgreSQL (the PostgreSQL run needs TEST_DATABASE_URL)")
    with pgbouncer(database_url, pool_size=4) as url:
        yield url


@pytest.fixture
def app(bouncer_url: str, clock) -> Iterator[Flask]:
    """The app with every connection through PgBouncer, prepared statements off (PgBouncer < 1.21)."""
    app = create_test_app(bouncer_url, clock=clock, environ={"DATABASE_PREPARE_THRESHOLD": "none"},
                          MAX_SESSIONS_PER_USER=2)
    yield app
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as connection:
            names = ", ".join(table.name for table in Base.metadata.sorted_tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


def test_the_app_really_talks_to_pgbouncer(app):
    with app.app_context():
        assert db.engine.url.port != 5432
        assert db.session.execute(text("SELECT current_setting('application_name', true)")).scalar() is not None
        with db.engine.connect() as connection:
            assert connection.connection.dbapi_connection.prepare_threshold is None


def test_sign_in_then_each_request_looks_its_session_up_in_one_statement(app, client, auth, make_user):
    user = make_user()
    assert auth.sign_in(user.email).status_code == 302
    for _ in range(8):  # more than psycopg's default threshold of 5: nothing gets prepared
        assert client.get("/devices").status_code == 200

    with recorded_statements(app) as statements:
        response = client.get("/sign-in")  # a signed-in visitor is sent on without more SQL

    assert response.status_code == 302
    assert len(statements) == 1 and "user_sessions" in statements[0], statements


def test_a_session_ended_elsewhere_is_refused_on_its_very_next_request(app, make_user, services):
    user = make_user()
    laptop, phone = app.test_client(), app.test_client()
    for browser in (laptop, phone):
        assert browser.post("/sign-in", data={"email": user.email, "password": PASSWORD}).status_code == 302
        assert browser.get("/devices").status_code == 200
    with app.app_context():
        phone_token = phone.get_cookie(app.config["SESSION_TOKEN_COOKIE"]).value
        phone_session = db.session.scalars(
            select(UserSession).where(UserSession.session_token_hash == hash_token(phone_token))
        ).one()
        services.sessions.end(phone_session.id, owner_id=user.id,
                              ending=Ending.by_user(user.id, EndReason.REVOKED_BY_USER))
        db.session.commit()

    assert phone.get("/devices").status_code == 302
    assert laptop.get("/devices").status_code == 200


def test_sign_ins_racing_at_the_session_limit_never_exceed_it(app, make_user):
    user = make_user()

    def sign_in() -> int:
        return app.test_client().post("/sign-in", data={"email": user.email, "password": PASSWORD}).status_code

    assert run_together(*[sign_in] * 6) == [302] * 6
    with app.app_context():
        active = db.session.scalar(select(func.count()).select_from(UserSession).where(
            UserSession.user_id == user.id, UserSession.is_active.is_(True)))
    assert active == 2  # MAX_SESSIONS_PER_USER, with row locks held across PgBouncer's pooled connections


def test_requests_racing_their_own_revocation_never_error_and_never_come_back(app, make_user, make_session,
                                                                                services):
    user = make_user()
    row, token = make_session(user)
    cookie = app.config["SESSION_TOKEN_COOKIE"]

    def keeps_browsing() -> list[int]:
        statuses = []
        for _ in range(10):
            browser = app.test_client()
            browser.set_cookie(cookie, token)
            statuses.append(browser.get("/devices").status_code)
        return statuses

    def revoked() -> int:
        with app.app_context():
            services.sessions.end(row.id, owner_id=user.id, ending=Ending.by_user(user.id, EndReason.REVOKED_BY_USER))
            db.session.commit()
        return 0

    *browsing, _ = run_together(keeps_browsing, keeps_browsing, keeps_browsing, revoked)

    for statuses in browsing:
        assert set(statuses) <= {200, 302}, statuses
        if 302 in statuses:
            assert 200 not in statuses[statuses.index(302):], statuses
    late = app.test_client()
    late.set_cookie(cookie, token)
    assert late.get("/devices").status_code == 302


def test_sessions_cleanup_runs_through_it(app, make_user, make_session, clock):
    user = make_user()
    expired, _ = make_session(user)
    clock.advance(days=70)  # past its lifetime and the retention of ended sessions
    kept, _ = make_session(make_user())  # someone else's: a sign-in deletes its owner's expired rows itself

    result = app.test_cli_runner().invoke(args=["sessions", "cleanup", "--batch-size", "1"])

    assert result.exit_code == 0, result.output
    assert "Cleaned up 1 session" in result.output
    with app.app_context():
        assert db.session.get(UserSession, expired.id) is None
        assert db.session.get(UserSession, kept.id) is not None


def test_without_it_prepared_statements_collide_on_a_shared_server_connection(database_url):
    """Why DATABASE_PREPARE_THRESHOLD=none: two clients of PgBouncer 1.18 on one server connection.

    psycopg names its prepared statements per client connection (_pg3_0,
    _pg3_1, ...); in transaction mode both clients' statements reach the same
    server connection, where the second _pg3_0 already exists.
    """
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite run: PgBouncer sits in front of PostgreSQL (the PostgreSQL run needs TEST_DATABASE_URL)")
    with pgbouncer(database_url, pool_size=1) as url:
        dsn = url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn, prepare_threshold=0, autocommit=True) as first, \
                psycopg.connect(dsn, prepare_threshold=0, autocommit=True) as second:
            assert first.execute("SELECT 1").fetchone() == (1,)
            with pytest.raises(psycopg.errors.DuplicatePreparedStatement):
                second.execute("SELECT 2")
