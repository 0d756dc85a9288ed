"""Sessions that move: a new address is recorded at the throttled touch, a new city or country is a move."""

from collections.abc import Iterator

import pytest
from flask import Flask

from app.extensions import db
from app.models import EventType, UserSession
from app.presenters.activity import describe
from bench.statements import is_write, recorded_statements
from tests.conftest import create_test_app
from tests.helpers import events_of, reading, signed_in_client
from tests.mmdb import LAGOS, KnownPlace, known_place_record, write_city_db

BERLIN = KnownPlace({"en": "Germany", "es": "Alemania"}, {"en": "Berlin", "es": "Berlín"}, "Europe/Berlin")
IN_BERLIN, ALSO_IN_BERLIN, IN_LAGOS = "85.214.0.10", "85.214.0.77", "41.58.0.10"
TOUCH = 60  # seconds


@pytest.fixture(scope="module")
def two_cities(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = write_city_db(tmp_path_factory.mktemp("geo") / "City.mmdb", {
        "85.214.0.0/24": known_place_record("DE", BERLIN),
        "41.58.0.0/24": known_place_record("NG", LAGOS),
    })
    return str(path)


@pytest.fixture
def geo_app(app: Flask, database_url: str, two_cities: str, clock) -> Iterator[Flask]:
    """A second app on the same database that knows the two cities (``app`` empties the tables after)."""
    located = create_test_app(database_url, clock=clock, GEOIP_DATABASE=two_cities, SESSION_TOUCH_INTERVAL=TOUCH)
    yield located
    with located.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def berliner(geo_app, make_user):
    user = make_user("berliner@example.com")
    browser = signed_in_client(geo_app, user.email, ip_address=IN_BERLIN)
    return user, browser


def the_session(app: Flask, user_id: int) -> UserSession:
    with app.app_context():
        row = db.session.query(UserSession).filter_by(user_id=user_id).one()
        db.session.expunge(row)
        return row


def moves(app: Flask, user_id: int):
    return [e for e in events_of(app, user_id) if e.event_type == EventType.SESSION_MOVED]


def test_requests_from_another_country_record_the_address_the_place_and_a_move(geo_app, berliner, clock):
    user, browser = berliner
    clock.advance(seconds=TOUCH + 1)

    browser.get("/devices", environ_base={"REMOTE_ADDR": IN_LAGOS})

    row = the_session(geo_app, user.id)
    assert (row.last_ip_address, row.last_country_code, row.last_country, row.last_city) == (
        IN_LAGOS, "NG", "Nigeria", "Lagos")
    assert (row.ip_address, row.city) == (IN_BERLIN, "Berlin")  # the sign-in's stay as they were
    assert row.moved_at == clock.now()
    [moved] = moves(geo_app, user.id)
    assert moved.session_id == row.id
    with reading(geo_app, "en"):
        assert describe(moved).sentence == "This session moved from Berlin, Germany to Lagos, Nigeria"
    with reading(geo_app, "es"):
        assert describe(moved).sentence == "Esta sesión se movió de Berlín, Alemania a Lagos, Nigeria"


def test_a_new_address_inside_the_touch_interval_writes_nothing(geo_app, berliner, clock):
    user, browser = berliner
    browser.get("/devices")
    clock.advance(seconds=TOUCH // 2)

    with recorded_statements(geo_app) as statements:
        browser.get("/devices", environ_base={"REMOTE_ADDR": IN_LAGOS})

    assert [s for s in statements if is_write(s)] == []
    row = the_session(geo_app, user.id)
    assert row.last_ip_address is None and row.moved_at is None
    assert moves(geo_app, user.id) == []


def test_the_same_address_at_the_touch_is_one_update_and_no_lookup_of_the_row(geo_app, berliner, clock):
    _, browser = berliner
    clock.advance(seconds=TOUCH + 1)

    with recorded_statements(geo_app) as statements:
        browser.get("/sign-in")  # redirects, touching the session only

    assert len([s for s in statements if is_write(s)]) == 1
    assert len(statements) == 2, statements  # the lookup, and the touch's UPDATE


def test_another_address_in_the_same_city_is_recorded_but_is_no_move(geo_app, berliner, clock):
    user, browser = berliner
    clock.advance(seconds=TOUCH + 1)

    browser.get("/devices", environ_base={"REMOTE_ADDR": ALSO_IN_BERLIN})

    row = the_session(geo_app, user.id)
    assert (row.last_ip_address, row.last_city, row.moved_at) == (ALSO_IN_BERLIN, "Berlin", None)
    assert moves(geo_app, user.id) == []


def test_moving_back_is_a_move_from_the_last_place(geo_app, berliner, clock):
    user, browser = berliner
    clock.advance(seconds=TOUCH + 1)
    browser.get("/devices", environ_base={"REMOTE_ADDR": IN_LAGOS})
    clock.advance(seconds=TOUCH + 1)

    browser.get("/devices", environ_base={"REMOTE_ADDR": IN_BERLIN})

    back = moves(geo_app, user.id)[-1]
    assert (back.details["from"]["city"], back.details["to"]["city"]) == ("Lagos", "Berlin")
    assert the_session(geo_app, user.id).last_city == "Berlin"


def test_an_unknown_place_is_never_a_move(geo_app, berliner, clock):
    user, browser = berliner
    clock.advance(seconds=TOUCH + 1)

    browser.get("/devices", environ_base={"REMOTE_ADDR": "10.1.2.3"})

    row = the_session(geo_app, user.id)
    assert (row.last_ip_address, row.last_country_code, row.moved_at) == ("10.1.2.3", None, None)
    assert moves(geo_app, user.id) == []


@pytest.fixture
def moved(geo_app, berliner, clock):
    """The Berliner's session, now used from Lagos."""
    user, browser = berliner
    clock.advance(seconds=TOUCH + 1)
    browser.get("/devices", environ_base={"REMOTE_ADDR": IN_LAGOS})
    return user, browser, the_session(geo_app, user.id)


def test_the_devices_page_flags_a_moved_session_until_its_owner_dismisses_it(geo_app, moved):
    user, browser, row = moved
    assert "Signed in from a new place: Lagos, Nigeria" in browser.get("/devices").get_data(as_text=True)

    response = browser.post(f"/devices/{row.id}/dismiss-move")

    assert response.status_code == 302 and response.headers["Location"] == "/devices"
    assert the_session(geo_app, user.id).moved_at is None
    assert "Signed in from a new place" not in browser.get("/devices").get_data(as_text=True)
    assert len(moves(geo_app, user.id)) == 1  # the event stays on the record


def test_the_flag_reads_in_spanish(geo_app, moved):
    _, browser, _ = moved
    page = browser.get("/devices", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Conectada desde un lugar nuevo: Lagos, Nigeria" in page


def test_nobody_dismisses_another_accounts_move(geo_app, moved, make_user):
    owner, _, row = moved
    stranger = make_user("stranger@example.com")
    other_browser = signed_in_client(geo_app, stranger.email)

    assert other_browser.post(f"/devices/{row.id}/dismiss-move").status_code == 404
    assert the_session(geo_app, owner.id).moved_at is not None
