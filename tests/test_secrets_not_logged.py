"""No token, token hash, password or password hash in any log line, least of all a database error's.

SQLAlchemy puts a failed statement's parameters in its error message, and
PostgreSQL's DETAIL line quotes the failing row ("Failing row contains
(...)"). The statements that fail here carry exactly the secrets: the token
hash of a session lookup, the new argon2 hash of a password change, the
token hash of a new or rotated session. Each test drives a real failure,
captures every log record at DEBUG (SQLAlchemy's own loggers included),
formatted with exceptions and tracebacks, plus everything written to
stdout and stderr, and searches it.
"""

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db, services
from app.services.sessions import hash_token
from tests.conftest import PASSWORD

NEW_PASSWORD = "a brand new passphrase"
# A SHA-256 hex digest: a token hash, whichever token it is (a rotated one is never seen by the test).
ANY_TOKEN_HASH = re.compile(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")
FORMATTER = logging.Formatter("%(levelname)s %(name)s %(message)s")


@pytest.fixture
def everything_logged(caplog, capfd) -> Callable[[], str]:
    """From now on, every record at DEBUG and all output; call it for the text so far."""
    caplog.set_level(logging.DEBUG)
    # SQLAlchemy keeps its loggers at WARNING unless told otherwise: this is
    # what an operator turning on its statement logging would see.
    for name in ("sqlalchemy", "sqlalchemy.engine", "sqlalchemy.pool"):
        caplog.set_level(logging.DEBUG, logger=name)

    def logged() -> str:
        records = "\n".join(FORMATTER.format(record) for record in caplog.records)  # with exc_info, stack_info
        out, err = capfd.readouterr()
        return "\n".join((records, out, err))

    return logged


def assert_no_secrets(logged: str, *tokens: str) -> None:
    for token in tokens:
        assert token not in logged
        assert hash_token(token) not in logged
    assert PASSWORD not in logged and NEW_PASSWORD not in logged
    assert "$argon2" not in logged
    assert ANY_TOKEN_HASH.findall(logged) == []


@pytest.fixture
def refused(app) -> Callable[[str], Iterator[None]]:
    """A database that refuses one kind of write for the block: "password", "new session" or "rotation".

    On PostgreSQL the first two are CHECK constraints, whose error quotes the
    whole failing row (argon2 hash, token hash) in its DETAIL.
    """
    postgresql = {
        "password": (["ALTER TABLE users ADD CONSTRAINT refuse_writes CHECK (false) NOT VALID"],
                     ["ALTER TABLE users DROP CONSTRAINT refuse_writes"]),
        "new session": (["ALTER TABLE user_sessions ADD CONSTRAINT refuse_writes CHECK (false) NOT VALID"],
                        ["ALTER TABLE user_sessions DROP CONSTRAINT refuse_writes"]),
        "rotation": ([
            "CREATE FUNCTION refuse_write() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$",
            "CREATE TRIGGER refuse_writes BEFORE UPDATE OF session_token_hash ON user_sessions FOR EACH ROW "
            "WHEN (OLD.session_token_hash IS DISTINCT FROM NEW.session_token_hash) EXECUTE FUNCTION refuse_write()",
        ], ["DROP TRIGGER refuse_writes ON user_sessions", "DROP FUNCTION refuse_write()"]),
    }
    sqlite = {
        "password": "BEFORE UPDATE OF password_hash ON users",
        "new session": "BEFORE INSERT ON user_sessions",
        "rotation": "BEFORE UPDATE OF session_token_hash ON user_sessions "
                    "WHEN OLD.session_token_hash <> NEW.session_token_hash",
    }

    def run(statements: list[str]) -> None:
        with app.app_context():
            for statement in statements:
                db.session.execute(text(statement))
            db.session.commit()

    @contextmanager
    def refusing(write: str) -> Iterator[None]:
        with app.app_context():
            dialect = db.engine.dialect.name
        if dialect == "postgresql":
            install, remove = postgresql[write]
        else:
            install = [f"CREATE TRIGGER refuse_writes {sqlite[write]} "
                       "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"]
            remove = ["DROP TRIGGER refuse_writes"]
        run(install)
        try:
            yield
        finally:
            run(remove)

    return refusing


def sign_in(client, email: str, password: str = PASSWORD):
    return client.post("/sign-in", data={"email": email, "password": password})


def token_of(app, client) -> str:
    return client.get_cookie(app.config["SESSION_TOKEN_COOKIE"]).value


def test_a_failing_session_lookup_logs_neither_the_token_nor_its_hash(
    everything_logged, app, client, make_user, sessions_table_moved
):
    user = make_user()
    assert sign_in(client, user.email).status_code == 302
    token = token_of(app, client)

    with sessions_table_moved():
        assert client.get("/devices").status_code == 503

    logged = everything_logged()
    assert "session lookup failed; answering 503" in logged
    assert "user_sessions" in logged  # what failed is still there for the operator
    assert_no_secrets(logged, token)


def test_a_session_lookup_on_killed_postgresql_connections_logs_neither_the_token_nor_its_hash(
    everything_logged, app, client, make_user, database_url
):
    if not database_url.startswith("postgresql"):
        pytest.skip("terminating server connections needs PostgreSQL")
    user = make_user()
    assert sign_in(client, user.email).status_code == 302
    token = token_of(app, client)
    assert client.get("/devices").status_code == 200  # the pool holds live connections now
    killer = create_engine(database_url)
    with killer.begin() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
    killer.dispose()

    assert client.get("/devices").status_code == 503

    logged = everything_logged()
    assert "session lookup failed; answering 503" in logged
    assert_no_secrets(logged, token)


def test_a_password_change_whose_write_fails_logs_no_password_and_no_hash(
    everything_logged, app, client, make_user, refused
):
    user = make_user()
    assert sign_in(client, user.email).status_code == 302
    token = token_of(app, client)

    with refused("password"):
        response = client.post("/account/password", data={
            "current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm_new_password": NEW_PASSWORD,
        })

    assert response.status_code == 503
    logged = everything_logged()
    assert "database error; answering 503" in logged and "UPDATE users" in logged
    assert_no_secrets(logged, token)


def test_a_password_change_whose_token_rotation_fails_logs_no_token_hash(
    everything_logged, app, client, make_user, refused
):
    user = make_user()
    assert sign_in(client, user.email).status_code == 302
    token = token_of(app, client)

    with refused("rotation"):
        response = client.post("/account/password", data={
            "current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm_new_password": NEW_PASSWORD,
        })

    assert response.status_code == 503
    logged = everything_logged()
    assert "database error; answering 503" in logged and "UPDATE user_sessions" in logged
    assert_no_secrets(logged, token)


def test_a_sign_in_whose_session_insert_fails_logs_no_password_and_no_token_hash(
    everything_logged, app, client, make_user, refused
):
    user = make_user()

    with refused("new session"):
        response = sign_in(client, user.email)

    assert response.status_code == 503
    assert client.get_cookie(app.config["SESSION_TOKEN_COOKIE"]) is None
    logged = everything_logged()
    assert "database error; answering 503" in logged and "INSERT INTO user_sessions" in logged
    assert_no_secrets(logged)


def test_signing_in_changing_the_password_and_signing_out_log_no_secrets_either(
    everything_logged, app, client, make_user
):
    user = make_user()
    assert sign_in(client, user.email).status_code == 302
    first = token_of(app, client)
    assert client.get("/devices").status_code == 200
    assert client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm_new_password": NEW_PASSWORD,
    }).status_code == 302
    second = token_of(app, client)
    assert client.post("/sign-out").status_code == 302

    logged = everything_logged()
    assert "INSERT INTO user_sessions" in logged  # SQLAlchemy's statement log was on
    assert_no_secrets(logged, first, second)


def test_any_database_error_logged_with_its_traceback_on_the_apps_logger_is_described_without_values(
    everything_logged, app, make_user, refused
):
    """Flask's own "Exception on ..." and any future logger.exception go through the same description."""
    user = make_user()
    with refused("password"), app.app_context():
        try:
            services(app).users.change_password(user.id, PASSWORD, NEW_PASSWORD)
        except SQLAlchemyError:
            app.logger.exception("changing a password failed")
        db.session.rollback()

    logged = everything_logged()
    assert "changing a password failed\nsqlalchemy.exc." in logged and "[SQL: UPDATE users" in logged
    assert "Traceback (most recent call last)" in logged and "change_password" in logged
    assert_no_secrets(logged)
