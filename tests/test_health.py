"""/healthz and /readyz: real databases, a closed port, a migration step back, real GeoIP files (issue 16)."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import downgrade, upgrade

from app.extensions import db
from bench.statements import recorded_statements
from tests.conftest import create_test_app
from tests.mmdb import city_record, write_city_db


@pytest.fixture
def app_on() -> Iterator[Callable[..., Flask]]:
    """Apps built by the test, on a database of its choosing; their connections are closed afterwards."""
    built: list[Flask] = []

    def build(database_url: str, **environ: str) -> Flask:
        built.append(create_test_app(database_url, environ=environ))
        return built[-1]

    yield build
    for app in built:
        with app.app_context():
            db.engine.dispose()


def readiness(client) -> tuple[int, dict]:
    response = client.get("/readyz")
    assert response.headers["Cache-Control"] == "no-store"
    return response.status_code, response.get_json()


def test_healthz_answers_ok_without_a_single_statement(app, client, signed_in):
    with recorded_statements(app) as statements:
        response = client.get("/healthz")  # with a session cookie: still not looked up
    assert response.status_code == 200
    assert response.get_data(as_text=True).strip() == "ok"
    assert response.headers["Cache-Control"] == "no-store"
    assert statements == []


def test_ready_on_a_migrated_database(client, database_url):
    status, body = readiness(client)
    assert status == 200, body
    assert body == {"status": "ready", "checks": {"database": "ok", "migrations": "ok", "geoip": "ok"}}


def test_readyz_never_looks_up_the_session_cookie(app, client, signed_in):
    with recorded_statements(app) as statements:
        assert client.get("/readyz").status_code == 200
    assert statements and not any("user_sessions" in statement for statement in statements)


def test_readyz_reveals_no_versions_paths_or_hosts(client, database_url):
    words = client.get("/readyz").get_data(as_text=True).lower()
    for leak in ("alembic", "0007", "sqlite", "postgres", "127.0.0.1", "/tmp", "python", "werkzeug", "gunicorn"):
        assert leak not in words, leak


def test_not_ready_when_the_database_is_unreachable(app_on):
    # Port 1 on loopback: nothing listens.
    app = app_on("postgresql://postgres@127.0.0.1:1/doorman")
    client = app.test_client()
    status, body = readiness(client)
    assert status == 503
    assert body["checks"]["database"] == "unreachable"
    assert "127.0.0.1" not in str(body) and "refused" not in str(body).lower()
    assert client.get("/healthz").status_code == 200  # the process itself still answers


@pytest.fixture
def own_sqlite(tmp_path: Path, app_on) -> Flask:
    """An app on a SQLite file of its own, migrated to head, so its schema can move without touching others'."""
    app = app_on(f"sqlite:///{tmp_path / 'own.sqlite3'}")
    with app.app_context():
        upgrade()
    return app


def test_not_ready_when_migrations_are_one_step_behind_and_ready_again_at_head(own_sqlite):
    client = own_sqlite.test_client()
    with own_sqlite.app_context():
        downgrade(revision="-1")
    status, body = readiness(client)
    assert status == 503
    assert body["checks"] == {"database": "ok", "migrations": "not at head", "geoip": "ok"}

    with own_sqlite.app_context():
        upgrade()
        db.engine.dispose()
    assert readiness(client)[0] == 200


def test_not_ready_when_never_migrated(tmp_path, app_on):
    status, body = readiness(app_on(f"sqlite:///{tmp_path / 'empty.sqlite3'}").test_client())
    assert status == 503 and body["checks"]["migrations"] == "not migrated"


def test_ready_with_a_configured_geoip_database_that_opens(database_url, tmp_path, app_on):
    path = write_city_db(tmp_path / "city.mmdb", {"81.0.0.0/24": city_record("ES", "Spain", "Madrid")})
    app = app_on(database_url, GEOIP_DATABASE=str(path))
    status, body = readiness(app.test_client())
    assert status == 200 and body["checks"]["geoip"] == "ok"


@pytest.mark.parametrize("contents", [None, b"this is not a MaxMind database" * 100], ids=["missing", "corrupt"])
def test_not_ready_when_the_configured_geoip_database_is_missing_or_corrupt(database_url, tmp_path, contents,
                                                                             app_on):
    path = tmp_path / "GeoLite2-City.mmdb"
    if contents is not None:
        path.write_bytes(contents)
    app = app_on(database_url, GEOIP_DATABASE=str(path))
    status, body = readiness(app.test_client())
    assert status == 503
    assert body["checks"] == {"database": "ok", "migrations": "ok", "geoip": "missing"}
    assert str(tmp_path) not in str(body)


def test_health_checks_are_not_rate_limited(client):
    for _ in range(60):
        assert client.get("/readyz").status_code == 200
        assert client.get("/healthz").status_code == 200
