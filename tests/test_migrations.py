"""The migrations build exactly the models' schema, and unwind to nothing, on both backends."""

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from app.config import database_uri
from app.extensions import db
from tests.conftest import create_test_app


@pytest.fixture(params=["sqlite", "postgresql"])
def scratch_database_url(request, tmp_path):
    """An empty database of its own: a new SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("TEST_DATABASE_URL is not set, so there is no PostgreSQL to migrate")
    url = database_uri(os.environ["TEST_DATABASE_URL"])
    schema = f"migration_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in url else "?"
    yield f"{url}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def test_upgrade_to_head_matches_the_models_and_downgrade_to_base_empties(scratch_database_url):
    app = create_test_app(scratch_database_url)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
            tables = set(inspect(conn).get_table_names())
        assert diff == []
        assert {"users", "user_sessions", "security_events", "alembic_version"} <= tables

        downgrade(revision="base")
        with db.engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}

        upgrade()  # and back up again, as a deploy after a rollback would
        with db.engine.connect() as conn:
            assert {"users", "user_sessions"} <= set(inspect(conn).get_table_names())
        db.engine.dispose()
