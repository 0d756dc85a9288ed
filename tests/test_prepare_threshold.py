"""DATABASE_PREPARE_THRESHOLD: psycopg's prepare_threshold, for PgBouncer in transaction mode (issue 16)."""

import pytest

from app.config import ConfigurationError, load_config
from app.extensions import db
from tests.conftest import create_test_app


@pytest.mark.parametrize(("raw", "threshold"), [("", "default"), ("none", None), ("0", 0), ("5", 5)])
def test_the_setting_is_read(tmp_path, raw, threshold):
    config = load_config({"DOORMAN_ENV": "test", "DATABASE_PREPARE_THRESHOLD": raw}, str(tmp_path))
    assert config["DATABASE_PREPARE_THRESHOLD"] == threshold


@pytest.mark.parametrize("raw", ["-1", "sometimes"])
def test_an_unusable_threshold_is_refused(tmp_path, raw):
    with pytest.raises(ConfigurationError, match="DATABASE_PREPARE_THRESHOLD"):
        load_config({"DOORMAN_ENV": "test", "DATABASE_PREPARE_THRESHOLD": raw}, str(tmp_path))


@pytest.mark.parametrize(("raw", "threshold"), [("none", None), ("2", 2), ("", 5)])
def test_psycopg_connections_get_the_threshold(database_url, raw, threshold):
    if not database_url.startswith("postgresql"):
        pytest.skip("prepare_threshold is psycopg's: PostgreSQL only (set TEST_DATABASE_URL)")
    app = create_test_app(database_url, environ={"DATABASE_PREPARE_THRESHOLD": raw})
    with app.app_context():
        try:
            with db.engine.connect() as connection:
                assert connection.connection.dbapi_connection.prepare_threshold == threshold
        finally:
            db.engine.dispose()


def test_sqlite_ignores_it(tmp_path):
    app = create_test_app(f"sqlite:///{tmp_path / 'x.sqlite3'}", environ={"DATABASE_PREPARE_THRESHOLD": "none"})
    with app.app_context():
        try:
            with db.engine.connect():
                pass
        finally:
            db.engine.dispose()
