"""Fixtures: an app per test on a real database, a movable clock, and factories.

Every test runs on SQLite, and again on PostgreSQL when TEST_DATABASE_URL is
set. The schema is built once per backend by running the migrations; each
test then starts from empty tables.
"""

import os
import socket
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from app import create_app
from app.clock import Clock, FrozenClock
from app.config import database_uri
from app.extensions import db
from app.extensions import services as services_of
from app.models import Base, User, UserSession
from app.services.container import Services
from app.services.credentials import VerifiedCredentials

PASSWORD = "a long enough password"
START = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
# The rate-limit tests' Redis: a database number of their own, so that nothing else's keys are touched.
REDIS_URL = "redis://127.0.0.1:6379/12"


def environ_for(database_url: str, **variables: str) -> dict[str, str]:
    """The whole environment a test app reads its settings from: none of the shell's."""
    return {"DOORMAN_ENV": "test", "DATABASE_URL": database_url, "PASSWORD_HASH_PROFILE": "CHEAPEST", **variables}


def create_test_app(database_url: str, *, clock: Clock | None = None, environ: Mapping[str, str] | None = None,
                    **settings: Any) -> Flask:
    """An app on ``database_url``: ``settings`` are set exactly as given, ``environ`` read as environment variables."""
    # Tests run with the production cookie settings, and without CSRF unless a test turns it on.
    config = {"WTF_CSRF_ENABLED": False, "COOKIE_SECURE": True, **settings}
    return create_app(config, environ=environ_for(database_url, **(environ or {})), clock=clock)


def reset_postgresql(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = list(reversed(Base.metadata.sorted_tables))
        for table in tables:
            conn.execute(text(f'DROP TABLE IF EXISTS "{table.name}" CASCADE'))
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated, empty database: a SQLite file, or the PostgreSQL test database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'doorman.sqlite3'}"
    else:
        url = database_uri(os.environ["TEST_DATABASE_URL"])
        reset_postgresql(url)
    app = create_test_app(url)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def app(database_url: str, clock: FrozenClock, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """The app on an empty database, on ``clock``.

    ``@pytest.mark.config(KEY=value)`` sets a setting as given;
    ``@pytest.mark.env(NAME="text")`` is read as an environment variable.
    """
    settings: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers("config"))):
        settings.update(marker.kwargs)
    environ: dict[str, str] = {}
    for marker in reversed(list(request.node.iter_markers("env"))):
        environ.update(marker.kwargs)
    app = create_test_app(database_url, clock=clock, environ=environ, **settings)
    yield app
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                names = ", ".join(t.name for t in Base.metadata.sorted_tables)
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in reversed(Base.metadata.sorted_tables):
                    conn.execute(table.delete())
        db.engine.dispose()


@pytest.fixture
def app_context(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def services(app: Flask) -> Services:
    """The app's services, the same objects its views use; call them inside ``app.app_context()``."""
    return services_of(app)


@pytest.fixture
def make_user(app: Flask, services: Services) -> Callable[..., User]:
    """Create and commit an account; returns it."""
    counter = iter(range(1, 10_000))

    def make(email: str | None = None, *, role: str = "user", password: str = PASSWORD) -> User:
        with app.app_context():
            user = services.users.create(
                email or f"person{next(counter)}@example.com", password, role=role
            )
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
            return user

    return make


@pytest.fixture
def make_session(app: Flask, services: Services) -> Callable[..., tuple[UserSession, str]]:
    """Start a session for a user through the service; returns (row, token)."""

    def make(user: User, *, user_agent: str = "pytest", ip_address: str = "203.0.113.9", **details: Any):
        with app.app_context():
            user = db.session.merge(user)
            new = services.sessions.create(
                VerifiedCredentials.without_password(user), user_agent=user_agent, ip_address=ip_address, **details
            )
            db.session.commit()
            db.session.refresh(new.row)
            db.session.expunge(new.row)
            return new.row, new.token

    return make


class Auth:
    """Signs a test client in and out through the real forms."""

    def __init__(self, client: FlaskClient, app: Flask) -> None:
        self._client = client
        self._app = app

    def sign_in(self, email: str, password: str = PASSWORD, **kwargs: Any):
        return self._client.post("/sign-in", data={"email": email, "password": password}, **kwargs)

    def sign_out(self):
        return self._client.post("/sign-out")

    @property
    def token(self) -> str | None:
        cookie = self._client.get_cookie(self._app.config["SESSION_TOKEN_COOKIE"])
        return cookie.value if cookie else None


@pytest.fixture
def auth(client: FlaskClient, app: Flask) -> Auth:
    return Auth(client, app)


@pytest.fixture
def signed_in(make_user: Callable[..., User], auth: Auth) -> User:
    """A user signed in on ``client``."""
    user = make_user("signed.in@example.com")
    response = auth.sign_in(user.email)
    assert response.status_code == 302, response.get_data(as_text=True)
    return user


@pytest.fixture
def sessions_table_moved(app: Flask) -> Callable[[], Any]:
    """A real database error: ``with sessions_table_moved():`` hides user_sessions for the block."""

    def rename(old: str, new: str) -> None:
        with app.app_context():
            db.session.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))
            db.session.commit()

    @contextmanager
    def moved() -> Iterator[None]:
        rename("user_sessions", "user_sessions_moved")
        try:
            yield
        finally:
            rename("user_sessions_moved", "user_sessions")

    return moved


def redis_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.fixture
def redis_db() -> Iterator[tuple[Any, Callable[[], list[bytes]]]]:
    """The Redis at REDIS_URL, without Doorman's counts before and after; yields (client, our keys)."""
    if not redis_reachable():
        pytest.skip("no Redis at 127.0.0.1:6379, so the shared-storage path cannot be tried")
    import redis

    client = redis.Redis.from_url(REDIS_URL)

    def ours() -> list[bytes]:
        return list(client.scan_iter("*doorman*"))

    if ours():
        client.delete(*ours())
    yield client, ours
    if ours():
        client.delete(*ours())
    client.close()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "config(**settings): override app settings for a test")
    config.addinivalue_line("markers", "env(**variables): environment variables the test app reads its settings from")


# The mail tests' fixtures (a GeoIP-aware app, a real SMTP server), registered for every test module;
# imported last because they use this module's create_test_app.
from tests.mail_fixtures import city_db, geo_app, smtp_server  # noqa: E402, F401
