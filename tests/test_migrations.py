"""The migrations build exactly the models' schema, and unwind to nothing, on both backends."""

import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from app.config import database_uri
from app.extensions import db, services
from app.models import UserSession
from app.models.base import UTCDateTime
from app.services.sessions import hash_token
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


def test_0003_keeps_every_account_and_session_and_binds_them_to_the_first_password(scratch_database_url):
    """Existing accounts and sessions get version 1, so the upgrade signs nobody out; new sessions must say theirs.

    On SQLite, rebuilding ``users`` would delete every session with it (ON
    DELETE CASCADE, foreign keys on): the rows must survive both ways.
    """
    app = create_test_app(scratch_database_url)
    token = "t" * 43
    now = datetime.now(UTC)
    with app.app_context():
        upgrade(revision="0002")
        users = sa.table("users", sa.column("email"), sa.column("password_hash"), sa.column("created_at", UTCDateTime))
        with db.engine.begin() as conn:
            conn.execute(users.insert().values(email="before@example.com", password_hash="!", created_at=now))
            user_id = conn.execute(text("SELECT id FROM users")).scalar_one()
            conn.execute(UserSession.__table__.insert().values(
                user_id=user_id, session_token_hash=hash_token(token), expires_at=now + timedelta(days=1),
            ))

        upgrade()

        with db.engine.connect() as conn:
            versions = [conn.execute(text(f"SELECT credentials_version FROM {table}")).scalar_one()
                        for table in ("users", "user_sessions")]
            defaults = {table: next(c["default"] for c in inspect(conn).get_columns(table)
                                    if c["name"] == "credentials_version")
                        for table in ("users", "user_sessions")}
        assert versions == [1, 1]
        assert defaults["users"] is not None and defaults["user_sessions"] is None
        assert services(app).sessions.resolve(token).id == user_id
        db.session.remove()

        downgrade(revision="0002")  # and back, keeping every account and session
        with db.engine.connect() as conn:
            counts = [conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                      for table in ("users", "user_sessions")]
        assert counts == [1, 1]
        db.engine.dispose()


def _check_constraints(conn) -> dict[tuple[str, str], str]:
    inspector = inspect(conn)
    return {(table, check["name"]): check["sqltext"]
            for table in ("users", "user_sessions", "security_events")
            for check in inspector.get_check_constraints(table)}


def test_the_check_constraints_built_from_the_enums_are_the_ones_the_migrations_wrote(scratch_database_url):
    """``compare_metadata`` ignores CHECK constraints, so this compares them as the database itself reports them."""
    app = create_test_app(scratch_database_url)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            migrated = _check_constraints(conn)
        downgrade(revision="base")
        db.metadata.create_all(db.engine)
        with db.engine.connect() as conn:
            modelled = _check_constraints(conn)
        db.metadata.drop_all(db.engine)
        db.engine.dispose()
    assert modelled == migrated
    assert {name for _, name in migrated} == {
        "ck_users_role", "ck_user_sessions_device_type", "ck_user_sessions_valid_expires",
        "ck_security_events_actor_kind",
    }
