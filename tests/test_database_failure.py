"""Fail closed when the database really goes away (ASVS 5.0 7.2.1; SECURITY-CHECKS "fail closed").

No mocks: PostgreSQL connections are killed with pg_terminate_backend, the
app is pointed at a port where nothing listens, and a SQLite file is deleted
under a running app. In every case the answer is a 503 page that shows no
account and no database detail, never a signed-in page, and a revocation
that did not commit never says it happened.
"""

import os
import re
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from app.extensions import db
from app.extensions import services as services_of
from app.services.sessions import new_token
from tests.conftest import PASSWORD, create_test_app

# What must never reach the page: driver, SQL and connection details.
LEAKS = ("Traceback", "OperationalError", "psycopg", "sqlite", "SELECT", "user_sessions",
         "127.0.0.1", "port 1", "no such table", "refused", "connection", "sqlalche.me")


def assert_503_without_account_or_details(response, email: str | None = None) -> None:
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "cannot reach its database" in page
    assert "Your devices" not in page and "Sign out</button>" not in page
    if email:
        assert email not in page
    # The language switch (<select>, its option "selected") is the page's own markup, not SQL.
    words = re.sub(r"</?select\b| selected>", "", page).lower()
    for leak in LEAKS:
        assert leak.lower() not in words, leak


def postgresql_only(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("terminating server connections needs PostgreSQL; SQLite has no server")


def test_v7_2_1_postgresql_connections_killed_mid_session_answer_503_then_recover(app, client, signed_in, database_url):
    postgresql_only(database_url)
    assert client.get("/devices").status_code == 200  # the pool now holds live connections
    killer = create_engine(database_url)
    with killer.begin() as conn:
        killed = conn.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )).scalar()
    killer.dispose()
    assert killed >= 1

    assert_503_without_account_or_details(client.get("/devices"), signed_in.email)
    assert client.get("/devices").status_code == 200  # the pool reconnects; nothing was lost


@pytest.fixture
def unreachable_postgresql() -> Flask:
    # Port 1 on the loopback address: nothing listens, so every connection is refused.
    return create_test_app("postgresql://postgres@127.0.0.1:1/doorman")


def test_an_unreachable_postgresql_fails_closed_on_every_kind_of_request(unreachable_postgresql):
    client = unreachable_postgresql.test_client()
    client.set_cookie(unreachable_postgresql.config["SESSION_TOKEN_COOKIE"], new_token())

    assert_503_without_account_or_details(client.get("/devices"))
    assert_503_without_account_or_details(client.get("/sign-in"))  # a cookie means a lookup
    assert_503_without_account_or_details(client.post("/sign-out"))
    client.delete_cookie(unreachable_postgresql.config["SESSION_TOKEN_COOKIE"])
    assert client.get("/sign-in").status_code == 200  # no cookie, no lookup: the form still shows
    assert_503_without_account_or_details(
        client.post("/sign-in", data={"email": "a@example.com", "password": PASSWORD})
    )


def sqlite_app(path: Path) -> Flask:
    app = create_test_app(f"sqlite:///{path}")
    with app.app_context():
        upgrade()
    return app


def test_a_deleted_sqlite_file_fails_closed(tmp_path):
    path = tmp_path / "doorman.sqlite3"
    app = sqlite_app(path)
    with app.app_context():
        services_of(app).users.create("gone@example.com", PASSWORD)
        db.session.commit()
    client = app.test_client()
    client.post("/sign-in", data={"email": "gone@example.com", "password": PASSWORD})
    assert client.get("/devices").status_code == 200

    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if name.exists():
            os.remove(name)
    # A connection opened now (a pool refill, another worker) finds no tables.
    with app.app_context():
        db.engine.dispose()

    assert_503_without_account_or_details(client.get("/devices"), "gone@example.com")
    assert_503_without_account_or_details(
        client.post("/sign-in", data={"email": "gone@example.com", "password": PASSWORD})
    )
    with app.app_context():
        db.engine.dispose()


def test_a_sqlite_file_that_cannot_be_opened_fails_closed(tmp_path):
    app = create_test_app(f"sqlite:///{tmp_path / 'no-such-directory' / 'doorman.sqlite3'}")
    client = app.test_client()
    client.set_cookie(app.config["SESSION_TOKEN_COOKIE"], new_token())
    assert_503_without_account_or_details(client.get("/devices"))


@pytest.fixture
def refusing_session_end(app):
    """A database that refuses to end sessions: at COMMIT on PostgreSQL (a deferred
    constraint trigger), at the UPDATE on SQLite (which has no deferred triggers)."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            install = [
                "CREATE FUNCTION refuse_session_end() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$",
                "CREATE CONSTRAINT TRIGGER refuse_session_end AFTER UPDATE ON user_sessions "
                "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.is_active = false) "
                "EXECUTE FUNCTION refuse_session_end()",
            ]
            remove = ["DROP TRIGGER refuse_session_end ON user_sessions", "DROP FUNCTION refuse_session_end()"]
        else:
            install = [
                "CREATE TRIGGER refuse_session_end BEFORE UPDATE OF is_active ON user_sessions "
                "WHEN NEW.is_active = 0 BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
            ]
            remove = ["DROP TRIGGER refuse_session_end"]
        for statement in install:
            db.session.execute(text(statement))
        db.session.commit()
    yield
    with app.app_context():
        for statement in remove:
            db.session.execute(text(statement))
        db.session.commit()


def test_a_sign_out_that_did_not_commit_never_says_signed_out(
    app, client, auth, signed_in, refusing_session_end, services
):
    token = auth.token

    response = client.post("/sign-out")

    assert response.status_code == 503
    assert "You have signed out." not in response.get_data(as_text=True)
    assert auth.token == token  # the cookie is not cleared as if it were over
    page = client.get("/devices")
    assert page.status_code == 200 and "You have signed out." not in page.get_data(as_text=True)
    with app.app_context():
        assert services.sessions.resolve(token) is not None  # and it truly is not over


def test_a_password_change_that_did_not_commit_changes_nothing_and_says_nothing(
    app, client, auth, signed_in, make_session, refusing_session_end, services
):
    _, other_token = make_session(signed_in)
    token = auth.token

    response = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "a brand new passphrase",
        "confirm_new_password": "a brand new passphrase",
    })

    assert response.status_code == 503
    assert "Your password was changed" not in response.get_data(as_text=True)
    assert auth.token == token  # no rotated cookie for a rotation that never happened
    assert "Your password was changed" not in client.get("/devices").get_data(as_text=True)
    with app.app_context():
        assert services.users.check_password(signed_in.id, PASSWORD)
        assert services.sessions.resolve(other_token) is not None
