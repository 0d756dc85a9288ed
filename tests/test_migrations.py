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
from app.services.event_partitions import is_partition_name
from app.services.sessions import hash_token
from tests.conftest import create_test_app


def skip_event_partitions(object, name, type_, reflected, compare_to):
    """What migrations/env.py tells autogenerate: security_events's monthly partitions are not the models'."""
    return not (type_ == "table" and reflected and compare_to is None and is_partition_name(name))


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
            diff = compare_metadata(MigrationContext.configure(conn, opts={
                "compare_type": True, "include_object": skip_event_partitions}), db.metadata)
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


# user_sessions as revisions 0002 and 0003 have it: the model's table has columns added later.
_sessions_0002 = sa.table(
    "user_sessions", sa.column("id", sa.Uuid), sa.column("user_id"), sa.column("session_token_hash"),
    sa.column("created_at", UTCDateTime), sa.column("last_activity_at", UTCDateTime),
    sa.column("authenticated_at", UTCDateTime), sa.column("expires_at", UTCDateTime), sa.column("metadata", sa.JSON),
)
_sessions_0003 = sa.table("user_sessions", *(sa.column(c.name, c.type) for c in _sessions_0002.c),
                          sa.column("credentials_version"))


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
            conn.execute(_sessions_0002.insert().values(
                id=uuid.uuid4(), user_id=user_id, session_token_hash=hash_token(token), created_at=now,
                last_activity_at=now, authenticated_at=now, expires_at=now + timedelta(days=1), metadata={},
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
        "ck_user_sessions_kind", "ck_user_sessions_tokens_of_kind", "ck_security_events_actor_kind",
    }


def test_0004_keeps_every_browser_session_and_event_and_its_downgrade_drops_only_app_sessions(scratch_database_url):
    """Browser sessions (and their owners' events) survive 0004 both ways; app sessions cannot exist before it."""
    app = create_test_app(scratch_database_url)
    token = "b" * 43
    now = datetime.now(UTC)
    with app.app_context():
        upgrade(revision="0003")
        users = sa.table("users", sa.column("email"), sa.column("password_hash"), sa.column("created_at", UTCDateTime))
        events = sa.table("security_events", sa.column("subject_id"), sa.column("actor_kind"),
                          sa.column("event_type"), sa.column("details", sa.JSON), sa.column("created_at", UTCDateTime))
        with db.engine.begin() as conn:
            conn.execute(users.insert().values(email="before@example.com", password_hash="!", created_at=now))
            user_id = conn.execute(text("SELECT id FROM users")).scalar_one()
            conn.execute(_sessions_0003.insert().values(
                id=uuid.uuid4(), user_id=user_id, session_token_hash=hash_token(token), created_at=now,
                last_activity_at=now, authenticated_at=now, expires_at=now + timedelta(days=1), metadata={},
                credentials_version=1,
            ))
            conn.execute(events.insert().values(subject_id=user_id, actor_kind="user", event_type="signed_in",
                                                details={}, created_at=now))

        upgrade()

        with db.engine.connect() as conn:
            kinds = conn.execute(text("SELECT kind FROM user_sessions")).scalars().all()
        assert kinds == ["browser"]
        assert services(app).sessions.resolve(token).id == user_id
        db.session.remove()
        with db.engine.begin() as conn:
            conn.execute(UserSession.__table__.insert().values(
                id=uuid.uuid4(), user_id=user_id, kind="app", access_token_hash=hash_token("a" * 43),
                refresh_token_hash=hash_token("r" * 43), access_expires_at=now + timedelta(minutes=15),
                created_at=now, last_activity_at=now, authenticated_at=now, expires_at=now + timedelta(days=1),
                credentials_version=1, metadata={},
            ))

        downgrade(revision="0003")
        with db.engine.connect() as conn:
            counts = [conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                      for table in ("users", "user_sessions", "security_events")]
            hashes = conn.execute(text("SELECT session_token_hash FROM user_sessions")).scalars().all()
        assert counts == [1, 1, 1]
        assert hashes == [hash_token(token)]
        db.engine.dispose()


def test_an_app_row_without_its_tokens_and_a_browser_row_without_its_cookie_hash_are_refused(app):
    """The CHECK built from SessionKind: each kind of row holds the hashes that reach it."""
    now = datetime.now(UTC)
    with app.app_context():
        db.session.execute(sa.insert(sa.table("users", sa.column("email"), sa.column("password_hash"),
                                              sa.column("created_at", UTCDateTime)))
                           .values(email="x@example.com", password_hash="!", created_at=now))
        user_id = db.session.execute(text("SELECT id FROM users")).scalar_one()
        db.session.commit()
        for columns in ({"kind": "app", "session_token_hash": hash_token("s" * 43)},
                        {"kind": "browser", "access_token_hash": hash_token("a" * 43),
                         "refresh_token_hash": hash_token("r" * 43)},
                        {"kind": "tablet", "session_token_hash": hash_token("s" * 43)}):
            with pytest.raises(sa.exc.IntegrityError):
                with db.engine.begin() as conn:
                    conn.execute(UserSession.__table__.insert().values(
                        id=uuid.uuid4(), user_id=user_id, created_at=now, last_activity_at=now,
                        authenticated_at=now, expires_at=now + timedelta(days=1), credentials_version=1,
                        metadata={}, **columns))


def test_0011_moves_every_event_into_its_months_partition_and_back(scratch_database_url):
    """Existing events keep their ids and land in their month's partition; new ones carry on the sequence."""
    if not scratch_database_url.startswith("postgresql"):
        pytest.skip("only PostgreSQL partitions security_events; on SQLite 0011 changes nothing")
    app = create_test_app(scratch_database_url)
    events = sa.table("security_events", sa.column("id"), sa.column("subject_id"), sa.column("actor_kind"),
                      sa.column("event_type"), sa.column("details", sa.JSON), sa.column("created_at", UTCDateTime))
    with app.app_context():
        upgrade(revision="0007")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO users (email, password_hash, created_at) "
                              "VALUES ('a@example.com', '!', now())"))
            user_id = conn.execute(text("SELECT id FROM users")).scalar_one()
            for moment in (datetime(2024, 5, 31, 23, 59, tzinfo=UTC), datetime(2024, 6, 1, tzinfo=UTC)):
                conn.execute(events.insert().values(subject_id=user_id, actor_kind="user", event_type="signed_in",
                                                    details={}, created_at=moment))
            old_ids = sorted(conn.scalars(text("SELECT id FROM security_events")))

        upgrade()

        with db.engine.begin() as conn:
            placed = dict(conn.execute(text(
                "SELECT id, tableoid::regclass::text FROM security_events")).all())
            conn.execute(events.insert().values(subject_id=user_id, actor_kind="user", event_type="signed_in",
                                                details={}, created_at=datetime.now(UTC)))
            new_id = conn.execute(text("SELECT max(id) FROM security_events")).scalar_one()
        assert placed == {old_ids[0]: "security_events_y2024m05", old_ids[1]: "security_events_y2024m06"}
        assert new_id > max(old_ids)

        downgrade(revision="0007")
        with db.engine.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM security_events")) == 3
            assert conn.scalar(text(
                "SELECT count(*) FROM pg_inherits WHERE inhparent = to_regclass('security_events')")) == 0
        db.engine.dispose()
