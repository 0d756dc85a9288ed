"""security_events by month on PostgreSQL: partitions made ahead, old months dropped whole by the purge.

The PostgreSQL tests work in 2025, months no other test touches, and drop
the partitions they made, so the shared schema is left as the migrations
built it. On SQLite the table stays one table and the purge deletes rows.
"""

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from app.extensions import db
from app.models import ActorKind, EventType
from app.services import event_partitions
from app.services.errors import EventTableBusy
from app.services.event_partitions import DEFAULT_PARTITION, is_partition_name, month_start, next_month
from tests.helpers import events_of, signed_in_client

MARCH_2025 = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def on_postgresql(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("only PostgreSQL partitions security_events")


@pytest.fixture
def in_2025(app, clock, on_postgresql) -> Iterator[None]:
    """The clock in March 2025; every 2025 partition a test makes is dropped afterwards."""
    clock.move_to(MARCH_2025)
    yield
    with app.app_context():
        for name in partition_names(app):
            if name.startswith("security_events_y2025"):
                db.session.execute(text(f"DROP TABLE {name}"))
        db.session.commit()


def partition_names(app) -> list[str]:
    with app.app_context():
        return [p.name for p in event_partitions.partitions(db.session.connection())]


def rows_in(app, table: str) -> int:
    with app.app_context():
        return db.session.scalar(text(f"SELECT count(*) FROM {table}"))


def record_at(app, services, clock, user_id: int, moment: datetime, count: int = 1) -> None:
    with app.app_context():
        was = clock.now()
        clock.move_to(moment)
        for _ in range(count):
            services.audit.record(EventType.SIGNED_IN, subject_id=user_id, actor_kind=ActorKind.USER)
        clock.move_to(was)
        db.session.commit()


def test_month_arithmetic_crosses_the_year():
    assert next_month(datetime(2025, 12, 1, tzinfo=UTC)) == datetime(2026, 1, 1, tzinfo=UTC)
    assert month_start(datetime(2025, 7, 31, 23, 59, tzinfo=UTC)) == datetime(2025, 7, 1, tzinfo=UTC)
    assert is_partition_name("security_events_y2025m03") and is_partition_name(DEFAULT_PARTITION)
    assert not is_partition_name("security_events") and not is_partition_name("security_events_old")


def test_the_migration_partitions_the_table_with_months_ahead_and_a_default(app, on_postgresql):
    names = partition_names(app)
    now = month_start(datetime.now(UTC))
    assert DEFAULT_PARTITION in names
    assert event_partitions.partition_name(now) in names
    assert event_partitions.partition_name(next_month(now)) in names
    with app.app_context():
        key = db.session.scalar(text(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'pk_security_events'"))
    assert key == "PRIMARY KEY (id, created_at)"


def test_ensure_upcoming_makes_the_missing_months_and_moves_their_rows_out_of_the_default(
    app, services, make_user, clock, in_2025
):
    user = make_user()
    record_at(app, services, clock, user.id, MARCH_2025, count=2)  # no 2025 partition yet: the default keeps them
    assert rows_in(app, DEFAULT_PARTITION) == 2

    with app.app_context():
        made = services.event_partitions.ensure_upcoming()
        db.session.commit()

    assert made == ["security_events_y2025m03", "security_events_y2025m04", "security_events_y2025m05"]
    assert rows_in(app, "security_events_y2025m03") == 2 and rows_in(app, DEFAULT_PARTITION) == 0
    with app.app_context():
        assert services.event_partitions.ensure_upcoming() == []  # once is enough


def test_an_event_in_a_month_without_a_partition_still_goes_in(app, services, make_user, clock, in_2025):
    user = make_user()
    record_at(app, services, clock, user.id, datetime(2019, 1, 1, tzinfo=UTC))
    assert rows_in(app, DEFAULT_PARTITION) == 1
    assert len(events_of(app, user.id)) == 1


def test_purge_drops_old_months_whole_and_deletes_rows_only_in_the_boundary_month(
    app, services, make_user, clock, in_2025
):
    user = make_user()
    with app.app_context():
        for start in (datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 2, 1, tzinfo=UTC)):
            event_partitions.create_month(db.session.connection(), start)
        db.session.commit()
    record_at(app, services, clock, user.id, datetime(2025, 1, 5, tzinfo=UTC), count=3)
    record_at(app, services, clock, user.id, datetime(2025, 2, 3, tzinfo=UTC), count=2)  # before the cutoff
    record_at(app, services, clock, user.id, datetime(2025, 2, 20, tzinfo=UTC), count=1)  # after it
    record_at(app, services, clock, user.id, datetime(2018, 6, 1, tzinfo=UTC))  # in the default partition
    cutoff = datetime(2025, 2, 10, tzinfo=UTC)

    with app.app_context():
        deleted = services.audit.purge(older_than=clock.now() - cutoff, commit=db.session.commit)

    assert deleted == 3 + 2 + 1
    names = partition_names(app)
    assert "security_events_y2025m01" not in names  # dropped whole
    assert "security_events_y2025m02" in names and "security_events_y2025m03" in names
    with app.app_context():
        gone = db.session.scalar(text(
            "SELECT count(*) FROM pg_class WHERE relname = 'security_events_y2025m01'"))
    assert gone == 0
    assert rows_in(app, "security_events_y2025m02") == 1
    assert rows_in(app, DEFAULT_PARTITION) == 0
    assert [e.created_at for e in events_of(app, user.id)] == [datetime(2025, 2, 20, tzinfo=UTC)]


def test_the_activity_page_reads_across_partitions_after_a_purge(app, services, make_user, clock, in_2025):
    user = make_user()
    with app.app_context():
        services.event_partitions.ensure_upcoming()
        db.session.commit()
    signed_in_client(app, user.email)  # March
    clock.move_to(MARCH_2025 + timedelta(days=40))  # April 19: another partition
    browser = signed_in_client(app, user.email)
    # The cutoff, April 9, is past the end of March: March's partition is dropped.
    assert app.test_cli_runner().invoke(args=["events", "purge", "--older-than", "10"]).exit_code == 0
    assert "security_events_y2025m03" not in partition_names(app)

    page = browser.get("/activity")

    assert page.status_code == 200
    assert page.get_data(as_text=True).count("Signed in") == 1
    assert rows_in(app, "security_events_y2025m04") == 1


def test_on_sqlite_the_purge_deletes_rows_and_makes_no_partitions(app, services, make_user, clock, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("the SQLite behaviour")
    user = make_user()
    record_at(app, services, clock, user.id, clock.now() - timedelta(days=100), count=2)
    record_at(app, services, clock, user.id, clock.now())
    with app.app_context():
        assert services.event_partitions.ensure_upcoming() == []
        assert not services.event_partitions.is_partitioned()
        assert services.audit.purge(older_than=timedelta(days=90), commit=db.session.commit) == 2
    assert len(events_of(app, user.id)) == 1


# -- a long query holding the table: the DDL gives up after its lock timeout, changing nothing ------


@pytest.fixture
def table_held(app, database_url) -> Iterator[Callable[[], None]]:
    """Another connection holds security_events as a long SELECT would (ACCESS SHARE); call to let go."""
    from sqlalchemy import create_engine

    engine = create_engine(database_url)
    connection = engine.connect()
    transaction = connection.begin()
    connection.execute(text("LOCK TABLE security_events IN ACCESS SHARE MODE"))

    def let_go() -> None:
        if transaction.is_active:
            transaction.rollback()

    yield let_go
    let_go()
    connection.close()
    engine.dispose()


@pytest.fixture
def january_2025(app, in_2025) -> None:
    """A January 2025 partition, old enough to drop, and the months ahead of March, made before any lock is held."""
    with app.app_context():
        event_partitions.create_month(db.session.connection(), datetime(2025, 1, 1, tzinfo=UTC))
        event_partitions.ensure_months(db.session.connection(), MARCH_2025)
        db.session.commit()


def test_dropping_a_partition_gives_up_after_its_lock_timeout_and_keeps_it(app, clock, january_2025, table_held):
    with app.app_context():
        partitions = event_partitions.EventPartitions(db.session, clock=clock, lock_timeout=timedelta(seconds=0.2))
        started = time.monotonic()
        with pytest.raises(EventTableBusy):
            partitions.drop_before(datetime(2025, 2, 10, tzinfo=UTC))
        waited = time.monotonic() - started
        db.session.rollback()
    assert waited < 3
    assert "security_events_y2025m01" in partition_names(app)

    table_held()  # the long query ends: the same call now drops it
    with app.app_context():
        assert partitions.drop_before(datetime(2025, 2, 10, tzinfo=UTC)).dropped == ["security_events_y2025m01"]
        db.session.commit()
    assert "security_events_y2025m01" not in partition_names(app)


def test_making_a_partition_gives_up_after_its_lock_timeout(app, clock, in_2025, table_held):
    with app.app_context():
        partitions = event_partitions.EventPartitions(db.session, clock=clock, lock_timeout=timedelta(seconds=0.2))
        with pytest.raises(EventTableBusy):
            partitions.ensure_upcoming()
        db.session.rollback()
    assert not [name for name in partition_names(app) if name.startswith("security_events_y2025")]


def test_the_purge_says_the_table_was_busy_in_spanish_and_exits_non_zero(app, january_2025, table_held):
    result = app.test_cli_runner().invoke(
        args=["events", "purge", "--older-than", "30"], env={"DOORMAN_LANGUAGE": "es"})

    assert result.exit_code == 1, result.output
    assert ("Error: No se ha purgado nada: otra transacción ha tenido la tabla de eventos de seguridad durante más de"
            " 5 segundos (una consulta larga o un volcado). Vuelve a ejecutarlo cuando acabe.") in " ".join(
        result.output.split())
    assert "security_events_y2025m01" in partition_names(app)


def test_cleanup_says_no_partition_was_made_and_exits_non_zero(app, in_2025, table_held):
    result = app.test_cli_runner().invoke(args=["sessions", "cleanup"], env={"DOORMAN_LANGUAGE": "en"})

    assert result.exit_code == 1, result.output
    assert ("Error: No partition was made: another transaction held the security events table for longer than 5"
            " seconds (a long query or a dump). Run it again once that is done.") in " ".join(result.output.split())
    assert not [name for name in partition_names(app) if name.startswith("security_events_y2025")]


@pytest.mark.parametrize(("args", "busy", "message"), [
    (["events", "purge", "--older-than", "30"], "audit.purge", "Error: Nothing was purged: another transaction"),
    (["sessions", "cleanup"], "event_partitions.ensure_upcoming", "Error: No partition was made: another transaction"),
], ids=["purge", "cleanup"])
def test_each_command_rolls_back_and_exits_1_when_the_table_is_busy(app, services, monkeypatch, args, busy, message):
    """The commands' side on either backend; the tests above have PostgreSQL's real lock wait."""
    owner_name, method = busy.split(".")

    def table_busy(*_args, **_kwargs):
        raise EventTableBusy()

    monkeypatch.setattr(getattr(services, owner_name), method, table_busy)

    result = app.test_cli_runner().invoke(args=args, env={"DOORMAN_LANGUAGE": "en"})

    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
